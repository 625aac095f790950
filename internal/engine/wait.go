package engine

import (
	"time"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// EvidenceTTL is how long a check's evidence lasts: its evidence_ttl, or
// health.DefaultTTL of its interval and the schedule. Runs and status
// judge evidence by it alike.
func EvidenceTTL(c NamedCheck, scheduleGap time.Duration) time.Duration {
	if c.EvidenceTTL > 0 {
		return c.EvidenceTTL
	}
	return health.DefaultTTL(c.Interval, scheduleGap)
}

// CheckEvidence is one check's recorded evidence next to what it needs,
// judged at a time without probing.
type CheckEvidence struct {
	Name  string
	Side  Side
	State health.CheckState
	// Since is when State began; zero when Unknown.
	Since    time.Time
	Evidence health.Evidence
	// HealthyThreshold and UnhealthyThreshold are the streaks a verdict
	// needs (at least 1).
	HealthyThreshold, UnhealthyThreshold int
	TTL                                  time.Duration
	// Age is how old the last probe is; Stale is set when it is older
	// than TTL (or there was none), so the next run's streak starts again.
	Age   time.Duration
	Stale bool
}

// JudgeRecorded judges each check's recorded evidence at now, as a run
// judges its evidence after probing, and aggregates the sides. It probes
// nothing: it is what the state document says now.
func JudgeRecorded(checks []NamedCheck, evidence map[string]health.Evidence, scheduleGap time.Duration, now time.Time) (primary, secondary health.SideHealth, per []CheckEvidence) {
	var prim, sec []health.CheckVerdict
	for _, c := range checks {
		ttl := EvidenceTTL(c, scheduleGap)
		ev := evidence[c.Name]
		st, since := health.Judge(ev, c.HealthyThreshold, c.UnhealthyThreshold, ttl, now)
		ce := CheckEvidence{Name: c.Name, Side: c.Side, State: st, Since: since, Evidence: ev,
			HealthyThreshold: max(c.HealthyThreshold, 1), UnhealthyThreshold: max(c.UnhealthyThreshold, 1), TTL: ttl}
		v := health.CheckVerdict{Name: c.Name, State: st, Since: since, Detail: ev.LastDetail}
		if ev.LastProbe.IsZero() {
			ce.Stale = true
		} else if ce.Age = now.Sub(ev.LastProbe); ce.Age > ttl {
			ce.Stale = true
			v.Stale = &health.Staleness{Age: ce.Age, TTL: ttl}
		}
		per = append(per, ce)
		if c.Side == Secondary {
			sec = append(sec, v)
		} else {
			prim = append(prim, v)
		}
	}
	return health.Side(prim), health.Side(sec), per
}

// Wait is what a failback waits for before its next change: the decision a
// reconcile would make now if its probes found the evidence as recorded and
// its targets at the recorded share. It is what status shows; the next run
// probes and observes, and may decide otherwise.
type Wait struct {
	Decision  Decision
	Primary   health.SideHealth
	Secondary health.SideHealth
	Checks    []CheckEvidence
	// Next is the step the rollout would move to next (HasNext false at
	// the last step); an approval, when Decision.NeedsApproval, is for it.
	Next    providers.Share
	HasNext bool
	// NextNeedsApproval is set when the step to Next waits for `fbctl
	// approve` that has not been given: during a timer too, since an
	// approval can be given before the timer ends.
	NextNeedsApproval bool
}

// Await is Wait for a failback's recorded state. It is pure: the time
// comes in, and nothing is probed, observed or written.
func Await(r Rollout, checks []NamedCheck, doc *state.Document, scheduleGap time.Duration, now time.Time) Wait {
	w := Wait{}
	w.Primary, w.Secondary, w.Checks = JudgeRecorded(checks, doc.Evidence, scheduleGap, now)
	// No observation: Decide then sees no drift and the gate judges the
	// moves from the recorded share, as if the targets agreed with it.
	w.Decision = Decide(Input{Rollout: r, State: doc, Primary: w.Primary, Secondary: w.Secondary, Now: now})
	w.Next, w.HasNext = NextStep(r.Steps, doc.Share)
	w.NextNeedsApproval = w.HasNext && needsApproval(r, doc, w.Next)
	return w
}
