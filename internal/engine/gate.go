package engine

import (
	"fmt"
	"strings"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// gate is the one health gate every move passes through (see Decide). A
// refused move becomes a hold that keeps the recorded position.
func gate(in Input, d Decision) Decision {
	if !d.Writes || d.Forced {
		return d
	}
	// A person's shift may jump to any share; finishing one a dead run
	// left behind may too. Both still need the health gate.
	it := in.State.Intent
	manual := in.Request.Command == CommandShift || it != nil && it.Command == CommandShift.String() && d.To == it.To
	ok, outcome, whyNot := allowed(in, d.To, manual)
	if ok {
		return d
	}
	h := keep(in)
	h.Refused, h.Outcome, h.Drift = d.Action, outcome, d.Drift
	h.Reason = whyNot
	if in.Request.Command == CommandReconcile && d.Reason != "" {
		h.Reason += "; wanted to " + strings.ReplaceAll(string(d.Action), "_", " ") + " because " + d.Reason
	}
	return h
}

// allowed says whether moving every target to s passes the gate, and if
// not, the outcome of holding and why not. manual exempts the raise from
// the next-step rule (a person asked for that share).
func allowed(in Input, s providers.Share, manual bool) (bool, Outcome, string) {
	raise, lower, skip := moves(in, s)
	if why := stranded(in, s); why != "" {
		return false, OutcomeHalted, why
	}
	switch {
	case raise && in.Primary.State != health.Healthy:
		outcome := OutcomeOK
		if in.Primary.State == health.Unhealthy {
			outcome = OutcomeUnhealthy
		}
		return false, outcome, fmt.Sprintf("not raising the primary's share to %s: the primary is not known healthy%s", s, verdictDetail(in.Primary))
	case raise && skip && !manual:
		return false, OutcomeHalted, fmt.Sprintf("not raising a target to %s: that is past the next step of the rollout above its share", s)
	case lower && in.Secondary.State == health.Unhealthy:
		return false, OutcomeHalted, "not moving traffic to the secondary: it is unhealthy" + verdictDetail(in.Secondary)
	}
	return true, OutcomeOK, ""
}

// moves says whether moving every target to s raises any target's primary
// share, lowers any, and raises any past the next step above its share.
func moves(in Input, s providers.Share) (raise, lower, skip bool) {
	for _, t := range in.Observed.Targets {
		at := atShare(in.State, t)
		switch {
		case s > at:
			raise = true
			if next, ok := NextStep(in.Rollout.Steps, at); !ok || s > next {
				skip = true
			}
		case s < at:
			lower = true
		}
	}
	return raise, lower, skip
}

// atShare is the share a target carries now, against which the gate
// judges a move: the recorded share when the target reads back what fbctl
// last recorded for it, its observed share otherwise (drifted, or a target
// the state has not seen yet).
func atShare(doc *state.Document, t TargetShare) providers.Share {
	if doc.Share < providers.ShareNone || doc.Share > providers.ShareFull {
		// A recorded share no target can carry vouches for nothing.
		return t.Share
	}
	if want, seen := doc.Observed[t.Name]; seen && t.Share == want {
		return doc.Share
	}
	return t.Share
}

// stranded says why moving every target to s would move a target towards a
// side that delivers nothing ("" when it would not): such a move shifts no
// traffic, and at 100 % or 0 % it leaves that side the only one with
// weight, which fails every request.
func stranded(in Input, s providers.Share) string {
	for _, t := range in.Observed.Targets {
		at := atShare(in.State, t)
		switch {
		case s > at && t.PrimaryOut != "":
			return fmt.Sprintf("not raising target %q to %s: %s; not moving traffic onto a side that delivers nothing", t.Name, s, t.PrimaryOut)
		case s < at && t.SecondaryOut != "":
			return fmt.Sprintf("not lowering target %q to %s: %s; not moving traffic onto a side that delivers nothing", t.Name, s, t.SecondaryOut)
		}
	}
	return ""
}
