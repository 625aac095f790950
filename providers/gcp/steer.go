package gcp

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/fbctl/fbctl/providers"
)

// steered is what URLMap and BackendCapacity do alike: each splits the
// members of one Compute resource (a route action's weighted services, a
// backend service's backends) between primary and secondary, reads the
// resource once per run, and writes it under its lock by read-modify-write.
// Errors start with the kind and block name and hide every secret.
type steered[T proto.Message] struct {
	kind string // "gcp_url_map"
	name string
	red  *providers.Redactor
	res  *resource[T]
}

// errorf prefixes a message with the kind and block name and hides every
// sensitive value.
func (s *steered[T]) errorf(format string, args ...any) error {
	return s.red.Hide(fmt.Errorf("%s %q: "+format, append([]any{s.kind, s.name}, args...)...))
}

// wrap prefixes err with the kind and block name, unless it already has
// them (errors from find and edit do).
func (s *steered[T]) wrap(err error) error {
	if err == nil || strings.HasPrefix(err.Error(), fmt.Sprintf("%s %q: ", s.kind, s.name)) {
		return err
	}
	return s.errorf("%w", err)
}

// read returns the resource as the run read it (the run cache). The value
// is shared: callers clone before changing it.
func (s *steered[T]) read(ctx context.Context) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, s.wrap(err)
	}
	v, err := s.res.cachedRead(ctx)
	if err != nil {
		return zero, s.wrap(err)
	}
	return v, nil
}

// apply is the write of Apply: under the resource's lock, starting from
// the run's read, update with edit (which sets the members for want), then
// forget the run's read so that the caller's read back is a real one.
func (s *steered[T]) apply(ctx context.Context, want providers.Share, edit func(next T) (changed bool, err error)) error {
	if err := providers.CheckShare(want); err != nil {
		return s.errorf("%v", err)
	}
	if err := ctx.Err(); err != nil {
		return s.wrap(err)
	}
	unlock, err := providers.Lock(ctx, s.res.key(), s.red.Redact(s.res.String()))
	if err != nil {
		return s.wrap(err)
	}
	defer unlock()
	first, err := s.res.cachedRead(ctx)
	if err != nil {
		return s.wrap(err)
	}
	_, err = s.res.update(ctx, first, edit)
	s.res.forget(ctx)
	return s.wrap(err)
}

// sums returns the primary's summed value and the total over both sides,
// value(i) being the value of member i of the resource's list.
func sums(primary, secondary []int, value func(i int) int64) (p, total int64) {
	for _, i := range primary {
		p += value(i)
	}
	total = p
	for _, i := range secondary {
		total += value(i)
	}
	return p, total
}

// describe lists the members at idx for Foreign, sorted.
func describe(idx []int, member func(i int) string) []string {
	var out []string
	for _, i := range idx {
		out = append(out, member(i))
	}
	sort.Strings(out)
	return out
}
