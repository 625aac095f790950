package engine

import (
	"fmt"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// decideRecovery settles the change a dead run left behind (its intent).
// Finishing it is tried first, then reverting it, each only when the gate
// allows every target's move; when neither is allowed nothing is written,
// the intent stays and a person is asked (exit 6). A hold survives: the one
// the failback has now (a pause made after the run died), else the one the
// dead command was setting (shift, abort).
func decideRecovery(in Input) Decision {
	doc := in.State
	it := doc.Intent
	origin := "a previous run"
	if it.Command != "" && it.Command != CommandReconcile.String() {
		origin = "a previous `fbctl " + it.Command + "`"
	}
	dead := fmt.Sprintf("%s (run %s) died while moving %s -> %s", origin, it.RunID, it.From, it.To)

	finish := settle(in, it.To, true)
	finish.Reason = dead + "; finishing it"
	if it.Reason != "" {
		finish.Reason += " (" + it.Reason + ")"
	}
	finish.Event = it.Event
	if finish.Event == "" || it.Command == CommandResume.String() && in.Request.Command != CommandResume {
		// A reconcile finishing a dead resume moves the targets but
		// lifts no hold: that is a recovery, not a resume.
		finish.Event = string(ActionRecover)
	}
	if in.Primary.State == health.Unhealthy {
		// Settled or not, exit 5 says the primary is unhealthy.
		finish.Outcome = OutcomeUnhealthy
	}
	finishOK, _, whyNot := allowed(in, it.To, it.Command == CommandShift.String())
	revertOK, _, whyNotBack := allowed(in, it.From, false)
	revert := settle(in, it.From, false)
	revert.Event = string(ActionRecover)
	revert.Outcome = finish.Outcome
	// Where both are allowed, a rollout's lowering is finished only onto a
	// secondary known healthy when the primary is healthy again: the bad
	// news it was decided on is over, and the secondary's pending failures
	// are not good news. A person's shift or abort is finished wherever the
	// gate allows: the person decided.
	fromRollout := it.Command == "" || it.Command == CommandReconcile.String()
	if fromRollout && finishOK && revertOK && it.To < it.From && in.Secondary.State != health.Healthy && in.Primary.State == health.Healthy {
		revert.Reason = dead + "; reverting it: the primary is healthy again and the secondary is not known healthy" + verdictDetail(in.Secondary)
		return revert
	}
	if finishOK {
		return finish
	}
	revert.Reason = dead + "; reverting it (finishing it: " + whyNot + ")"
	if revertOK {
		return revert
	}
	d := keep(in)
	d.Outcome = OutcomeHalted
	d.Refused = ActionRecover
	d.Reason = fmt.Sprintf("%s; neither finishing it (%s) nor reverting it (%s) is safe: holding the targets as they are (%s) for a person",
		dead, whyNot, whyNotBack, describeShares(in.Observed.Targets))
	return d
}

// settle is the position after moving to s while settling a leftover
// intent: finishing it takes the position the dead command was going to
// record; either way a hold survives.
func settle(in Input, s providers.Share, finish bool) Decision {
	doc, it := in.State, in.State.Intent
	d := moveTo(in, ActionRecover, s, "")
	if finish && it.Phase != "" {
		d.Phase, d.Step = it.Phase, stepAtOrBelow(in.Rollout.Steps, s)
		if it.Phase == state.PhaseSecondary {
			d.Step = -1
		}
		d.Cycle = max(doc.Cycle, it.Cycle)
		if it.CooldownUntil.After(d.CooldownUntil) {
			d.CooldownUntil = it.CooldownUntil
		}
	}
	switch {
	case held(doc.Phase):
		d.Phase, d.Hold = doc.Phase, doc.Hold
		d.Step = stepAtOrBelow(in.Rollout.Steps, s)
	case it.Hold != nil:
		d.Phase, d.Hold = it.Phase, it.Hold
		d.Step = stepAtOrBelow(in.Rollout.Steps, s)
		if it.CooldownUntil.After(d.CooldownUntil) {
			d.CooldownUntil = it.CooldownUntil
		}
	}
	if !knownPhase(d.Phase) {
		d.Phase, d.Step = placed(in.Rollout, s)
	}
	return d
}
