package aws

import "time"

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
