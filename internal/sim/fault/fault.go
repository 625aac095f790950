// Package fault decides which calls of an emulator fail, and how: the fault
// injection shared by fbctl's cloud API emulators (internal/sim/...). It
// only decides; each emulator renders a fault in its API's documented error
// form.
//
// Rules match an operation name (or every operation) and fire on the Nth
// matching call, or at a rate drawn from a seeded generator, so a test is
// repeatable. An Injector is safe for concurrent use.
package fault

import (
	"math/rand"
	"sync"
	"time"
)

// Kind is what a fault does.
type Kind string

const (
	// Throttle answers as the API does when its rate limit is exceeded.
	Throttle Kind = "throttle"
	// ServerError answers 500 (or 503 where the API says so).
	ServerError Kind = "5xx"
	// Latency delays the answer by Rule.Delay, then serves it normally.
	Latency Kind = "latency"
	// PriorRequestNotComplete is Route 53's (and ELBv2's) answer to
	// back-to-back writes.
	PriorRequestNotComplete Kind = "prior_request_not_complete"
	// RateLimitExceeded is GCP's 403 rateLimitExceeded.
	RateLimitExceeded Kind = "rate_limit_exceeded"
	// TooManyRequests is an HTTP 429.
	TooManyRequests Kind = "429"
)

// Rule is one fault.
type Rule struct {
	// Op is the operation name (e.g. "ChangeResourceRecordSets"); empty
	// matches every operation.
	Op   string
	Kind Kind
	// Nth fires on the Nth matching call (1-based) only. When zero, Rate
	// applies.
	Nth int
	// Rate is the probability in [0, 1] that a matching call fails.
	Rate float64
	// Delay is the latency of a Latency fault.
	Delay time.Duration
}

// Injector holds the rules of one emulator.
type Injector struct {
	mu    sync.Mutex
	rules []Rule
	calls map[int]int // per rule index: matching calls seen
	rng   *rand.Rand
}

// New returns an injector without rules whose rate draws come from seed.
func New(seed int64) *Injector {
	return &Injector{calls: map[int]int{}, rng: rand.New(rand.NewSource(seed))}
}

// Add adds a rule.
func (in *Injector) Add(r Rule) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rules = append(in.rules, r)
}

// Reset removes every rule and forgets the call counts.
func (in *Injector) Reset() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rules = nil
	in.calls = map[int]int{}
}

// Next records one call of op and returns the first rule that fires for
// it, if any. Latency rules fire alongside: the returned delay is the sum of
// the delays of every Latency rule that fired.
func (in *Injector) Next(op string) (fault *Rule, delay time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for i := range in.rules {
		r := in.rules[i]
		if r.Op != "" && r.Op != op {
			continue
		}
		in.calls[i]++
		fires := false
		if r.Nth > 0 {
			fires = in.calls[i] == r.Nth
		} else if r.Rate > 0 {
			fires = in.rng.Float64() < r.Rate
		}
		if !fires {
			continue
		}
		if r.Kind == Latency {
			delay += r.Delay
			continue
		}
		if fault == nil {
			rr := r
			fault = &rr
		}
	}
	return fault, delay
}
