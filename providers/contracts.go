package providers

import (
	"context"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// Target is one steering point between a failback's primary and secondary.
//
// Implementations must be safe for concurrent use, must honour context
// cancellation (returning ctx.Err() or an error wrapping it), and must touch
// nothing the policy does not name: no other record, rule, backend or
// server, and never delete anything.
type Target interface {
	// Observe reads the live share from the provider: the split the
	// provider's current configuration really delivers, even when it is not
	// one the target would have set (weights changed by hand are drift for
	// the engine to judge, not an error). It never reports a share it did
	// not read back; a configuration that delivers no traffic at all is an
	// error.
	Observe(ctx context.Context) (Share, error)
	// Apply sets the share, rounded to the nearest share the target can
	// express, and returns that delivered share. It is idempotent: applying
	// the observed share changes nothing. On error the target may be
	// partly changed; the caller observes again and compensates.
	Apply(ctx context.Context, want Share) (Share, error)
	// Resolution is the smallest step between two shares the target can
	// deliver (1 basis point for targets that split exactly).
	Resolution() Share
}

// Waiter is implemented by targets whose changes take effect some time
// after Apply returns (Route 53 until INSYNC, GCP until the operation is
// DONE). Wait blocks until the last change has propagated or ctx is done.
// Targets that take effect at once do not implement it.
type Waiter interface {
	Wait(ctx context.Context) error
}

// ForeignReporter is implemented by targets that can see members the policy
// does not name which take traffic all the same: other weighted sets on a
// Route 53 name and type, other target groups in a forward action. Such
// "foreign weight" distorts the share; plan and reconcile report it.
// Foreign describes each such member for people, e.g. `set "legacy"
// (weight 5)`; it reads through the run's RunCache and costs no extra call.
type ForeignReporter interface {
	Foreign(ctx context.Context) ([]string, error)
}

// Result is the outcome of one probe.
type Result struct {
	Healthy bool
	// Unknown says the probe ran but found no evidence either way (a
	// prometheus query that returned no series, with empty = "unknown").
	// Healthy is then false and ignored: an unknown result is neither a
	// success nor a failure, and it ends the current streak (see
	// health.Record), so a check is never judged healthy on evidence older
	// than the last unknown result, nor unhealthy because of it.
	Unknown bool
	// Detail says why, for people: "HTTP 503", "connection refused".
	Detail  string
	Latency time.Duration
}

// Check is one health signal about one side.
//
// Probe never panics, returns within the check's timeout (or when ctx is
// done), and reports every failure as an unhealthy Result rather than an
// error: a probe that cannot run is evidence too.
type Check interface {
	Probe(ctx context.Context) Result
}

// ProviderConfig is a provider block, decoded.
type ProviderConfig struct {
	Type string
	Name string
	// Attrs is an object with every attribute of the provider type's
	// schema. Values may carry the "sensitive" mark.
	Attrs cty.Value
}

// Config is what a kind's constructor gets: one decoded target or check
// block. Attrs is an object with every attribute of the kind's schema,
// defaults applied, every value known; values may carry the "sensitive"
// mark, which the constructor removes where it needs the raw value.
type Config struct {
	Name     string
	Attrs    cty.Value
	Provider *ProviderConfig // nil for kinds that need none
	// Timeout bounds each probe of a check; zero for targets.
	Timeout time.Duration
	// Interval is the check's probing interval (its interval attribute);
	// zero for targets, and when the caller has none.
	Interval time.Duration
}

// TargetFactory builds a Target from its block.
type TargetFactory func(Config) (Target, error)

// CheckFactory builds a Check from its block.
type CheckFactory func(Config) (Check, error)

// Quantizer is implemented by targets whose deliverable shares are coarse or
// uneven, such as a DNS RRset composed of a few addresses. Deliverable
// returns the share Apply(want) would deliver, computed from the policy
// alone without calling the provider; plan shows it beside the requested
// share when the two differ.
type Quantizer interface {
	Deliverable(want Share) Share
}

// Approximate is implemented by targets whose share is not an exact split
// of requests, such as capacity scaling of a backend service, where what
// the share delivers depends on the balancing mode and the backends' load.
// Approximation returns one line for people; plan and status show it.
type Approximate interface {
	Approximation() string
}

// SideReporter is implemented by targets that can see whether each side's
// members can take traffic at all: an HAProxy server in maintenance,
// draining or down delivers nothing whatever its weight; an ALB target
// group without a healthy target or a Compute backend service without a
// HEALTHY backend likewise. ObserveSides is Observe (the same share; for
// HAProxy from the same reading at no extra call, for the cloud kinds plus
// their health API, read once per run) and, per side, why that side
// delivers nothing ("" when it can deliver). The
// engine never moves a target towards a side that delivers nothing, so
// such a side is never left as the only one with weight.
type SideReporter interface {
	ObserveSides(ctx context.Context) (Share, Sides, error)
}

// Sides says, per side of a target, why that side can deliver nothing, as
// one phrase for people ("every primary server is in MAINT, DRAIN or
// DOWN: p1 MAINT"); "" when the side can deliver.
type Sides struct {
	PrimaryOut, SecondaryOut string
}
