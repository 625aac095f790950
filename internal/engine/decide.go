package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/rollout"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// Rollout paces a failback; it mirrors the policy's rollout block.
type Rollout struct {
	Steps             []providers.Share
	Bake              time.Duration
	PrimaryHealthyFor time.Duration
	OnUnhealthy       rollout.OnUnhealthy
	Cooldown          time.Duration
	OnDrift           rollout.OnDrift
	Approval          rollout.Approval
}

// Action is what a decision does.
type Action string

const (
	// ActionHold changes nothing.
	ActionHold Action = "hold"
	// ActionShift raises the primary's share to the next step, or sets
	// the share a person asked for (`fbctl shift`).
	ActionShift Action = "shift"
	// ActionStepBack lowers the share to the step below.
	ActionStepBack Action = "step_back"
	// ActionRollback moves all traffic back to the secondary.
	ActionRollback Action = "rollback"
	// ActionHalt records that a person must decide; nothing is written.
	ActionHalt Action = "halt"
	// ActionAdopt records the observed share as the state; nothing is written.
	ActionAdopt Action = "adopt"
	// ActionCorrect writes the recorded share (or, when that would skip a
	// step, the next step) back over drifted targets.
	ActionCorrect Action = "correct"
	// ActionNewCycle records an external failover (the primary, at 100 %,
	// is observed at 0): back to the secondary phase, nothing is written.
	ActionNewCycle Action = "new_cycle"
	// ActionRecover finishes or reverts a change a dead run left behind.
	ActionRecover Action = "recover"
	// ActionAbort moves all traffic to the secondary and holds there.
	ActionAbort Action = "abort"
	// ActionResume lifts a hold.
	ActionResume Action = "resume"
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

// Command is the command that asks for a decision.
type Command int

const (
	// CommandReconcile: a scheduled or manual run of the rollout.
	CommandReconcile Command = iota
	// CommandShift: `fbctl shift NAME --percent N`.
	CommandShift
	// CommandAbort: `fbctl abort NAME`.
	CommandAbort
	// CommandResume: `fbctl resume NAME`.
	CommandResume
)

var commandNames = [...]string{CommandReconcile: "reconcile", CommandShift: "shift", CommandAbort: "abort", CommandResume: "resume"}

func (c Command) String() string {
	if c >= 0 && int(c) < len(commandNames) {
		return commandNames[c]
	}
	return fmt.Sprintf("Command(%d)", int(c))
}

// Request is what a command asks of Decide. The zero Request is a
// reconcile.
type Request struct {
	Command Command
	// To is the share a shift asks for.
	To providers.Share
	// Force bypasses the health gate (shift, abort); it is recorded.
	Force  bool
	Actor  string
	Reason string
}

// Observation is what the targets reported, in declared order.
type Observation struct {
	Targets []TargetShare
}

// TargetShare is one target's live share and resolution, and, for a
// target that reports it (providers.SideReporter), why a side of it can
// deliver nothing ("" when it can, or when the target cannot tell).
type TargetShare struct {
	Name                     string
	Share                    providers.Share
	Resolution               providers.Share
	PrimaryOut, SecondaryOut string
}

// Input is everything Decide looks at.
type Input struct {
	Rollout   Rollout
	State     *state.Document
	Observed  Observation
	Primary   health.SideHealth
	Secondary health.SideHealth
	Now       time.Time
	Request   Request
}

// Decision is what to do now, and where the failback stands after it.
type Decision struct {
	Action Action
	// To is the share after the decision: written to the targets when
	// Writes, else recorded (adopt, resume) or kept.
	To providers.Share
	// The position after the decision: phase, step (the index of the
	// largest step at or below To, -1 on the secondary), the hold (nil
	// when none), the end of the cooldown and the cycle.
	Phase         state.Phase
	Step          int
	Hold          *state.Hold
	CooldownUntil time.Time
	Cycle         int
	// Event is the history event that records the decision ("" for none).
	Event string
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
	// Forced is set when a person's --force bypassed the health gate.
	Forced bool
	// Refused is set when the health gate (or a leftover change) turned
	// the command's move into a hold; it names the move refused.
	Refused Action
}

// Decide is the decision table of DESIGN.md ("One run", step 4), for every
// command that can move traffic. It is pure: no I/O, no clock.
//
// Every decision that writes passes through one health gate (see gate): a
// move that gives any target a larger primary share than it carries now
// (its observed share, or the recorded one when the target reads back what
// fbctl last set) needs a primary healthy on fresh evidence, a move that
// gives any target less needs a secondary that is not unhealthy, and a raise
// by the rollout goes at most to the next step of the policy above the
// target's share. A move that raises a target whose primary side delivers
// nothing (every server in maintenance, draining or down), or lowers one
// whose secondary side delivers nothing, halts (exit 6): it would move no
// traffic, and at 100 % or 0 % it would leave the side that delivers
// nothing as the only one with weight. A refused move holds. Only a person's --force bypasses
// the gate, and it is recorded. Steps are shares, never indexes: the next
// step is the smallest step of the current policy above the share.
//
// Reconcile, first match wins:
//
//	unknown phase, share outside 0-100 %         halt (exit 6); nothing is written
//	halted                                       hold (exit 6) until resume, even with a change unsettled
//	leftover intent                              recover: finish it if the gate allows, else revert it if the
//	                                             gate allows, else hold (exit 6) and keep the intent; a hold
//	                                             stays. The rollout's lowering is reverted rather than
//	                                             finished when the primary is healthy again and the
//	                                             secondary is not known healthy. Exit 5 on an unhealthy primary
//	paused / manual                              hold until resume (drift is reported, nothing changes)
//	phase primary, every target observed at 0    new_cycle: an external failover; back to secondary, cycle+1
//	targets disagree with each other             on_drift correct: as below; else halt
//	targets disagree with the state              on_drift halt | adopt (record observed) | correct: the
//	                                             on_unhealthy move when the primary is unhealthy, else the
//	                                             recorded share, at most the next step above the lowest target
//	secondary, in cooldown                       hold until the cooldown ends (exit 5 if the primary is unhealthy)
//	secondary, primary healthy >= healthy_for    approval missing: hold; else shift to the first step
//	secondary, otherwise                         hold (exit 5 if the primary is unhealthy)
//	shifting, primary unhealthy                  on_unhealthy: rollback | step_back | hold; a move onto an
//	                                             unhealthy secondary is held instead (exit 6)
//	shifting, primary not known healthy          hold: stale or pending evidence never raises the share
//	shifting, healthy through bake               approval missing: hold; else shift to the next step above
//	                                             the share (100: primary)
//	shifting, otherwise                          hold until the bake ends
//	primary                                      hold (exit 5 if the primary is unhealthy)
//
// The policy's gate blocks are not Decide's: the engine asks them about a
// raise Decide proposes, before anything is recorded (see consultGates).
//
// Shift sets the requested share and holds it (phase manual); abort moves
// to 0, pauses and starts the cooldown; both go through the gate unless
// forced, and refuse while a dead run's change is unsettled (shift) or
// replace it (abort). Resume settles a leftover change like a reconcile
// (refusing when that is unsafe), then lifts the hold and takes the
// targets' agreed share.
func Decide(in Input) Decision {
	return gate(in, propose(in))
}

// propose is the decision table before the gate.
func propose(in Input) Decision {
	switch in.Request.Command {
	case CommandShift:
		return decideShift(in)
	case CommandAbort:
		return decideAbort(in)
	case CommandResume:
		return decideResume(in)
	}
	return decideReconcile(in)
}

// keep is the decision that changes nothing: the position as recorded.
func keep(in Input) Decision {
	doc := in.State
	return Decision{Action: ActionHold, To: doc.Share, Phase: doc.Phase, Step: doc.Step, Hold: doc.Hold,
		CooldownUntil: doc.CooldownUntil, Cycle: doc.Cycle}
}

// held reports whether a phase is a person's (or a halt's) hold, which
// only resume lifts.
func held(p state.Phase) bool {
	return p == state.PhasePaused || p == state.PhaseManual || p == state.PhaseHalted
}

func knownPhase(p state.Phase) bool {
	switch p {
	case state.PhaseSecondary, state.PhaseShifting, state.PhasePrimary, state.PhaseManual, state.PhasePaused, state.PhaseHalted:
		return true
	}
	return false
}

// placed is the unheld phase and step of a share.
func placed(r Rollout, s providers.Share) (state.Phase, int) {
	switch {
	case s <= providers.ShareNone:
		return state.PhaseSecondary, -1
	case s >= providers.ShareFull:
		return state.PhasePrimary, len(r.Steps) - 1
	}
	return state.PhaseShifting, stepAtOrBelow(r.Steps, s)
}

// moveTo is a decision that moves every target to s, unheld.
func moveTo(in Input, a Action, s providers.Share, reason string) Decision {
	d := keep(in)
	d.Action, d.To, d.Reason, d.Writes, d.Event = a, s, reason, true, string(a)
	d.Hold = nil
	d.Phase, d.Step = placed(in.Rollout, s)
	return d
}

func decideReconcile(in Input) Decision {
	doc := in.State
	if why := implausible(doc); why != "" {
		d := keep(in)
		d.Action, d.Phase, d.Outcome, d.Event = ActionHalt, state.PhaseHalted, OutcomeHalted, string(ActionHalt)
		d.Reason = why + "; halted for a person: nothing is written until `fbctl resume`"
		d.Hold = &state.Hold{By: "fbctl", At: in.Now, Reason: d.Reason}
		return d
	}
	if doc.Phase == state.PhaseHalted {
		// A halt (a failed put-back among them) waits for a person, even
		// with a change left unsettled: resume settles it.
		return decideHeld(in)
	}
	if doc.Intent != nil {
		return decideRecovery(in)
	}
	if held(doc.Phase) {
		return decideHeld(in)
	}
	if d, ok := decideDrift(in); ok {
		return d
	}
	switch doc.Phase {
	case state.PhaseSecondary:
		return decideSecondary(in)
	case state.PhaseShifting:
		return decideShifting(in)
	}
	d := keep(in)
	d.Reason = "failback complete: the primary has all the traffic"
	if in.Primary.State == health.Unhealthy {
		d.Outcome = OutcomeUnhealthy
		d.Reason += "; the primary is unhealthy" + verdictDetail(in.Primary)
	}
	return d
}

// implausible says what in a state document no decision can stand on: an
// unknown phase, a share outside 0-100 %, a leftover change with shares
// outside it; "" when nothing.
func implausible(doc *state.Document) string {
	if !knownPhase(doc.Phase) {
		return fmt.Sprintf("unknown phase %q in the state", doc.Phase)
	}
	return implausibleShares(doc)
}

// implausibleShares is implausible's part about shares.
func implausibleShares(doc *state.Document) string {
	valid := func(s providers.Share) bool { return s >= providers.ShareNone && s <= providers.ShareFull }
	switch {
	case !valid(doc.Share):
		return fmt.Sprintf("the recorded share %s is outside 0-100%%", doc.Share)
	case doc.Intent != nil && (!valid(doc.Intent.From) || !valid(doc.Intent.To)):
		return fmt.Sprintf("the unsettled change %s -> %s is outside 0-100%%", doc.Intent.From, doc.Intent.To)
	}
	return ""
}

// decideHeld: paused, manual and halted failbacks change nothing until
// resume, whatever the targets or the checks say.
func decideHeld(in Input) Decision {
	doc := in.State
	d := keep(in)
	switch doc.Phase {
	case state.PhaseHalted:
		d.Outcome = OutcomeHalted
		d.Reason = "halted"
		if doc.Hold != nil && doc.Hold.Reason != "" {
			d.Reason = "halted: " + doc.Hold.Reason
		}
		if doc.Intent != nil {
			d.Reason += fmt.Sprintf("; a change %s -> %s is unsettled", doc.Intent.From, doc.Intent.To)
		}
		d.Reason += "; run `fbctl resume` once a person has decided"
	case state.PhasePaused:
		d.Reason = "paused; `fbctl resume` continues"
	default:
		d.Reason = fmt.Sprintf("held at %s by `fbctl shift`; `fbctl resume` hands control back", doc.Share)
		if in.Primary.State == health.Unhealthy {
			d.Outcome = OutcomeUnhealthy
			d.Reason += "; the primary is unhealthy"
		}
	}
	if what, drift := driftOf(in); drift {
		d.Drift = true
		d.Reason += "; " + what + " (nothing changes while held; resume takes the targets as they are)"
	}
	return d
}

func decideSecondary(in Input) Decision {
	r, doc, now := in.Rollout, in.State, in.Now
	d := keep(in)
	if now.Before(doc.CooldownUntil) {
		d.Reason = fmt.Sprintf("cooling down after a rollback until %s", doc.CooldownUntil.UTC().Format(time.RFC3339))
		d.WaitUntil = doc.CooldownUntil
		if in.Primary.State == health.Unhealthy {
			d.Outcome = OutcomeUnhealthy
			d.Reason += "; the primary is unhealthy" + verdictDetail(in.Primary)
		}
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
		for _, c := range in.Primary.Checks {
			if c.Stale != nil {
				// The streak is short because the runs are too far
				// apart: without this, a hold that never ends says
				// only "healthy for 0s".
				d.Reason += fmt.Sprintf(" (%s: %s)", c.Name, c.Stale)
				break
			}
		}
		d.WaitUntil = stable
		return d
	}
	next, ok := NextStep(r.Steps, doc.Share)
	if !ok {
		return d
	}
	if needsApproval(r, doc, next) {
		d.NeedsApproval = true
		d.Reason = fmt.Sprintf("the primary is stable; the first step (%s) waits for `fbctl approve`", next)
		return d
	}
	return moveTo(in, ActionShift, next, fmt.Sprintf("the primary has been healthy for %s", now.Sub(in.Primary.Since).Truncate(time.Second)))
}

func decideShifting(in Input) Decision {
	r, doc, now := in.Rollout, in.State, in.Now
	d := keep(in)
	switch in.Primary.State {
	case health.Unhealthy:
		return decideUnhealthy(in)
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
	next, ok := NextStep(r.Steps, doc.Share)
	if !ok {
		// At the last step but not yet recorded as primary.
		d.Phase, d.Step = placed(r, doc.Share)
		d.Reason = "failback complete"
		return d
	}
	if needsApproval(r, doc, next) {
		d.NeedsApproval = true
		d.Reason = fmt.Sprintf("%s baked; the next step (%s) waits for `fbctl approve`", doc.Share, next)
		return d
	}
	return moveTo(in, ActionShift, next, fmt.Sprintf("%s baked for %s with the primary healthy", doc.Share, r.Bake))
}

// decideUnhealthy is on_unhealthy at the recorded share.
func decideUnhealthy(in Input) Decision {
	r, doc, now := in.Rollout, in.State, in.Now
	d := keep(in)
	why := "the primary is unhealthy" + verdictDetail(in.Primary)
	d.Outcome = OutcomeUnhealthy
	prev, hasPrev := prevStep(r.Steps, doc.Share)
	mode := r.OnUnhealthy
	if mode == rollout.StepBack && !hasPrev {
		mode = rollout.Rollback
	}
	if mode == rollout.HoldOnUnhealthy {
		d.Reason = fmt.Sprintf("%s; holding at %s (on_unhealthy = hold)", why, doc.Share)
		return d
	}
	if in.Secondary.State == health.Unhealthy {
		d.Outcome = OutcomeHalted
		d.Reason = fmt.Sprintf("%s, but the secondary is unhealthy too%s: holding at %s instead of moving traffic onto it", why, verdictDetail(in.Secondary), doc.Share)
		return d
	}
	if mode == rollout.StepBack {
		d := moveTo(in, ActionStepBack, prev, why+"; stepping back")
		d.Outcome = OutcomeUnhealthy
		return d
	}
	d = moveTo(in, ActionRollback, providers.ShareNone, why+"; rolling back")
	d.Outcome = OutcomeUnhealthy
	d.CooldownUntil = now.Add(r.Cooldown)
	d.WaitUntil = d.CooldownUntil
	d.Cycle = doc.Cycle + 1
	return d
}

// NextStep is the smallest step above s; false when s is at or above the
// last step.
func NextStep(steps []providers.Share, s providers.Share) (providers.Share, bool) {
	for _, st := range steps {
		if st > s {
			return st, true
		}
	}
	return 0, false
}

// prevStep is the largest step below s; false when there is none.
func prevStep(steps []providers.Share, s providers.Share) (providers.Share, bool) {
	out, ok := providers.Share(0), false
	for _, st := range steps {
		if st < s {
			out, ok = st, true
		}
	}
	return out, ok
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

// needsApproval says whether moving to the step next waits for `fbctl
// approve`. An approval names the share it lets through, so a policy edit
// that renumbers the steps cannot turn it into another step's.
func needsApproval(r Rollout, doc *state.Document, next providers.Share) bool {
	switch r.Approval {
	case rollout.EveryStep:
	case rollout.FirstStep:
		if doc.Share != providers.ShareNone {
			return false
		}
	default:
		return false
	}
	for _, a := range doc.Approvals {
		if a.Cycle == doc.Cycle && a.To == next {
			return false
		}
	}
	return true
}

// agreedShare reports whether the targets agree (every pair within the
// coarser resolution of the two) and the share they agree on (the first
// target's).
func agreedShare(obs []TargetShare) (providers.Share, bool) {
	if len(obs) == 0 {
		return 0, true
	}
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
	return strings.Join(parts, ", ")
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
				if c.Stale != nil {
					p += "; " + c.Stale.String()
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
	return " (" + strings.Join(parts, ", ") + ")"
}
