package engine

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func testRollout() Rollout {
	return Rollout{
		Steps:             []providers.Share{500, 1000, 2500, 5000, 10000},
		Bake:              10 * time.Minute,
		PrimaryHealthyFor: 15 * time.Minute,
		OnUnhealthy:       "rollback",
		Cooldown:          30 * time.Minute,
		OnDrift:           "halt",
		Approval:          "none",
	}
}

func healthy(since time.Time) health.SideHealth {
	return health.SideHealth{State: health.Healthy, Since: since,
		Checks: []health.CheckVerdict{{Name: "c", State: health.Healthy, Since: since}}}
}

func unhealthy(since time.Time) health.SideHealth {
	return health.SideHealth{State: health.Unhealthy, Since: since,
		Checks: []health.CheckVerdict{{Name: "c", State: health.Unhealthy, Since: since, Detail: "HTTP 503"}}}
}

var unknown = health.SideHealth{State: health.Unknown,
	Checks: []health.CheckVerdict{{Name: "c", State: health.Unknown, Detail: "stale"}}}

// doc builds a saved document at a phase, step and share, with the targets
// "a" and "b" last observed at that share.
func doc(phase state.Phase, step int, share providers.Share, stepSince time.Time) *state.Document {
	d := state.NewDocument("f", t0.Add(-time.Hour))
	d.Version = 3
	d.Phase, d.Step, d.Share, d.StepSince = phase, step, share, stepSince
	d.Observed = map[string]providers.Share{"a": share, "b": share}
	return d
}

func obs(a, b providers.Share) Observation {
	return Observation{Targets: []TargetShare{{Name: "a", Share: a, Resolution: 1}, {Name: "b", Share: b, Resolution: 40}}}
}

// TestDecide covers every row of the decision table in DESIGN.md and every
// on_unhealthy, on_drift and approval mode.
func TestDecide(t *testing.T) {
	now := t0
	type want struct {
		Action        Action
		To            providers.Share
		Phase         state.Phase
		Step          int
		Outcome       Outcome
		NeedsApproval bool
		Drift         bool
		Writes        bool
		WaitUntil     time.Time
	}
	for _, tc := range []struct {
		name      string
		rollout   func(*Rollout)
		doc       *state.Document
		obs       Observation
		primary   health.SideHealth
		secondary health.SideHealth
		req       Request
		want      want
		// check asserts more of the decision (holds, cooldowns).
		check func(t *testing.T, d Decision)
	}{
		// secondary (share 0)
		{name: "secondary/stable primary shifts to the first step",
			doc: doc(state.PhaseSecondary, -1, 0, t0.Add(-time.Hour)), obs: obs(0, 0),
			primary: healthy(now.Add(-15 * time.Minute)), secondary: healthy(t0.Add(-time.Hour)),
			want: want{Action: ActionShift, To: 500, Phase: state.PhaseShifting, Step: 0, Writes: true}},
		{name: "secondary/stabilization window not over",
			doc: doc(state.PhaseSecondary, -1, 0, t0.Add(-time.Hour)), obs: obs(0, 0),
			primary: healthy(now.Add(-5 * time.Minute)), secondary: healthy(t0),
			want: want{Action: ActionHold, Phase: state.PhaseSecondary, Step: -1, WaitUntil: now.Add(10 * time.Minute)}},
		{name: "secondary/unhealthy primary holds with exit 5",
			doc: doc(state.PhaseSecondary, -1, 0, t0), obs: obs(0, 0),
			primary: unhealthy(now.Add(-time.Minute)), secondary: healthy(t0),
			want: want{Action: ActionHold, Phase: state.PhaseSecondary, Step: -1, Outcome: OutcomeUnhealthy}},
		{name: "secondary/stale evidence holds",
			doc: doc(state.PhaseSecondary, -1, 0, t0), obs: obs(0, 0),
			primary: unknown, secondary: healthy(t0),
			want: want{Action: ActionHold, Phase: state.PhaseSecondary, Step: -1}},
		{name: "secondary/cooldown after a rollback",
			doc: func() *state.Document {
				d := doc(state.PhaseSecondary, -1, 0, t0)
				d.CooldownUntil = now.Add(20 * time.Minute)
				return d
			}(), obs: obs(0, 0),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, Phase: state.PhaseSecondary, Step: -1, WaitUntil: now.Add(20 * time.Minute)}},
		{name: "secondary/approval first_step missing",
			rollout: func(r *Rollout) { r.Approval = "first_step" },
			doc:     doc(state.PhaseSecondary, -1, 0, t0), obs: obs(0, 0),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, Phase: state.PhaseSecondary, Step: -1, NeedsApproval: true}},
		{name: "secondary/approval first_step given",
			rollout: func(r *Rollout) { r.Approval = "first_step" },
			doc: func() *state.Document {
				d := doc(state.PhaseSecondary, -1, 0, t0)
				d.Approvals = []state.Approval{{Cycle: 0, Step: 0, To: 500, By: "ops"}}
				return d
			}(), obs: obs(0, 0),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionShift, To: 500, Phase: state.PhaseShifting, Step: 0, Writes: true}},
		{name: "secondary/approval from an earlier cycle does not count",
			rollout: func(r *Rollout) { r.Approval = "every_step" },
			doc: func() *state.Document {
				d := doc(state.PhaseSecondary, -1, 0, t0)
				d.Cycle = 2
				d.Approvals = []state.Approval{{Cycle: 1, Step: 0, To: 500, By: "ops"}}
				return d
			}(), obs: obs(0, 0),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, Phase: state.PhaseSecondary, Step: -1, NeedsApproval: true}},

		// shifting (step i)
		{name: "shifting/baked moves to the next step",
			doc: doc(state.PhaseShifting, 1, 1000, now.Add(-10*time.Minute)), obs: obs(1000, 1000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionShift, To: 2500, Phase: state.PhaseShifting, Step: 2, Writes: true}},
		{name: "shifting/last bake completes at 100 as primary",
			doc: doc(state.PhaseShifting, 3, 5000, now.Add(-11*time.Minute)), obs: obs(5000, 5000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionShift, To: 10000, Phase: state.PhasePrimary, Step: 4, Writes: true}},
		{name: "shifting/still baking",
			doc: doc(state.PhaseShifting, 1, 1000, now.Add(-4*time.Minute)), obs: obs(1000, 1000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, Phase: state.PhaseShifting, Step: 1, To: 1000, WaitUntil: now.Add(6 * time.Minute)}},
		{name: "shifting/bake restarts from when the primary became healthy again",
			doc: doc(state.PhaseShifting, 1, 1000, now.Add(-30*time.Minute)), obs: obs(1000, 1000),
			primary: healthy(now.Add(-2 * time.Minute)), secondary: healthy(t0),
			want: want{Action: ActionHold, Phase: state.PhaseShifting, Step: 1, To: 1000, WaitUntil: now.Add(8 * time.Minute)}},
		{name: "shifting/stale evidence never raises the share",
			doc: doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour)), obs: obs(1000, 1000),
			primary: unknown, secondary: healthy(t0),
			want: want{Action: ActionHold, Phase: state.PhaseShifting, Step: 1, To: 1000}},
		{name: "shifting/approval every_step missing for the next step",
			rollout: func(r *Rollout) { r.Approval = "every_step" },
			doc:     doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour)), obs: obs(1000, 1000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, Phase: state.PhaseShifting, Step: 1, To: 1000, NeedsApproval: true}},
		{name: "shifting/approval first_step does not gate later steps",
			rollout: func(r *Rollout) { r.Approval = "first_step" },
			doc:     doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour)), obs: obs(1000, 1000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionShift, To: 2500, Phase: state.PhaseShifting, Step: 2, Writes: true}},
		{name: "shifting/unhealthy primary rolls back",
			doc: doc(state.PhaseShifting, 2, 2500, now.Add(-time.Minute)), obs: obs(2500, 2500),
			primary: unhealthy(now), secondary: healthy(t0),
			want: want{Action: ActionRollback, To: 0, Phase: state.PhaseSecondary, Step: -1, Outcome: OutcomeUnhealthy, Writes: true, WaitUntil: now.Add(30 * time.Minute)}},
		{name: "shifting/unhealthy primary steps back",
			rollout: func(r *Rollout) { r.OnUnhealthy = "step_back" },
			doc:     doc(state.PhaseShifting, 2, 2500, now.Add(-time.Minute)), obs: obs(2500, 2500),
			primary: unhealthy(now), secondary: healthy(t0),
			want: want{Action: ActionStepBack, To: 1000, Phase: state.PhaseShifting, Step: 1, Outcome: OutcomeUnhealthy, Writes: true}},
		{name: "shifting/step back from the first step is a rollback",
			rollout: func(r *Rollout) { r.OnUnhealthy = "step_back" },
			doc:     doc(state.PhaseShifting, 0, 500, now.Add(-time.Minute)), obs: obs(500, 500),
			primary: unhealthy(now), secondary: healthy(t0),
			want: want{Action: ActionRollback, To: 0, Phase: state.PhaseSecondary, Step: -1, Outcome: OutcomeUnhealthy, Writes: true, WaitUntil: now.Add(30 * time.Minute)}},
		{name: "shifting/unhealthy primary holds",
			rollout: func(r *Rollout) { r.OnUnhealthy = "hold" },
			doc:     doc(state.PhaseShifting, 2, 2500, now.Add(-time.Minute)), obs: obs(2500, 2500),
			primary: unhealthy(now), secondary: healthy(t0),
			want: want{Action: ActionHold, To: 2500, Phase: state.PhaseShifting, Step: 2, Outcome: OutcomeUnhealthy}},
		{name: "shifting/no rollback onto an unhealthy secondary",
			doc: doc(state.PhaseShifting, 2, 2500, now.Add(-time.Minute)), obs: obs(2500, 2500),
			primary: unhealthy(now), secondary: unhealthy(now),
			want: want{Action: ActionHold, To: 2500, Phase: state.PhaseShifting, Step: 2, Outcome: OutcomeHalted}},
		{name: "shifting/no step back onto an unhealthy secondary",
			rollout: func(r *Rollout) { r.OnUnhealthy = "step_back" },
			doc:     doc(state.PhaseShifting, 2, 2500, now.Add(-time.Minute)), obs: obs(2500, 2500),
			primary: unhealthy(now), secondary: unhealthy(now),
			want: want{Action: ActionHold, To: 2500, Phase: state.PhaseShifting, Step: 2, Outcome: OutcomeHalted}},
		{name: "shifting/unknown secondary does not block a rollback",
			doc: doc(state.PhaseShifting, 2, 2500, now.Add(-time.Minute)), obs: obs(2500, 2500),
			primary: unhealthy(now), secondary: unknown,
			want: want{Action: ActionRollback, To: 0, Phase: state.PhaseSecondary, Step: -1, Outcome: OutcomeUnhealthy, Writes: true, WaitUntil: now.Add(30 * time.Minute)}},

		// primary (100)
		{name: "primary/complete holds",
			doc: doc(state.PhasePrimary, 4, 10000, now.Add(-time.Hour)), obs: obs(10000, 10000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, To: 10000, Phase: state.PhasePrimary, Step: 4}},
		{name: "primary/external failover starts a new cycle",
			doc: doc(state.PhasePrimary, 4, 10000, now.Add(-time.Hour)), obs: obs(0, 0),
			primary: unhealthy(now), secondary: healthy(t0),
			want: want{Action: ActionNewCycle, To: 0, Phase: state.PhaseSecondary, Step: -1}},

		// drift
		{name: "drift/halt",
			doc: doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour)), obs: obs(1000, 3000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHalt, To: 1000, Phase: state.PhaseHalted, Step: 1, Outcome: OutcomeHalted, Drift: true}},
		{name: "drift/adopt the observed share",
			rollout: func(r *Rollout) { r.OnDrift = "adopt" },
			doc:     doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour)), obs: obs(3000, 3000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionAdopt, To: 3000, Phase: state.PhaseShifting, Step: 2, Drift: true}},
		{name: "drift/adopt 0 goes back to secondary",
			rollout: func(r *Rollout) { r.OnDrift = "adopt" },
			doc:     doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour)), obs: obs(0, 0),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionAdopt, To: 0, Phase: state.PhaseSecondary, Step: -1, Drift: true}},
		{name: "drift/correct writes the recorded share back",
			rollout: func(r *Rollout) { r.OnDrift = "correct" },
			doc:     doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour)), obs: obs(3000, 3000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionCorrect, To: 1000, Phase: state.PhaseShifting, Step: 1, Drift: true, Writes: true}},
		{name: "drift/targets that disagree cannot be adopted",
			rollout: func(r *Rollout) { r.OnDrift = "adopt" },
			doc:     doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour)), obs: obs(1000, 5000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHalt, To: 1000, Phase: state.PhaseHalted, Step: 1, Outcome: OutcomeHalted, Drift: true}},
		{name: "drift/targets that disagree are corrected",
			rollout: func(r *Rollout) { r.OnDrift = "correct" },
			doc:     doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour)), obs: obs(1000, 5000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionCorrect, To: 1000, Phase: state.PhaseShifting, Step: 1, Drift: true, Writes: true}},
		{name: "drift/within a target's resolution is not drift",
			doc: func() *state.Document {
				d := doc(state.PhaseShifting, 1, 1000, now.Add(-time.Minute))
				delete(d.Observed, "b") // a new target, compared with the share
				return d
			}(), obs: obs(1000, 1030),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, To: 1000, Phase: state.PhaseShifting, Step: 1, WaitUntil: now.Add(9 * time.Minute)}},
		{name: "first run with every target at 100 adopts primary",
			doc: state.NewDocument("f", t0), obs: obs(10000, 10000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionAdopt, To: 10000, Phase: state.PhasePrimary, Step: 4}},

		// held phases
		{name: "paused holds",
			doc: doc(state.PhasePaused, 1, 1000, now.Add(-time.Hour)), obs: obs(1000, 1000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, To: 1000, Phase: state.PhasePaused, Step: 1}},
		{name: "manual holds even when baked and healthy",
			doc: doc(state.PhaseManual, 2, 2500, now.Add(-time.Hour)), obs: obs(2500, 2500),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, To: 2500, Phase: state.PhaseManual, Step: 2}},
		{name: "halted holds with exit 6",
			doc: doc(state.PhaseHalted, 1, 1000, now.Add(-time.Hour)), obs: obs(1000, 1000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, To: 1000, Phase: state.PhaseHalted, Step: 1, Outcome: OutcomeHalted}},

		// crash recovery
		{name: "recovery/finishes a raise while the primary is healthy",
			doc: func() *state.Document {
				d := doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour))
				d.Intent = &state.Intent{RunID: "r1", From: 1000, To: 2500, Targets: []string{"a", "b"}}
				return d
			}(), obs: obs(2500, 1000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionRecover, To: 2500, Phase: state.PhaseShifting, Step: 2, Writes: true}},
		{name: "recovery/reverts a raise when the primary is not known healthy",
			doc: func() *state.Document {
				d := doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour))
				d.Intent = &state.Intent{RunID: "r1", From: 1000, To: 2500, Targets: []string{"a", "b"}}
				return d
			}(), obs: obs(2500, 1000),
			primary: unknown, secondary: healthy(t0),
			want: want{Action: ActionRecover, To: 1000, Phase: state.PhaseShifting, Step: 1, Writes: true}},
		{name: "recovery/finishes a rollback whatever the health",
			doc: func() *state.Document {
				d := doc(state.PhaseShifting, 2, 2500, now.Add(-time.Hour))
				d.Intent = &state.Intent{RunID: "r1", From: 2500, To: 0, Targets: []string{"b", "a"}}
				return d
			}(), obs: obs(2500, 0),
			primary: unhealthy(now), secondary: healthy(t0),
			want: want{Action: ActionRecover, To: 0, Phase: state.PhaseSecondary, Step: -1, Outcome: OutcomeUnhealthy, Writes: true}},

		// The defects of issue 10, each as the row that would have caught it.
		{name: "fixed/correct never raises onto a failing primary (on_unhealthy hold)",
			rollout: func(r *Rollout) { r.OnDrift, r.OnUnhealthy = "correct", "hold" },
			doc:     doc(state.PhaseShifting, 3, 5000, now.Add(-time.Hour)), obs: obs(0, 0),
			primary: unhealthy(now.Add(-time.Minute)), secondary: healthy(t0),
			want: want{Action: ActionHold, To: 5000, Phase: state.PhaseShifting, Step: 3, Outcome: OutcomeUnhealthy, Drift: true}},
		{name: "fixed/correct with a failing primary takes on_unhealthy's rollback",
			rollout: func(r *Rollout) { r.OnDrift = "correct" },
			doc:     doc(state.PhaseShifting, 3, 5000, now.Add(-time.Hour)), obs: obs(0, 0),
			primary: unhealthy(now.Add(-time.Minute)), secondary: healthy(t0),
			want: want{Action: ActionRollback, To: 0, Phase: state.PhaseSecondary, Step: -1, Outcome: OutcomeUnhealthy, Drift: true, Writes: true,
				WaitUntil: now.Add(30 * time.Minute)}},
		{name: "fixed/correct climbs back in steps after traffic was pulled by hand",
			rollout: func(r *Rollout) { r.OnDrift = "correct" },
			doc:     doc(state.PhaseShifting, 3, 5000, now.Add(-time.Hour)), obs: obs(0, 0),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionCorrect, To: 500, Phase: state.PhaseShifting, Step: 0, Drift: true, Writes: true}},
		{name: "fixed/a dead rollback is not finished onto a failing secondary: reverted",
			doc: func() *state.Document {
				d := doc(state.PhaseShifting, 3, 5000, now.Add(-time.Hour))
				d.Intent = &state.Intent{RunID: "r1", From: 5000, To: 0, Command: "reconcile", Event: "rollback", Phase: state.PhaseSecondary}
				return d
			}(), obs: obs(5000, 5000),
			primary: healthy(now.Add(-time.Hour)), secondary: unhealthy(now),
			want: want{Action: ActionRecover, To: 5000, Phase: state.PhaseShifting, Step: 3, Writes: true}},
		{name: "fixed/a dead rollback is reverted when the primary is healthy again and the secondary only pending",
			doc: func() *state.Document {
				d := doc(state.PhaseShifting, 3, 5000, now.Add(-time.Hour))
				d.Intent = &state.Intent{RunID: "r1", From: 5000, To: 0, Command: "reconcile", Event: "rollback", Phase: state.PhaseSecondary}
				return d
			}(), obs: obs(5000, 5000),
			primary: healthy(now.Add(-time.Hour)), secondary: unknown,
			want: want{Action: ActionRecover, To: 5000, Phase: state.PhaseShifting, Step: 3, Writes: true}},
		{name: "fixed/a dead rollback half done, secondary failing: neither way is safe, hold for a person",
			doc: func() *state.Document {
				d := doc(state.PhaseShifting, 3, 5000, now.Add(-time.Hour))
				d.Intent = &state.Intent{RunID: "r1", From: 5000, To: 0, Command: "reconcile", Event: "rollback", Phase: state.PhaseSecondary}
				return d
			}(), obs: obs(5000, 0),
			primary: healthy(now.Add(-time.Hour)), secondary: unhealthy(now),
			want: want{Action: ActionHold, To: 5000, Phase: state.PhaseShifting, Step: 3, Outcome: OutcomeHalted}},
		{name: "fixed/lost state and correct never moves traffic onto a failing secondary",
			rollout: func(r *Rollout) { r.OnDrift = "correct" },
			doc:     state.NewDocument("f", t0), obs: obs(5000, 5000),
			primary: healthy(now.Add(-time.Hour)), secondary: unhealthy(now),
			want: want{Action: ActionHold, To: 0, Phase: state.PhaseSecondary, Step: -1, Outcome: OutcomeHalted, Drift: true}},
		{name: "fixed/steps edited mid-rollout: the next step is the next share, not the next index",
			rollout: func(r *Rollout) { r.Steps = []providers.Share{1000, 5000, 10000} },
			doc:     doc(state.PhaseShifting, 1, 1000, now.Add(-time.Hour)), obs: obs(1000, 1000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionShift, To: 5000, Phase: state.PhaseShifting, Step: 1, Writes: true}},
		{name: "fixed/resume after a manual 5% continues from 5%",
			doc: func() *state.Document {
				d := doc(state.PhaseManual, 0, 500, now.Add(-time.Hour))
				d.Hold = &state.Hold{By: "ops", Resume: state.PhaseShifting}
				return d
			}(), obs: obs(500, 500), req: Request{Command: CommandResume, Actor: "ops"},
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionResume, To: 500, Phase: state.PhaseShifting, Step: 0},
			check: func(t *testing.T, d Decision) {
				if d.Hold != nil {
					t.Errorf("resume kept the hold %+v", d.Hold)
				}
			}},
		{name: "fixed/adopt never lifts a pause",
			rollout: func(r *Rollout) { r.OnDrift = "adopt" },
			doc: func() *state.Document {
				d := doc(state.PhasePaused, 1, 1000, now.Add(-time.Hour))
				d.Hold = &state.Hold{By: "ops", Resume: state.PhaseShifting}
				return d
			}(), obs: obs(2500, 2500),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, To: 1000, Phase: state.PhasePaused, Step: 1, Drift: true}},
		{name: "fixed/recovery keeps a pause made after the run died",
			doc: func() *state.Document {
				d := doc(state.PhasePaused, 1, 1000, now.Add(-time.Hour))
				d.Hold = &state.Hold{By: "ops", Resume: state.PhaseShifting}
				d.Intent = &state.Intent{RunID: "r1", From: 1000, To: 2500, Command: "reconcile", Event: "shift", Phase: state.PhaseShifting}
				return d
			}(), obs: obs(2500, 1000),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionRecover, To: 2500, Phase: state.PhasePaused, Step: 2, Writes: true},
			check: func(t *testing.T, d Decision) {
				if d.Hold == nil || d.Hold.By != "ops" {
					t.Errorf("hold %+v", d.Hold)
				}
			}},
		{name: "fixed/an abort killed after its write is finished with its hold and cooldown",
			doc: func() *state.Document {
				d := doc(state.PhaseShifting, 3, 5000, now.Add(-time.Hour))
				d.Cycle = 4
				d.Intent = &state.Intent{RunID: "r1", From: 5000, To: 0, Command: "abort", Event: "abort", Phase: state.PhasePaused,
					Hold: &state.Hold{By: "ops", Reason: "aborted: drill"}, CooldownUntil: now.Add(20 * time.Minute), Cycle: 5}
				return d
			}(), obs: obs(0, 0),
			primary: unhealthy(now), secondary: healthy(t0),
			want: want{Action: ActionRecover, To: 0, Phase: state.PhasePaused, Step: -1, Outcome: OutcomeUnhealthy, Writes: true},
			check: func(t *testing.T, d Decision) {
				if d.Hold == nil || d.Hold.Reason != "aborted: drill" || !d.CooldownUntil.Equal(now.Add(20*time.Minute)) || d.Cycle != 5 || d.Event != "abort" {
					t.Errorf("hold %+v cooldown %s cycle %d event %s", d.Hold, d.CooldownUntil, d.Cycle, d.Event)
				}
			}},
		{name: "fixed/resume settles a shift killed after its write and reports its share",
			doc: func() *state.Document {
				d := doc(state.PhaseShifting, 3, 5000, now.Add(-time.Hour))
				d.Intent = &state.Intent{RunID: "r1", From: 5000, To: 2500, Command: "shift", Event: "manual_shift", Phase: state.PhaseManual,
					Hold: &state.Hold{By: "ops"}}
				return d
			}(), obs: obs(2500, 2520), req: Request{Command: CommandResume, Actor: "ops"},
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionResume, To: 2500, Phase: state.PhaseShifting, Step: 2, Writes: true}},
		{name: "fixed/a halted failback with an unsettled change waits for a person",
			doc: func() *state.Document {
				d := doc(state.PhaseHalted, 2, 2500, now.Add(-time.Hour))
				d.Hold = &state.Hold{By: "fbctl", Reason: "putting targets back failed"}
				d.Intent = &state.Intent{RunID: "r1", From: 2500, To: 0, Command: "reconcile", Event: "rollback", Phase: state.PhaseSecondary}
				return d
			}(), obs: obs(2500, 0),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, To: 2500, Phase: state.PhaseHalted, Step: 2, Outcome: OutcomeHalted, Drift: true}},
		{name: "fixed/a recorded share outside 0-100% halts",
			doc: doc(state.PhaseShifting, 4, 20000, now.Add(-time.Hour)), obs: obs(0, 0),
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHalt, To: 20000, Phase: state.PhaseHalted, Step: 4, Outcome: OutcomeHalted}},
		{name: "fixed/a shift is refused while a dead run's change is unsettled",
			doc: func() *state.Document {
				d := doc(state.PhaseShifting, 3, 5000, now.Add(-time.Hour))
				d.Intent = &state.Intent{RunID: "r1", From: 5000, To: 2500, Command: "reconcile"}
				return d
			}(), obs: obs(2500, 5000), req: Request{Command: CommandShift, To: 10000, Actor: "ops"},
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionHold, To: 5000, Phase: state.PhaseShifting, Step: 3, Outcome: OutcomeHalted}},
		{name: "fixed/a shift to the share and phase already held changes nothing",
			doc: func() *state.Document {
				d := doc(state.PhaseManual, 2, 2500, now.Add(-time.Hour))
				d.Hold = &state.Hold{By: "ops", Resume: state.PhaseShifting}
				return d
			}(), obs: obs(2500, 2500), req: Request{Command: CommandShift, To: 2500, Actor: "ops"},
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			check: func(t *testing.T, d Decision) {
				if d.Event != "" {
					t.Errorf("a shift that changes nothing records %q", d.Event)
				}
			},
			want: want{Action: ActionHold, To: 2500, Phase: state.PhaseManual, Step: 2}},
		{name: "fixed/a shift to the share the targets deliver only holds it (phase manual), writing nothing",
			doc: doc(state.PhaseShifting, 2, 2500, now.Add(-time.Hour)), obs: obs(2500, 2500),
			req:     Request{Command: CommandShift, To: 2500, Actor: "ops"},
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			check: func(t *testing.T, d Decision) {
				if d.Event != "manual_shift" || d.Hold == nil || d.Hold.Resume != state.PhaseShifting {
					t.Errorf("phase-only shift: event %q, hold %+v", d.Event, d.Hold)
				}
			},
			want: want{Action: ActionShift, To: 2500, Phase: state.PhaseManual, Step: 2}},
		{name: "fixed/a shift to the recorded share with a target elsewhere writes",
			doc: doc(state.PhaseShifting, 2, 2500, now.Add(-time.Hour)), obs: obs(2500, 5000),
			req:     Request{Command: CommandShift, To: 2500, Actor: "ops"},
			primary: healthy(now.Add(-time.Hour)), secondary: healthy(t0),
			want: want{Action: ActionShift, To: 2500, Phase: state.PhaseManual, Step: 2, Writes: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testRollout()
			if tc.rollout != nil {
				tc.rollout(&r)
			}
			d := Decide(Input{Rollout: r, State: tc.doc, Observed: tc.obs, Primary: tc.primary, Secondary: tc.secondary, Now: now, Request: tc.req})
			if tc.check != nil {
				tc.check(t, d)
			}
			got := want{Action: d.Action, To: d.To, Phase: d.Phase, Step: d.Step, Outcome: d.Outcome,
				NeedsApproval: d.NeedsApproval, Drift: d.Drift, Writes: d.Writes, WaitUntil: d.WaitUntil}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decide (-want +got):\n%s\nreason: %s", diff, d.Reason)
			}
			if d.Reason == "" {
				t.Error("decision without a reason")
			}
			if d.Writes && d.To > tc.doc.Share && tc.primary.State != health.Healthy {
				t.Errorf("raised the share to %s without a healthy primary", d.To)
			}
		})
	}
}
