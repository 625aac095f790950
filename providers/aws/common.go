package aws

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fbctl/fbctl/providers"
)

// Option tunes a target built by NewRoute53Weighted.
type Option func(*options)

type options struct {
	pollInterval time.Duration
	maxWait      time.Duration
}

func defaultOptions() options {
	return options{pollInterval: 5 * time.Second, maxWait: 15 * time.Minute}
}

// WithPollInterval sets how often Wait asks Route 53 whether a change is
// INSYNC (default 5s; tests use a few milliseconds).
func WithPollInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.pollInterval = d
		}
	}
}

// WithMaxWait bounds one Wait (default 15 minutes), whatever the context
// allows.
func WithMaxWait(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.maxWait = d
		}
	}
}

// cached returns the run cache's value for key, loading it with load the
// first time in the run. A context error is not kept: the entry is
// forgotten so that the next caller (whose context may be fine) loads
// again, and a caller whose own context is fine retries once itself.
func cached[T any](ctx context.Context, key string, load func(ctx context.Context) (T, error)) (T, error) {
	rc := providers.RunCacheFrom(ctx)
	for attempt := 0; ; attempt++ {
		v, err := rc.Get(key, func() (any, error) { return load(ctx) })
		if err == nil {
			return v.(T), nil
		}
		var zero T
		if !isContextErr(err) {
			return zero, err
		}
		rc.Forget(key)
		if ctx.Err() != nil || attempt > 0 || rc == nil {
			return zero, err
		}
	}
}

// locks serializes the writes of this process to one steered thing (a
// hosted zone, a listener, a rule): read, decide, write and read back
// happen under the lock, so concurrent Apply calls never decide on a state
// another one is changing, and a read after a write is never served from a
// run cache filled before it.
var locks sync.Map // string -> chan struct{}

// lock takes the lock for key, or fails when ctx is done first. The
// returned function releases it.
func lock(ctx context.Context, key, what string) (func(), error) {
	ch, _ := locks.LoadOrStore(key, make(chan struct{}, 1))
	c := ch.(chan struct{})
	select {
	case c <- struct{}{}:
		return func() { <-c }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for another change of %s: %w", what, ctx.Err())
	}
}

// checkShare refuses a share outside 0..10000.
func checkShare(want providers.Share) error {
	if want < providers.ShareNone || want > providers.ShareFull {
		return fmt.Errorf("share %d basis points is outside 0-10000", int(want))
	}
	return nil
}

// sides checks the primary and secondary member lists of a target.
func sides(d *decoder, what string, limit int) (primary, secondary []string) {
	primary, secondary = d.strs("primary"), d.strs("secondary")
	if d.err != nil {
		return nil, nil
	}
	seen := map[string]string{}
	for _, side := range []struct {
		name    string
		members []string
	}{{"primary", primary}, {"secondary", secondary}} {
		if len(side.members) == 0 {
			d.fail(d.errorf("%s names no %s", side.name, what))
			return nil, nil
		}
		for _, m := range side.members {
			if m == "" {
				d.fail(d.errorf("%s names an empty %s", side.name, what))
				return nil, nil
			}
			if other, dup := seen[m]; dup {
				d.fail(d.errorf("%s %s is named twice (in %s and in %s)", what, d.red.Quote(m), other, side.name))
				return nil, nil
			}
			seen[m] = side.name
		}
	}
	if limit > 0 && len(primary)+len(secondary) > limit {
		d.fail(d.errorf("primary and secondary name %d %ss; at most %d are supported", len(primary)+len(secondary), what, limit))
		return nil, nil
	}
	return primary, secondary
}
