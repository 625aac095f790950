package gcp

import (
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/fbctl/fbctl/providers"
)

// resource is one fingerprinted Compute resource fbctl reads and writes:
// a URL map or a backend service, global or regional.
type resource[T proto.Message] struct {
	acct       *account
	kind       string // "URL map", "backend service"
	collection string // "urlMaps", "backendServices"
	region     string // "" for global
	name       string
	o          options
	get        func(ctx context.Context) (T, error)
	patch      func(ctx context.Context, v T) (*computepb.Operation, error)
}

func urlMapResource(a *account, region, name string, o options) *resource[*computepb.UrlMap] {
	return &resource[*computepb.UrlMap]{acct: a, kind: "URL map", collection: "urlMaps", region: region, name: name, o: o,
		get: func(ctx context.Context) (*computepb.UrlMap, error) { return a.getURLMap(ctx, region, name) },
		patch: func(ctx context.Context, m *computepb.UrlMap) (*computepb.Operation, error) {
			return a.patchURLMap(ctx, region, name, m)
		},
	}
}

func backendServiceResource(a *account, region, name string, o options) *resource[*computepb.BackendService] {
	return &resource[*computepb.BackendService]{acct: a, kind: "backend service", collection: "backendServices", region: region, name: name, o: o,
		get: func(ctx context.Context) (*computepb.BackendService, error) {
			return a.getBackendService(ctx, region, name)
		},
		patch: func(ctx context.Context, bs *computepb.BackendService) (*computepb.Operation, error) {
			return a.patchBackendService(ctx, region, name, bs)
		},
	}
}

// location is "global" or "region us-central1".
func location(region string) string {
	if region == "" {
		return "global"
	}
	return "region " + region
}

// String is "URL map checkout-lb in project p (global)".
func (r *resource[T]) String() string {
	return fmt.Sprintf("%s %s in project %s (%s)", r.kind, r.name, r.acct.set.project, location(r.region))
}

// key names the resource in run-cache and lock keys.
func (r *resource[T]) key() string {
	return r.collection + "\x00" + r.acct.endpointKey() + "\x00" + r.region + "\x00" + r.name
}

// read reads the resource, naming it in every error.
func (r *resource[T]) read(ctx context.Context) (T, error) {
	v, err := r.get(ctx)
	if err != nil {
		var zero T
		if isNotFound(err) {
			return zero, &NotFoundError{What: r.kind, Name: r.name, Project: r.acct.set.project, Region: r.region, Err: err}
		}
		return zero, fmt.Errorf("reading %s: %w", r, err)
	}
	return v, nil
}

// cachedRead reads the resource once per run (the run cache). The value
// is shared: callers clone before changing it.
func (r *resource[T]) cachedRead(ctx context.Context) (T, error) {
	return providers.Cached(ctx, "gcp/read\x00"+r.key(), r.read)
}

// forget drops the run's read, so that the next read is a real one.
func (r *resource[T]) forget(ctx context.Context) {
	providers.RunCacheFrom(ctx).Forget("gcp/read\x00" + r.key())
}

// update is fbctl's read-modify-write of the resource: edit changes a
// copy of the live resource (reporting whether it changed anything), and
// the WHOLE resource goes back by PATCH with the fingerprint it was read
// with, since PATCH replaces lists whole. On HTTP 412 conditionNotMet
// (another writer came between the read and the write) it reads again and
// re-applies edit, at most MaxConflicts times; then it waits for the
// operation. first, when not nil, is a read of this run to start from.
//
// An error from edit, from the read or a refused PATCH means nothing was
// written. wrote reports whether a PATCH was accepted: an operation that
// then failed may, as Compute documents, have changed nothing or part.
// The caller holds the resource's lock and forgets the run's read after.
func (r *resource[T]) update(ctx context.Context, first T, edit func(next T) (changed bool, err error)) (wrote bool, err error) {
	cur := first
	var last error
	for attempt := 1; attempt <= MaxConflicts; attempt++ {
		if attempt > 1 || any(cur) == nil || !cur.ProtoReflect().IsValid() {
			if cur, err = r.read(ctx); err != nil {
				return false, err
			}
		}
		next := proto.Clone(cur).(T)
		changed, err := edit(next)
		if err != nil || !changed {
			return false, err
		}
		op, err := r.patch(ctx, next)
		if err == nil {
			wrote = true
			err = r.wait(ctx, op)
		}
		if err == nil {
			return true, nil
		}
		if !isConflict(err) {
			if wrote {
				return true, err
			}
			return false, fmt.Errorf("writing %s: %w", r, err)
		}
		// 412: re-read and try again. Nothing of ours was applied.
		wrote, last = false, err
	}
	return false, fmt.Errorf("writing %s: gave up after %d attempts, each refused with HTTP 412 conditionNotMet because another writer changed it between fbctl's read and its write; nothing was changed (last: %w)",
		r, MaxConflicts, last)
}

// wait polls the operation of a write (operations.get, never the /wait
// method) until it is DONE, every pollInterval at first and then less
// often, bounded by ctx and maxWait. An operation that ends in error is an
// *OperationError.
func (r *resource[T]) wait(ctx context.Context, op *computepb.Operation) error {
	if op == nil {
		return fmt.Errorf("%s: the write returned no operation", r)
	}
	ctx, cancel := context.WithTimeout(ctx, r.o.maxWait)
	defer cancel()
	interval := r.o.pollInterval
	for op.GetStatus() != computepb.Operation_DONE {
		if op.GetName() == "" {
			return fmt.Errorf("%s: the write's operation has no name to poll", r)
		}
		if err := providers.Sleep(ctx, interval); err != nil {
			return fmt.Errorf("%s: waiting for operation %s: %w", r, op.GetName(), err)
		}
		interval = min(2*interval, 8*r.o.pollInterval)
		next, err := r.acct.getOperation(ctx, r.region, op.GetName())
		if err != nil {
			return fmt.Errorf("%s: polling operation %s: %w", r, op.GetName(), err)
		}
		op = next
	}
	return operationError(r.String(), op)
}

// OperationError is a write whose operation ended in error.
type OperationError struct {
	Resource  string // "URL map checkout-lb in project p (global)"
	Operation string
	Status    int // httpErrorStatusCode, 0 when unset
	Message   string
}

func (e *OperationError) Error() string {
	s := fmt.Sprintf("%s: operation %s failed", e.Resource, e.Operation)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// operationError returns the error a DONE operation ended with, or nil.
func operationError(what string, op *computepb.Operation) error {
	code := op.GetHttpErrorStatusCode()
	var msgs []string
	if m := op.GetHttpErrorMessage(); m != "" {
		msgs = append(msgs, m)
	}
	for _, e := range op.GetError().GetErrors() {
		m := e.GetMessage()
		if e.GetCode() != "" {
			m = e.GetCode() + ": " + m
		}
		msgs = append(msgs, m)
	}
	if len(op.GetError().GetErrors()) == 0 && (code == 0 || (code >= 200 && code <= 299)) {
		return nil
	}
	return &OperationError{Resource: what, Operation: op.GetName(), Status: int(code), Message: strings.Join(msgs, "; ")}
}

// NotFoundError is a URL map or backend service that does not exist.
type NotFoundError struct {
	What, Name, Project, Region string
	Err                         error
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s %s not found in project %s (%s)", e.What, e.Name, e.Project, location(e.Region))
}

func (e *NotFoundError) Unwrap() error { return e.Err }
