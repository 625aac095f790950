package engine

import (
	"fmt"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

func decideShift(in Input) Decision {
	doc, req := in.State, in.Request
	if doc.Intent != nil {
		d := keep(in)
		d.Outcome, d.Refused = OutcomeHalted, ActionRecover
		d.Reason = fmt.Sprintf("a previous run died mid-change (run %s, %s -> %s); run `fbctl reconcile` or `fbctl resume` to settle it first",
			doc.Intent.RunID, doc.Intent.From, doc.Intent.To)
		return d
	}
	resume := doc.Phase
	if doc.Hold != nil && doc.Hold.Resume != "" {
		resume = doc.Hold.Resume
	}
	// A shift to the share the state records and every target delivers
	// moves nothing: it only makes the phase manual, or, when the failback
	// is already held there, changes nothing and records nothing.
	raise, lower, _ := moves(in, req.To)
	if doc.Share == req.To && !raise && !lower {
		if doc.Phase == state.PhaseManual {
			d := keep(in)
			d.Reason = fmt.Sprintf("already held at %s (manual): nothing changed, nothing recorded", req.To)
			return d
		}
		d := keep(in)
		d.Action, d.Forced, d.Event = ActionShift, req.Force, "manual_shift"
		d.Phase, d.Step = state.PhaseManual, stepAtOrBelow(in.Rollout.Steps, req.To)
		d.Hold = &state.Hold{By: req.Actor, At: in.Now, Reason: req.Reason, Forced: req.Force, Resume: resume}
		d.Reason = fmt.Sprintf("manual shift: held at %s, the share the targets already deliver (%s -> manual)", req.To, doc.Phase)
		return d
	}
	d := keep(in)
	d.Action, d.To, d.Writes, d.Forced, d.Event = ActionShift, req.To, true, req.Force, "manual_shift"
	d.Phase, d.Step = state.PhaseManual, stepAtOrBelow(in.Rollout.Steps, req.To)
	d.Hold = &state.Hold{By: req.Actor, At: in.Now, Reason: req.Reason, Forced: req.Force, Resume: resume}
	d.Reason = fmt.Sprintf("manual shift to %s", req.To)
	return d
}

func decideAbort(in Input) Decision {
	doc, req := in.State, in.Request
	d := keep(in)
	d.Action, d.To, d.Forced, d.Event = ActionAbort, providers.ShareNone, req.Force, string(ActionAbort)
	d.Phase, d.Step = state.PhasePaused, -1
	d.Hold = &state.Hold{By: req.Actor, At: in.Now, Reason: "aborted: " + req.Reason, Forced: req.Force, Resume: state.PhaseSecondary}
	d.CooldownUntil = in.Now.Add(in.Rollout.Cooldown)
	d.Cycle = doc.Cycle + 1
	d.Reason = "abort: all traffic to the secondary"
	d.Writes = doc.Share != providers.ShareNone || doc.Intent != nil
	for _, t := range in.Observed.Targets {
		d.Writes = d.Writes || t.Share != providers.ShareNone
	}
	return d
}

func decideResume(in Input) Decision {
	doc, r := in.State, in.Rollout
	if why := implausibleShares(doc); why != "" {
		// An unknown phase alone is for resume to clear; shares no
		// target can carry are not something to settle or take.
		d := keep(in)
		d.Outcome, d.Refused = OutcomeHalted, ActionResume
		d.Reason = "cannot resume: " + why + "; `fbctl abort` (or `fbctl shift`) sets a share every target can carry"
		return d
	}
	if doc.Intent != nil {
		d := decideRecovery(in)
		if d.Refused != "" {
			d.Refused = ActionResume
			d.Reason = "cannot resume: " + d.Reason
			return d
		}
		d.Action, d.Event = ActionResume, string(ActionResume)
		d.Hold = nil
		d.Phase, d.Step = placed(r, d.To)
		d.Reason = "resume: " + d.Reason
		return d
	}
	if !held(doc.Phase) {
		d := keep(in)
		d.Reason = fmt.Sprintf("not held: the failback is %s", doc.Phase)
		return d
	}
	share, agree := agreedShare(in.Observed.Targets)
	if !agree {
		d := keep(in)
		d.Outcome, d.Refused = OutcomeHalted, ActionResume
		d.Reason = fmt.Sprintf("cannot resume: the targets disagree (%s); set them to one share first, e.g. with `fbctl shift`", describeShares(in.Observed.Targets))
		return d
	}
	if len(in.Observed.Targets) == 0 {
		share = doc.Share
	}
	d := keep(in)
	d.Action, d.To, d.Event, d.Hold = ActionResume, share, string(ActionResume), nil
	d.Phase, d.Step = placed(r, share)
	d.Reason = fmt.Sprintf("resumed at %s, the share the targets read", share)
	return d
}
