package app

import (
	"time"

	"github.com/fbctl/fbctl/providers"
)

// The backoff of `reconcile --wait` between the runs of a failback whose
// run failed with a transient error: 1s, 2s, 4s, ... at most 30s.
const (
	retryFirst = time.Second
	retryMax   = 30 * time.Second
)

// retryBackoff is the wait before retry n (1-based).
func retryBackoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := retryFirst
	for i := 1; i < n && d < retryMax; i++ {
		d *= 2
	}
	return min(d, retryMax)
}

// retryable says whether a waiting reconcile runs a failback again after
// its run failed: only for a provider error that may pass
// (providers.IsTransient) and that is nothing but an error (exit 1). A
// halt, a health gate or a lock held by another run is never retried,
// whatever it wraps.
func retryable(err error, code ExitCode) bool {
	return err != nil && code == ExitFailure && providers.IsTransient(err)
}
