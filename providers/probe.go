package providers

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// FinishProbe is deferred by a Check's Probe, with a pointer to its named
// result: a panic becomes an unhealthy Result (Probe never panics), the
// Latency is set when Probe did not set it, and no secret of red shows in
// the Detail.
func FinishProbe(red *Redactor, start time.Time, res *Result) {
	if p := recover(); p != nil {
		*res = Result{Detail: fmt.Sprintf("internal error: %v", p)}
	}
	if res.Latency == 0 {
		res.Latency = time.Since(start)
	}
	res.Detail = red.Redact(res.Detail)
}

// ProbeFailure is the Detail of a probe whose call about what failed:
// "what: timeout after 5s" when the probe's timeout (or the caller's
// deadline) ended it, "what: cancelled" when the caller cancelled it, else
// "what: " and the error.
func ProbeFailure(ctx context.Context, timeout time.Duration, what string, err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		return fmt.Sprintf("%s: timeout after %s", what, timeout)
	case errors.Is(err, context.Canceled):
		return what + ": cancelled"
	}
	return what + ": " + err.Error()
}
