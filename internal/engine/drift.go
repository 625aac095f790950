package engine

import (
	"fmt"
	"strings"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/rollout"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// driftOf compares the observation with the state and the targets with
// each other.
func driftOf(in Input) (string, bool) {
	doc, obs := in.State, in.Observed.Targets
	if len(obs) == 0 {
		return "", false
	}
	if _, agree := agreedShare(obs); !agree {
		return fmt.Sprintf("drift: the targets disagree (%s)", describeShares(obs)), true
	}
	var drifted []string
	for _, t := range obs {
		want, seen := doc.Observed[t.Name]
		switch {
		case seen && t.Share != want:
			drifted = append(drifted, fmt.Sprintf("%s at %s (was %s)", t.Name, t.Share, want))
		case !seen && absDiff(t.Share, doc.Share) > t.Resolution:
			// A target the state has not seen yet should be at the share.
			drifted = append(drifted, fmt.Sprintf("%s at %s", t.Name, t.Share))
		}
	}
	if len(drifted) == 0 {
		return "", false
	}
	return fmt.Sprintf("drift: recorded share %s, but %s", doc.Share, strings.Join(drifted, ", ")), true
}

// decideDrift handles an external failover, a first run and drift, for an
// unheld failback. It returns ok=false when there is nothing of the kind.
func decideDrift(in Input) (Decision, bool) {
	doc, r := in.State, in.Rollout
	obs := in.Observed.Targets
	if len(obs) == 0 {
		return Decision{}, false
	}
	agreed, agree := agreedShare(obs)

	// An external failover: complete, then every target at 0.
	if doc.Phase == state.PhasePrimary && agree && agreed == providers.ShareNone {
		d := keep(in)
		d.Action, d.To, d.Event = ActionNewCycle, providers.ShareNone, "external_failover"
		d.Phase, d.Step = placed(r, providers.ShareNone)
		d.Cycle = doc.Cycle + 1
		d.Reason = "every target is at 0 after a completed failback: an external failover happened; starting a new cycle"
		return d, true
	}
	// A failback never recorded, whose targets all send everything to the
	// primary: that is where it starts.
	if doc.Version == 0 && len(doc.Observed) == 0 && agree && agreed == providers.ShareFull {
		d := keep(in)
		d.Action, d.To, d.Event = ActionAdopt, agreed, string(ActionAdopt)
		d.Phase, d.Step = placed(r, agreed)
		d.Reason = "first run: every target already sends all traffic to the primary"
		return d, true
	}
	what, drift := driftOf(in)
	if !drift {
		return Decision{}, false
	}
	mode := r.OnDrift
	if mode == rollout.Adopt && !agree {
		// Nothing consistent to adopt.
		mode = rollout.Halt
		what += "; nothing consistent to adopt"
	}
	switch mode {
	case rollout.Correct:
		return decideCorrect(in, what), true
	case rollout.Adopt:
		d := keep(in)
		d.Action, d.To, d.Drift, d.Event = ActionAdopt, agreed, true, string(ActionAdopt)
		d.Phase, d.Step = placed(r, agreed)
		d.Reason = what + fmt.Sprintf("; adopting %s", agreed)
		return d, true
	default:
		d := keep(in)
		d.Action, d.Phase, d.Outcome, d.Drift, d.Event = ActionHalt, state.PhaseHalted, OutcomeHalted, true, string(ActionHalt)
		d.Reason = what + "; halted (on_drift = halt)"
		d.Hold = &state.Hold{By: "fbctl", At: in.Now, Reason: d.Reason, Resume: doc.Phase}
		return d, true
	}
}

// decideCorrect writes the share the rollout wants over drifted targets.
// Health comes first: with the primary unhealthy the move is on_unhealthy's
// (a rollback writes 0 everywhere). Otherwise it is the recorded share,
// except that no target is raised past the next step above its share: a
// target someone moved down climbs back in steps, and the others step down
// to meet it and bake again.
func decideCorrect(in Input, what string) Decision {
	doc, r := in.State, in.Rollout
	if in.Primary.State == health.Unhealthy && doc.Share > providers.ShareNone {
		d := decideUnhealthy(in)
		d.Drift = true
		d.Reason = what + "; " + d.Reason
		return d
	}
	want := doc.Share
	lowest := providers.ShareFull
	for _, t := range in.Observed.Targets {
		lowest = min(lowest, atShare(doc, t))
	}
	if next, ok := NextStep(r.Steps, lowest); ok && want > next {
		want = next
	}
	d := moveTo(in, ActionCorrect, want, what+fmt.Sprintf("; correcting to %s", want))
	if want != doc.Share {
		d.Reason = what + fmt.Sprintf("; correcting to %s, the next step above %s (the recorded %s would skip steps)", want, lowest, doc.Share)
	}
	d.Drift = true
	return d
}
