package providers

import (
	"context"
	"time"
)

// nowKey is the context key of the evaluation time (see WithNow).
type nowKey struct{}

// WithNow returns ctx carrying now, the time the caller's clock says a
// probe is taken at. The engine sets it before every Probe so that a check
// which asks a time series database "as of when" (prometheus) answers for
// the engine's clock, not the machine's: tests and simulations inject a
// clock, and every check of a run judges the same moment.
func WithNow(ctx context.Context, now time.Time) context.Context {
	return context.WithValue(ctx, nowKey{}, now)
}

// NowFrom returns the time set by WithNow, or time.Now() when none is set
// (a caller without a clock of its own).
func NowFrom(ctx context.Context) time.Time {
	if t, ok := ctx.Value(nowKey{}).(time.Time); ok && !t.IsZero() {
		return t
	}
	return time.Now()
}
