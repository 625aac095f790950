package gcp

import (
	"context"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	gax "github.com/googleapis/gax-go/v2"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"

	"github.com/fbctl/fbctl/providers"
)

func jitter() int { return rand.IntN(1000) }

// CallError is a failed Compute API call, after fbctl's retries. Its
// message names the operation ("urlMaps.get"), the HTTP status, the
// error reason and Google's message; it never holds a credential (the
// SDK's errors carry none, and fbctl adds none). errors.As finds the
// SDK's *googleapi.Error and *apierror.APIError, and errors.Is finds
// context.Canceled and context.DeadlineExceeded through it. Err is
// classified: providers.IsTransient says whether the call may succeed
// later (a rate limit, a 5xx or a transport error that outlasted the
// retries).
type CallError struct {
	Op       string // "urlMaps.patch", "regionBackendServices.getHealth"
	Status   int    // HTTP status, 0 when there was no response
	Reason   string // "notFound", "rateLimitExceeded", "conditionNotMet", ""
	Message  string
	Attempts int
	Err      error
}

func (e *CallError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if e.Reason != "" {
			b.WriteString(" " + e.Reason)
		}
		if e.Message != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Message)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *CallError) Unwrap() error { return e.Err }

// callError describes err, returned by the SDK for operation op.
func callError(op string, attempts int, err error) *CallError {
	ce := &CallError{Op: op, Attempts: attempts, Err: err}
	var ge *googleapi.Error
	var ae *apierror.APIError
	switch {
	case errors.As(err, &ge):
		ce.Status, ce.Message = ge.Code, ge.Message
		for _, it := range ge.Errors {
			if it.Reason != "" {
				ce.Reason = it.Reason
				break
			}
		}
		if ce.Message == "" && len(ge.Errors) > 0 {
			ce.Message = ge.Errors[0].Message
		}
	case errors.As(err, &ae):
		ce.Status, ce.Reason, ce.Message = ae.HTTPCode(), ae.Reason(), ae.Error()
	default:
		ce.Message = err.Error()
	}
	if ce.Status > 0 && ce.Message == "" {
		ce.Message = http.StatusText(ce.Status)
	}
	return ce
}

// statusOf returns the HTTP status of a failed call, or 0.
func statusOf(err error) int {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Status
	}
	var oe *OperationError
	if errors.As(err, &oe) {
		return oe.Status
	}
	return 0
}

func isNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// isConflict reports a stale fingerprint: HTTP 412 conditionNotMet.
func isConflict(err error) bool { return statusOf(err) == http.StatusPreconditionFailed }

// classify marks a failed attempt with its class (providers.ErrorClass):
// Transient when it may succeed if repeated, that is rate limits (429, and
// 403 with a rate-limit reason, which is how Compute reports its
// per-minute quota), server errors and transport errors (no HTTP status
// at all); Fatal otherwise, and always once ctx is done. 412 is Fatal: it
// needs a re-read, which the caller does.
func classify(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return providers.FatalError(err)
	}
	ce := callError("", 0, err)
	switch {
	case ce.Status == http.StatusTooManyRequests, ce.Status >= 500:
		return providers.TransientError(err)
	case ce.Status == http.StatusForbidden:
		switch ce.Reason {
		case "rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED":
			return providers.TransientError(err)
		}
	case ce.Status == 0:
		// No answer at all: a reset connection, a refused one.
		return providers.TransientError(err)
	}
	return providers.FatalError(err)
}

// noSDKRetry switches the SDK's own retries off: fbctl's budget
// (MaxAttempts) is the only one.
var noSDKRetry = gax.WithRetry(func() gax.Retryer { return nil })

// call runs one API call with fbctl's retries, under op's name.
func call(ctx context.Context, op string, f func(ctx context.Context) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if cerr := ctx.Err(); cerr != nil {
			if err != nil {
				cerr = fmt.Errorf("%w (after: %w)", cerr, err)
			}
			return callError(op, attempt-1, providers.FatalError(cerr))
		}
		err = f(ctx)
		providers.ObserveRequest(ctx, ProviderType, op, requestCode(err))
		if err == nil {
			return nil
		}
		err = classify(ctx, err)
		if attempt >= MaxAttempts || !providers.IsTransient(err) {
			if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
				err = providers.FatalError(fmt.Errorf("%w (%w)", err, cerr))
			}
			return callError(op, attempt, err)
		}
		if serr := providers.Sleep(ctx, backoff(attempt)); serr != nil {
			return callError(op, attempt, providers.FatalError(fmt.Errorf("%w (retry cancelled: %w)", err, serr)))
		}
	}
}

// requestCode is the HTTP status of an attempt for a
// providers.RequestObserver: 200 for a success (the Compute clients do not
// expose the 2xx they got), the error's status, or providers.RequestError
// when no answer came back.
func requestCode(err error) string {
	if err == nil {
		return "200"
	}
	if st := callError("", 0, err).Status; st > 0 {
		return strconv.Itoa(st)
	}
	return providers.RequestError
}

// requestID returns a fresh UUID for a write's requestId: Compute ignores
// a repeated request with the same id, so a retried PATCH is applied once.
func requestID() string {
	var b [16]byte
	_, _ = cryptorand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// opName is the Compute API operation name of a call: "urlMaps.get",
// "regionUrlMaps.patch".
func opName(region, collection, method string) string {
	if region == "" {
		return collection + "." + method
	}
	return "region" + strings.ToUpper(collection[:1]) + collection[1:] + "." + method
}

// ---- The subset of the Compute API fbctl uses ----

func (a *account) getURLMap(ctx context.Context, region, name string) (*computepb.UrlMap, error) {
	c, err := a.clients(ctx)
	if err != nil {
		return nil, err
	}
	var out *computepb.UrlMap
	err = call(ctx, opName(region, "urlMaps", "get"), func(ctx context.Context) (err error) {
		if region == "" {
			out, err = c.urlMaps.Get(ctx, &computepb.GetUrlMapRequest{Project: a.set.project, UrlMap: name}, noSDKRetry)
		} else {
			out, err = c.regionURLMaps.Get(ctx, &computepb.GetRegionUrlMapRequest{Project: a.set.project, Region: region, UrlMap: name}, noSDKRetry)
		}
		return err
	})
	return out, err
}

func (a *account) patchURLMap(ctx context.Context, region, name string, m *computepb.UrlMap) (*computepb.Operation, error) {
	c, err := a.clients(ctx)
	if err != nil {
		return nil, err
	}
	id := requestID()
	var out *computepb.Operation
	err = call(ctx, opName(region, "urlMaps", "patch"), func(ctx context.Context) error {
		var op interface{ Proto() *computepb.Operation }
		var err error
		if region == "" {
			op, err = c.urlMaps.Patch(ctx, &computepb.PatchUrlMapRequest{Project: a.set.project, UrlMap: name, UrlMapResource: m, RequestId: &id}, noSDKRetry)
		} else {
			op, err = c.regionURLMaps.Patch(ctx, &computepb.PatchRegionUrlMapRequest{Project: a.set.project, Region: region, UrlMap: name, UrlMapResource: m, RequestId: &id}, noSDKRetry)
		}
		if err == nil {
			out = op.Proto()
		}
		return err
	})
	return out, err
}

func (a *account) getBackendService(ctx context.Context, region, name string) (*computepb.BackendService, error) {
	c, err := a.clients(ctx)
	if err != nil {
		return nil, err
	}
	var out *computepb.BackendService
	err = call(ctx, opName(region, "backendServices", "get"), func(ctx context.Context) (err error) {
		if region == "" {
			out, err = c.backendServices.Get(ctx, &computepb.GetBackendServiceRequest{Project: a.set.project, BackendService: name}, noSDKRetry)
		} else {
			out, err = c.regionBackendServices.Get(ctx, &computepb.GetRegionBackendServiceRequest{Project: a.set.project, Region: region, BackendService: name}, noSDKRetry)
		}
		return err
	})
	return out, err
}

func (a *account) patchBackendService(ctx context.Context, region, name string, bs *computepb.BackendService) (*computepb.Operation, error) {
	c, err := a.clients(ctx)
	if err != nil {
		return nil, err
	}
	id := requestID()
	var out *computepb.Operation
	err = call(ctx, opName(region, "backendServices", "patch"), func(ctx context.Context) error {
		var op interface{ Proto() *computepb.Operation }
		var err error
		if region == "" {
			op, err = c.backendServices.Patch(ctx, &computepb.PatchBackendServiceRequest{Project: a.set.project, BackendService: name, BackendServiceResource: bs, RequestId: &id}, noSDKRetry)
		} else {
			op, err = c.regionBackendServices.Patch(ctx, &computepb.PatchRegionBackendServiceRequest{Project: a.set.project, Region: region, BackendService: name, BackendServiceResource: bs, RequestId: &id}, noSDKRetry)
		}
		if err == nil {
			out = op.Proto()
		}
		return err
	})
	return out, err
}

func (a *account) getHealth(ctx context.Context, region, name, group string) (*computepb.BackendServiceGroupHealth, error) {
	c, err := a.clients(ctx)
	if err != nil {
		return nil, err
	}
	ref := &computepb.ResourceGroupReference{Group: &group}
	var out *computepb.BackendServiceGroupHealth
	err = call(ctx, opName(region, "backendServices", "getHealth"), func(ctx context.Context) (err error) {
		if region == "" {
			out, err = c.backendServices.GetHealth(ctx, &computepb.GetHealthBackendServiceRequest{Project: a.set.project, BackendService: name, ResourceGroupReferenceResource: ref}, noSDKRetry)
		} else {
			out, err = c.regionBackendServices.GetHealth(ctx, &computepb.GetHealthRegionBackendServiceRequest{Project: a.set.project, Region: region, BackendService: name, ResourceGroupReferenceResource: ref}, noSDKRetry)
		}
		return err
	})
	return out, err
}

func (a *account) getOperation(ctx context.Context, region, name string) (*computepb.Operation, error) {
	c, err := a.clients(ctx)
	if err != nil {
		return nil, err
	}
	var out *computepb.Operation
	op := "globalOperations.get"
	if region != "" {
		op = "regionOperations.get"
	}
	err = call(ctx, op, func(ctx context.Context) (err error) {
		if region == "" {
			out, err = c.globalOps.Get(ctx, &computepb.GetGlobalOperationRequest{Project: a.set.project, Operation: name}, noSDKRetry)
		} else {
			out, err = c.regionOps.Get(ctx, &computepb.GetRegionOperationRequest{Project: a.set.project, Region: region, Operation: name}, noSDKRetry)
		}
		return err
	})
	return out, err
}
