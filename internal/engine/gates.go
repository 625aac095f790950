package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// Move is the raise a gate is asked about: the failback, its cycle, the
// recorded share it starts from, the share it goes to and the phase after
// it.
type Move struct {
	Failback string
	Cycle    int
	From, To providers.Share
	Phase    state.Phase
}

// Gate is a policy's `gate` block: asked yes or no about a raise the
// decision proposes, before anything is written. Consult never panics, is
// bounded by its own timeout, and reports every failure (an error, a
// timeout, an answer it cannot read) as a Result that does not pass; its
// Detail is for people and never holds a secret.
type Gate interface {
	Consult(ctx context.Context, m Move) providers.Result
}

// CheckGate makes a check a gate: each consultation is one probe, judged
// alone (a gate keeps no evidence: it is a yes or no now).
type CheckGate struct{ Check providers.Check }

// Consult probes the check once.
func (g CheckGate) Consult(ctx context.Context, _ Move) providers.Result { return g.Check.Probe(ctx) }

// NamedGate is a gate block's name, kind and behaviour.
type NamedGate struct {
	Name string
	Kind string
	Gate Gate
	// Calls is set for a gate whose consultation tells someone of the move
	// and may start something there (a webhook): plan never calls it.
	Calls bool
}

// GateState is what a gate said about a run's raise.
type GateState string

const (
	// GatePass: the gate let the raise through.
	GatePass GateState = "pass"
	// GateHold: the gate held the share.
	GateHold GateState = "hold"
	// GateNotCalled: plan does not call a gate that tells someone of the
	// move (a webhook).
	GateNotCalled GateState = "not_called"
	// GateSkipped: an earlier gate held, so this one was not asked.
	GateSkipped GateState = "skipped"
)

// GateVerdict is one gate's answer in a run.
type GateVerdict struct {
	Name   string
	Kind   string
	State  GateState
	Detail string
}

// gated says whether d is a raise the gates are asked about: a move the
// rollout decides that gives any target a larger primary share (the next
// step, a drift correction that climbs back), or a person's shift that
// does, unless forced. Lowering moves, holds, a dead run's change being
// settled (recover: it was gated before its intent was recorded, or was a
// person's) and resume are never gated.
func (r *run) gated(d Decision) bool {
	if !d.Writes || d.Forced || (d.Action != ActionShift && d.Action != ActionCorrect) {
		return false
	}
	raise, _, _ := moves(Input{State: r.doc, Observed: Observation{Targets: r.report.Observed}, Rollout: r.fb.Rollout}, d.To)
	return raise
}

// consultGates asks the failback's gates, in declared order, about the
// raise d proposes, after Decide and before anything is recorded or
// written; the first that does not pass holds the share (the rest are not
// asked). A held raise is a hold that keeps the recorded position: no
// intent, no write, no event; its Reason names the gate and what it said.
// A gate never lowers the share. With dryRun (plan) the gates that tell
// someone of the move are not called.
//
// An interrupted run (ctx done) stops here with ctx's error: nothing is
// decided on a gate cut short.
func (r *run) consultGates(ctx context.Context, d Decision, dryRun bool) (Decision, error) {
	if len(r.fb.Gates) == 0 || !r.gated(d) {
		return d, nil
	}
	m := Move{Failback: r.fb.Name, Cycle: d.Cycle, From: r.doc.Share, To: d.To, Phase: d.Phase}
	var holding *GateVerdict
	verdicts := make([]GateVerdict, 0, len(r.fb.Gates))
	for _, g := range r.fb.Gates {
		v := GateVerdict{Name: g.Name, Kind: g.Kind}
		switch {
		case holding != nil:
			v.State = GateSkipped
		case dryRun && g.Calls:
			v.State, v.Detail = GateNotCalled, "plan does not call "+g.Kind+" gates"
		default:
			// A gate judges now, on the engine's clock (a prometheus
			// gate's evaluation time); an unknown result holds.
			res := g.Gate.Consult(providers.WithNow(ctx, r.e.o.Now()), m)
			if err := ctx.Err(); err != nil {
				return d, fmt.Errorf("consulting gate %q: %w", g.Name, err)
			}
			v.State, v.Detail = GatePass, res.Detail
			if !res.Healthy {
				v.State = GateHold
			}
		}
		verdicts = append(verdicts, v)
		if v.State == GateHold {
			holding = &verdicts[len(verdicts)-1]
		}
	}
	r.report.Gates = verdicts
	if holding == nil {
		return d, nil
	}
	h := keep(Input{State: r.doc})
	h.Refused, h.Drift = d.Action, d.Drift
	detail := holding.Detail
	if detail == "" {
		detail = "no reason given"
	}
	h.Reason = fmt.Sprintf("gate %q holds the share at %s: %s", holding.Name, r.doc.Share, detail)
	if r.request.Command == CommandShift {
		// A person asked for the raise: refused like a move the health
		// gate refuses onto an unhealthy secondary, for a person (exit 6;
		// --force bypasses).
		h.Outcome = OutcomeHalted
		h.Reason = fmt.Sprintf("not raising the primary's share to %s: gate %q holds: %s", d.To, holding.Name, detail)
	} else if d.Reason != "" {
		h.Reason += "; wanted to " + strings.ReplaceAll(string(d.Action), "_", " ") + " to " + d.To.String() + " because " + d.Reason
	}
	r.report.Decision = h
	return h, nil
}
