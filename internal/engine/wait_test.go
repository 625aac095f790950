package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/rollout"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// TestAwait covers what status shows a failback waiting for in each phase:
// Await must be Decide's answer on the recorded evidence, so each case
// asserts the decision's action, timer and approval, and the evidence a
// check lacks.
func TestAwait(t *testing.T) {
	now := t0
	// One primary check, 10s apart, 3 to be healthy; with a 1m schedule
	// its evidence lasts 2m (2 x schedule beats 3 x interval).
	checks := []NamedCheck{{Name: "p", Side: Primary, Interval: 10 * time.Second, HealthyThreshold: 3, UnhealthyThreshold: 2}}
	const gap = time.Minute
	healthyFor := func(d time.Duration) health.Evidence {
		return health.Evidence{LastProbe: now.Add(-5 * time.Second), LastHealthy: true, Successes: 50, StreakSince: now.Add(-d)}
	}
	secondary := func(ev health.Evidence) *state.Document {
		d := doc(state.PhaseSecondary, -1, 0, time.Time{})
		d.Evidence = map[string]health.Evidence{"p": ev}
		return d
	}
	shifting := func(share providers.Share, step int, since time.Time, ev health.Evidence) *state.Document {
		d := doc(state.PhaseShifting, step, share, since)
		d.Evidence = map[string]health.Evidence{"p": ev}
		return d
	}
	held := func(p state.Phase) *state.Document {
		d := shifting(1000, 1, now.Add(-time.Hour), healthyFor(time.Hour))
		d.Phase = p
		d.Hold = &state.Hold{By: "alice", At: now.Add(-time.Minute), Reason: "maintenance"}
		return d
	}
	for _, tc := range []struct {
		name     string
		rollout  func(*Rollout)
		doc      *state.Document
		action   Action
		until    time.Time
		approval bool
		reason   string
		check    func(t *testing.T, w Wait)
	}{
		{name: "secondary, evidence pending", doc: secondary(health.Evidence{LastProbe: now.Add(-10 * time.Second), LastHealthy: true, Successes: 1, StreakSince: now.Add(-10 * time.Second)}),
			action: ActionHold, reason: "waiting for fresh evidence",
			check: func(t *testing.T, w Wait) {
				c := w.Checks[0]
				if c.State != health.Unknown || c.Evidence.Successes != 1 || c.HealthyThreshold != 3 || c.Stale || c.TTL != 2*time.Minute {
					t.Errorf("check evidence %+v; want 1 of 3 successes, fresh, ttl 2m", c)
				}
			}},
		{name: "secondary, evidence stale", doc: secondary(health.Evidence{LastProbe: now.Add(-7 * time.Minute), LastHealthy: true, Successes: 9, StreakSince: now.Add(-time.Hour)}),
			action: ActionHold, reason: "past its 2m0s limit",
			check: func(t *testing.T, w Wait) {
				c := w.Checks[0]
				if !c.Stale || c.Age != 7*time.Minute || c.TTL != 2*time.Minute {
					t.Errorf("check evidence %+v; want stale, 7m old, limit 2m", c)
				}
			}},
		{name: "secondary, never probed", doc: secondary(health.Evidence{}), action: ActionHold, reason: "waiting for fresh evidence",
			check: func(t *testing.T, w Wait) {
				if !w.Checks[0].Stale || w.Checks[0].Age != 0 {
					t.Errorf("check evidence %+v; want stale with no age", w.Checks[0])
				}
			}},
		{name: "secondary, stabilizing", doc: secondary(healthyFor(40 * time.Second)),
			action: ActionHold, until: now.Add(-40*time.Second + 15*time.Minute), reason: "healthy for 40s of the 15m0s required"},
		{name: "secondary, cooldown", doc: func() *state.Document {
			d := secondary(healthyFor(time.Hour))
			d.CooldownUntil = now.Add(20 * time.Minute)
			return d
		}(), action: ActionHold, until: now.Add(20 * time.Minute), reason: "cooling down"},
		{name: "secondary, waiting for approval", rollout: func(r *Rollout) { r.Approval = rollout.FirstStep },
			doc: secondary(healthyFor(time.Hour)), action: ActionHold, approval: true, reason: "waits for `fbctl approve`",
			check: func(t *testing.T, w Wait) {
				if !w.HasNext || w.Next != 500 {
					t.Errorf("next step %s %v; want 5%%", w.Next, w.HasNext)
				}
			}},
		{name: "secondary, approved", rollout: func(r *Rollout) { r.Approval = rollout.FirstStep },
			doc: func() *state.Document {
				d := secondary(healthyFor(time.Hour))
				d.Approvals = []state.Approval{{Cycle: d.Cycle, Step: 0, To: 500, By: "bob", At: now}}
				return d
			}(), action: ActionShift},
		{name: "shifting, baking", doc: shifting(1000, 1, now.Add(-3*time.Minute), healthyFor(time.Hour)),
			action: ActionHold, until: now.Add(7 * time.Minute), reason: "baking at 10%"},
		{name: "shifting, baking, next step needs approval", rollout: func(r *Rollout) { r.Approval = rollout.EveryStep },
			doc: shifting(1000, 1, now.Add(-3*time.Minute), healthyFor(time.Hour)), action: ActionHold, until: now.Add(7 * time.Minute), reason: "baking at 10%",
			check: func(t *testing.T, w Wait) {
				if !w.NextNeedsApproval || w.Next != 2500 {
					t.Errorf("next %s, needs approval %v; want 25%% needing it", w.Next, w.NextNeedsApproval)
				}
			}},
		{name: "shifting, baked", doc: shifting(1000, 1, now.Add(-time.Hour), healthyFor(time.Hour)), action: ActionShift},
		{name: "shifting, every step approval", rollout: func(r *Rollout) { r.Approval = rollout.EveryStep },
			doc: shifting(1000, 1, now.Add(-time.Hour), healthyFor(time.Hour)), action: ActionHold, approval: true, reason: "the next step (25%)"},
		{name: "shifting, primary unhealthy", doc: shifting(1000, 1, now.Add(-time.Hour),
			health.Evidence{LastProbe: now.Add(-5 * time.Second), Failures: 2, StreakSince: now.Add(-15 * time.Second), LastDetail: "HTTP 503"}),
			action: ActionRollback, until: now.Add(30 * time.Minute), reason: "the primary is unhealthy (p: HTTP 503)"},
		{name: "paused", doc: held(state.PhasePaused), action: ActionHold, reason: "paused"},
		{name: "manual", doc: held(state.PhaseManual), action: ActionHold, reason: "held at 10%"},
		{name: "halted", doc: held(state.PhaseHalted), action: ActionHold, reason: "halted: maintenance",
			check: func(t *testing.T, w Wait) {
				if w.Decision.Hold == nil || w.Decision.Hold.By != "alice" {
					t.Errorf("hold %+v; want alice's kept", w.Decision.Hold)
				}
			}},
		{name: "unfinished change", doc: func() *state.Document {
			d := shifting(1000, 1, now.Add(-time.Hour), healthyFor(time.Hour))
			d.Intent = &state.Intent{RunID: "r1", From: 1000, To: 2500, Targets: []string{"a", "b"}, Started: now.Add(-time.Minute)}
			return d
		}(), action: ActionRecover, reason: "died while moving 10% -> 25%; finishing it"},
		{name: "complete", doc: func() *state.Document {
			d := doc(state.PhasePrimary, 4, 10000, now.Add(-time.Hour))
			d.Evidence = map[string]health.Evidence{"p": healthyFor(time.Hour)}
			return d
		}(), action: ActionHold, reason: "failback complete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testRollout()
			if tc.rollout != nil {
				tc.rollout(&r)
			}
			w := Await(r, checks, tc.doc, gap, now)
			d := w.Decision
			if d.Action != tc.action || !d.WaitUntil.Equal(tc.until) || d.NeedsApproval != tc.approval {
				t.Errorf("Await: action %s, wait until %s, approval %v (%s); want %s, %s, %v",
					d.Action, d.WaitUntil, d.NeedsApproval, d.Reason, tc.action, tc.until, tc.approval)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("reason %q; want it to contain %q", d.Reason, tc.reason)
			}
			if tc.check != nil {
				tc.check(t, w)
			}
		})
	}
}

// TestAwaitIsPure: Await changes nothing in the document it is given.
func TestAwaitIsPure(t *testing.T) {
	d := doc(state.PhaseShifting, 1, 1000, t0.Add(-time.Hour))
	d.Evidence = map[string]health.Evidence{"p": {LastProbe: t0, LastHealthy: true, Successes: 9, StreakSince: t0.Add(-time.Hour)}}
	before := *d
	Await(testRollout(), []NamedCheck{{Name: "p", Side: Primary, Interval: time.Second}}, d, 0, t0)
	if d.Share != before.Share || d.Phase != before.Phase || d.Step != before.Step || d.Version != before.Version || d.Evidence["p"] != before.Evidence["p"] {
		t.Errorf("Await changed the document: %+v -> %+v", before, *d)
	}
}

// TestEvidenceTTL: a check's own evidence_ttl wins; otherwise the larger of
// 3 x interval and 2 x schedule, as the runs judge.
func TestEvidenceTTL(t *testing.T) {
	for _, tc := range []struct {
		c    NamedCheck
		gap  time.Duration
		want time.Duration
	}{
		{NamedCheck{Interval: 10 * time.Second, EvidenceTTL: time.Minute}, time.Hour, time.Minute},
		{NamedCheck{Interval: 10 * time.Second}, time.Minute, 2 * time.Minute},
		{NamedCheck{Interval: time.Minute}, 0, 3 * time.Minute},
	} {
		if got := EvidenceTTL(tc.c, tc.gap); got != tc.want {
			t.Errorf("EvidenceTTL(%+v, %s) = %s; want %s", tc.c, tc.gap, got, tc.want)
		}
	}
}
