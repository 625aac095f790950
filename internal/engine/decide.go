package engine

import (
	"fmt"
	"time"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// Rollout paces a failback; it mirrors the policy's rollout block.
type Rollout struct {
	Steps             []providers.Share
	Bake              time.Duration
	PrimaryHealthyFor time.Duration
	OnUnhealthy       string // rollback | step_back | hold
	Cooldown          time.Duration
	OnDrift           string // halt | adopt | correct
	Approval          string // none | first_step | every_step
}

// Action is what a decision does.
type Action string

const (
	// ActionHold changes nothing.
	ActionHold Action = "hold"
	// ActionShift raises the primary's share to the next step.
	ActionShift Action = "shift"
	// ActionStepBack lowers the share to the previous step.
	ActionStepBack Action = "step_back"
	// ActionRollback moves all traffic back to the secondary.
	ActionRollback Action = "rollback"
	// ActionHalt records that a person must decide; nothing is written.
	ActionHalt Action = "halt"
	// ActionAdopt records the observed share as the state; nothing is written.
	ActionAdopt Action = "adopt"
	// ActionCorrect writes the recorded share back over a drifted target.
	ActionCorrect Action = "correct"
	// ActionNewCycle records an external failover (the primary, at 100 %,
	// is observed at 0): back to the secondary phase, nothing is written.
	ActionNewCycle Action = "new_cycle"
	// ActionRecover finishes or reverts a change a dead run left behind.
	ActionRecover Action = "recover"
)

// Outcome classifies a decision for the exit code.
type Outcome int

const (
	// OutcomeOK: nothing to do, or the change is fine.
	OutcomeOK Outcome = iota
	// OutcomeUnhealthy: rolled back or stepped back, or the primary is
	// unhealthy (exit 5).
	OutcomeUnhealthy
	// OutcomeHalted: a person must decide (exit 6).
	OutcomeHalted
)

// Observation is what the targets reported, in declared order.
type Observation struct {
	Targets []TargetShare
}

// TargetShare is one target's live share and resolution.
type TargetShare struct {
	Name       string
	Share      providers.Share
	Resolution providers.Share
}

// Input is everything Decide looks at.
type Input struct {
	Rollout   Rollout
	State     *state.Document
	Observed  Observation
	Primary   health.SideHealth
	Secondary health.SideHealth
	Now       time.Time
}

// Decision is what to do now.
type Decision struct {
	Action Action
	// To is the share to write (shift, step_back, rollback, correct,
	// recover) or to record (adopt); the current share otherwise.
	To providers.Share
	// Phase and Step after the decision.
	Phase state.Phase
	Step  int
	// Reason says why, for people.
	Reason  string
	Outcome Outcome
	// WaitUntil is when the next change could come, if a timer is what
	// it waits for (bake, stabilization, cooldown); zero otherwise.
	WaitUntil time.Time
	// NeedsApproval is set when the next step waits for `fbctl approve`.
	NeedsApproval bool
	// Drift is set when the targets disagree with the state or each other.
	Drift bool
	// Writes says whether the decision changes targets.
	Writes bool
}

// Decide is the decision table of DESIGN.md ("One run", step 4). It is pure.
//
//	condition (first match wins)                 decision
//	leftover intent                              recover: finish it if it lowers the share or the primary is
//	                                             healthy, else revert to its From
//	halted                                       hold (exit 6) until resume
//	phase primary, every target observed at 0    new_cycle: an external failover; back to secondary, cycle+1
//	targets disagree with each other             on_drift correct: write the recorded share; else halt
//	targets disagree with the state              on_drift halt | adopt (record observed) | correct (write back)
//	paused / manual                              hold until resume
//	secondary, in cooldown                       hold until the cooldown ends
//	secondary, primary healthy >= healthy_for    approval missing: hold; else shift to steps[0]
//	secondary, otherwise                         hold (exit 5 if the primary is unhealthy)
//	shifting, primary unhealthy                  on_unhealthy: rollback | step_back | hold; a move onto an
//	                                             unhealthy secondary is held instead (exit 6)
//	shifting, primary not known healthy          hold: stale or pending evidence never raises the share
//	shifting, healthy through bake               approval missing: hold; else shift to steps[i+1] (100: primary)
//	shifting, otherwise                          hold until the bake ends
//	primary                                      hold (exit 5 if the primary is unhealthy)
func Decide(in Input) Decision {
	doc := in.State
	hold := Decision{Action: ActionHold, To: doc.Share, Phase: doc.Phase, Step: doc.Step}

	if doc.Intent != nil {
		return decideRecovery(in)
	}
	if doc.Phase == state.PhaseHalted {
		d := hold
		d.Outcome = OutcomeHalted
		d.Reason = "halted"
		if doc.Hold != nil && doc.Hold.Reason != "" {
			d.Reason = "halted: " + doc.Hold.Reason
		}
		d.Reason += "; run `fbctl resume` once a person has decided"
		return d
	}
	if d, ok := decideDrift(in, hold); ok {
		return d
	}
	switch doc.Phase {
	case state.PhasePaused:
		d := hold
		d.Reason = "paused; `fbctl resume` continues"
		return d
	case state.PhaseManual:
		d := hold
		d.Reason = fmt.Sprintf("held at %s by `fbctl shift`; `fbctl resume` hands control back", doc.Share)
		if in.Primary.State == health.Unhealthy {
			d.Outcome = OutcomeUnhealthy
			d.Reason += "; the primary is unhealthy"
		}
		return d
	case state.PhaseSecondary:
		return decideSecondary(in, hold)
	case state.PhaseShifting:
		return decideShifting(in, hold)
	case state.PhasePrimary:
		d := hold
		d.Reason = "failback complete: the primary has all the traffic"
		if in.Primary.State == health.Unhealthy {
			d.Outcome = OutcomeUnhealthy
			d.Reason += "; the primary is unhealthy"
		}
		return d
	}
	d := hold
	d.Action = ActionHalt
	d.Phase = state.PhaseHalted
	d.Outcome = OutcomeHalted
	d.Reason = fmt.Sprintf("unknown phase %q in the state", doc.Phase)
	return d
}

func decideSecondary(in Input, hold Decision) Decision {
	r, doc, now := in.Rollout, in.State, in.Now
	d := hold
	if now.Before(doc.CooldownUntil) {
		d.Reason = fmt.Sprintf("cooling down after a rollback until %s", doc.CooldownUntil.UTC().Format(time.RFC3339))
		d.WaitUntil = doc.CooldownUntil
		return d
	}
	switch in.Primary.State {
	case health.Unhealthy:
		d.Reason = "the primary is unhealthy" + verdictDetail(in.Primary)
		d.Outcome = OutcomeUnhealthy
		return d
	case health.Unknown:
		d.Reason = "waiting for fresh evidence that the primary is healthy" + verdictDetail(in.Primary)
		return d
	}
	stable := in.Primary.Since.Add(r.PrimaryHealthyFor)
	if now.Before(stable) {
		d.Reason = fmt.Sprintf("the primary has been healthy for %s of the %s required", now.Sub(in.Primary.Since).Truncate(time.Second), r.PrimaryHealthyFor)
		d.WaitUntil = stable
		return d
	}
	if needsApproval(r, doc, 0) {
		d.NeedsApproval = true
		d.Reason = fmt.Sprintf("the primary is stable; the first step (%s) waits for `fbctl approve`", r.Steps[0])
		return d
	}
	return shiftTo(r, 0, fmt.Sprintf("the primary has been healthy for %s", now.Sub(in.Primary.Since).Truncate(time.Second)))
}

func decideShifting(in Input, hold Decision) Decision {
	r, doc, now := in.Rollout, in.State, in.Now
	d := hold
	i := doc.Step
	if i < 0 || i >= len(r.Steps) {
		// The policy's steps changed under a running rollout: find the
		// step that matches the share, or halt for a person.
		i = stepAtOrBelow(r.Steps, doc.Share)
		if i < 0 || r.Steps[i] != doc.Share {
			d.Action, d.Phase, d.Outcome = ActionHalt, state.PhaseHalted, OutcomeHalted
			d.Reason = fmt.Sprintf("the share %s is not a step of the rollout (the policy changed mid-rollout)", doc.Share)
			return d
		}
		d.Step = i
	}
	switch in.Primary.State {
	case health.Unhealthy:
		return decideUnhealthy(in, hold, i)
	case health.Unknown:
		d.Reason = fmt.Sprintf("holding at %s: the primary's evidence is stale or pending", doc.Share) + verdictDetail(in.Primary)
		return d
	}
	bakedFrom := doc.StepSince
	if in.Primary.Since.After(bakedFrom) {
		bakedFrom = in.Primary.Since
	}
	if baked := bakedFrom.Add(r.Bake); now.Before(baked) {
		d.Reason = fmt.Sprintf("baking at %s until %s", doc.Share, baked.UTC().Format(time.RFC3339))
		d.WaitUntil = baked
		return d
	}
	if i+1 >= len(r.Steps) {
		// At the last step but not yet recorded as primary.
		d.Phase = state.PhasePrimary
		d.Reason = "failback complete"
		return d
	}
	if needsApproval(r, doc, i+1) {
		d.NeedsApproval = true
		d.Reason = fmt.Sprintf("%s baked; the next step (%s) waits for `fbctl approve`", doc.Share, r.Steps[i+1])
		return d
	}
	return shiftTo(r, i+1, fmt.Sprintf("%s baked for %s with the primary healthy", doc.Share, r.Bake))
}

func decideUnhealthy(in Input, hold Decision, i int) Decision {
	r, doc, now := in.Rollout, in.State, in.Now
	d := hold
	why := "the primary is unhealthy" + verdictDetail(in.Primary)
	d.Outcome = OutcomeUnhealthy
	mode := r.OnUnhealthy
	if mode == "step_back" && i == 0 {
		mode = "rollback"
	}
	if mode == "hold" {
		d.Reason = fmt.Sprintf("%s; holding at %s (on_unhealthy = hold)", why, doc.Share)
		return d
	}
	if in.Secondary.State == health.Unhealthy {
		d.Outcome = OutcomeHalted
		d.Reason = fmt.Sprintf("%s, but the secondary is unhealthy too%s: holding at %s instead of moving traffic onto it", why, verdictDetail(in.Secondary), doc.Share)
		return d
	}
	if mode == "step_back" {
		return Decision{Action: ActionStepBack, To: r.Steps[i-1], Phase: state.PhaseShifting, Step: i - 1,
			Reason: why + "; stepping back", Outcome: OutcomeUnhealthy, Writes: true}
	}
	return Decision{Action: ActionRollback, To: providers.ShareNone, Phase: state.PhaseSecondary, Step: -1,
		Reason: why + "; rolling back", Outcome: OutcomeUnhealthy, Writes: true, WaitUntil: now.Add(r.Cooldown)}
}

func shiftTo(r Rollout, i int, why string) Decision {
	d := Decision{Action: ActionShift, To: r.Steps[i], Phase: state.PhaseShifting, Step: i, Reason: why, Writes: true}
	if r.Steps[i] == providers.ShareFull {
		d.Phase = state.PhasePrimary
	}
	return d
}

func needsApproval(r Rollout, doc *state.Document, step int) bool {
	switch r.Approval {
	case "every_step":
	case "first_step":
		if step != 0 {
			return false
		}
	default:
		return false
	}
	for _, a := range doc.Approvals {
		if a.Cycle == doc.Cycle && a.Step == step {
			return false
		}
	}
	return true
}

// stepAtOrBelow returns the largest i with steps[i] <= s, or -1.
func stepAtOrBelow(steps []providers.Share, s providers.Share) int {
	i := -1
	for j, st := range steps {
		if st <= s {
			i = j
		}
	}
	return i
}

// decideDrift compares the observation with the state and the targets with
// each other. It returns ok=false when there is no drift.
func decideDrift(in Input, hold Decision) (Decision, bool) {
	doc, r := in.State, in.Rollout
	obs := in.Observed.Targets
	if len(obs) == 0 {
		return Decision{}, false
	}
	agreed, agree := agreedShare(obs)

	// An external failover: complete, then every target at 0.
	if doc.Phase == state.PhasePrimary && agree && agreed == providers.ShareNone {
		return Decision{Action: ActionNewCycle, To: providers.ShareNone, Phase: state.PhaseSecondary, Step: -1,
			Reason: "every target is at 0 after a completed failback: an external failover happened; starting a new cycle"}, true
	}
	// A failback never recorded: take the targets' consistent share at
	// either end as the starting point.
	if doc.Version == 0 && len(doc.Observed) == 0 && agree && (agreed == providers.ShareNone || agreed == providers.ShareFull) {
		if agreed == providers.ShareFull {
			return Decision{Action: ActionAdopt, To: agreed, Phase: state.PhasePrimary, Step: len(r.Steps) - 1,
				Reason: "first run: every target already sends all traffic to the primary"}, true
		}
		return Decision{}, false
	}

	var drifted []string
	for _, t := range obs {
		want, seen := doc.Observed[t.Name]
		if !seen {
			// A target the state has not seen yet should be at the share.
			if absDiff(t.Share, doc.Share) > t.Resolution {
				drifted = append(drifted, fmt.Sprintf("%s at %s", t.Name, t.Share))
			}
			continue
		}
		if t.Share != want {
			drifted = append(drifted, fmt.Sprintf("%s at %s (was %s)", t.Name, t.Share, want))
		}
	}
	if agree && len(drifted) == 0 {
		return Decision{}, false
	}
	d := hold
	d.Drift = true
	what := fmt.Sprintf("drift: recorded share %s, but %s", doc.Share, joinList(drifted))
	if !agree {
		what = fmt.Sprintf("drift: the targets disagree (%s)", describeShares(obs))
	}
	mode := r.OnDrift
	if mode == "adopt" && !agree {
		// Nothing consistent to adopt.
		mode = "halt"
		what += "; nothing consistent to adopt"
	}
	switch mode {
	case "correct":
		d.Action, d.Writes = ActionCorrect, true
		d.To = doc.Share
		d.Reason = what + fmt.Sprintf("; correcting back to %s", doc.Share)
		return d, true
	case "adopt":
		d.Action = ActionAdopt
		d.To = agreed
		d.Step = stepAtOrBelow(r.Steps, agreed)
		switch {
		case agreed == providers.ShareNone:
			d.Phase, d.Step = state.PhaseSecondary, -1
		case agreed == providers.ShareFull:
			d.Phase = state.PhasePrimary
		default:
			d.Phase = state.PhaseShifting
		}
		d.Reason = what + fmt.Sprintf("; adopting %s", agreed)
		return d, true
	default:
		d.Action, d.Phase, d.Outcome = ActionHalt, state.PhaseHalted, OutcomeHalted
		d.Reason = what + "; halted (on_drift = halt)"
		return d, true
	}
}

// decideRecovery finishes or reverts the change a dead run left behind. A
// change that lowers the primary's share is always finished (it was decided
// on bad news); one that raises it is finished only while the primary is
// healthy, and reverted otherwise.
func decideRecovery(in Input) Decision {
	doc, r := in.State, in.Rollout
	it := doc.Intent
	d := Decision{Action: ActionRecover, Writes: true}
	if it.To <= it.From || in.Primary.State == health.Healthy {
		d.To = it.To
		d.Reason = fmt.Sprintf("a previous run (%s) died while moving %s -> %s; finishing it", it.RunID, it.From, it.To)
	} else {
		d.To = it.From
		d.Reason = fmt.Sprintf("a previous run (%s) died while moving %s -> %s and the primary is not known healthy; reverting", it.RunID, it.From, it.To)
	}
	switch {
	case d.To == providers.ShareNone:
		d.Phase, d.Step = state.PhaseSecondary, -1
	case d.To == providers.ShareFull:
		d.Phase, d.Step = state.PhasePrimary, len(r.Steps)-1
	default:
		d.Phase = state.PhaseShifting
		d.Step = stepAtOrBelow(r.Steps, d.To)
		if doc.Phase == state.PhaseManual {
			d.Phase, d.Step = state.PhaseManual, doc.Step
		}
	}
	return d
}

// agreedShare reports whether the targets agree (every pair within the
// coarser resolution of the two) and the share they agree on (the first
// target's).
func agreedShare(obs []TargetShare) (providers.Share, bool) {
	first := obs[0]
	for _, t := range obs[1:] {
		tol := max(t.Resolution, first.Resolution)
		if absDiff(t.Share, first.Share) > tol {
			return first.Share, false
		}
	}
	return first.Share, true
}

func absDiff(a, b providers.Share) providers.Share {
	if a > b {
		return a - b
	}
	return b - a
}

func describeShares(obs []TargetShare) string {
	var parts []string
	for _, t := range obs {
		parts = append(parts, fmt.Sprintf("%s at %s", t.Name, t.Share))
	}
	return joinList(parts)
}

func joinList(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += ", "
		}
		out += p
	}
	return out
}

// verdictDetail names the checks behind a side's state, for reasons.
func verdictDetail(s health.SideHealth) string {
	var parts []string
	for _, c := range s.Checks {
		if c.State == s.State || (s.State == health.Unknown && c.State != health.Healthy) {
			p := c.Name
			switch {
			case c.State == health.Unknown:
				// The last result alone is not a verdict: say so.
				p += ": not enough fresh results yet"
				if c.Detail != "" {
					p += ", last " + c.Detail
				}
			case c.Detail != "":
				p += ": " + c.Detail
			}
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + joinList(parts) + ")"
}
