package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// TestGateNeverMovesOntoASideThatDeliversNothing: a move towards a side
// whose servers are all in maintenance, draining or down (as the target
// reports it) holds with exit 6, naming the target and the side, for every
// command short of --force; a move away from it passes.
func TestGateNeverMovesOntoASideThatDeliversNothing(t *testing.T) {
	now := t0
	const pOut = "every primary server is in MAINT, DRAIN or DOWN (\"p1\" MAINT)"
	const sOut = "every secondary server is in MAINT, DRAIN or DOWN (\"s1\" DRAIN)"
	out := func(a, b providers.Share, primaryOut, secondaryOut string) Observation {
		o := obs(a, b)
		o.Targets[0].PrimaryOut, o.Targets[0].SecondaryOut = primaryOut, secondaryOut
		return o
	}
	baked := func(share providers.Share, step int) *state.Document {
		return doc(state.PhaseShifting, step, share, now.Add(-time.Hour))
	}
	for _, tc := range []struct {
		name    string
		rollout func(*Rollout)
		doc     *state.Document
		obs     Observation
		unwell  bool // the primary is unhealthy
		req     Request
		refused bool
		why     string
	}{
		{name: "the last step with the primary out",
			doc: baked(5000, 3), obs: out(5000, 5000, pOut, ""), refused: true,
			why: `not raising target "a" to 100%: ` + pOut},
		{name: "the next step with the primary out",
			doc: baked(1000, 1), obs: out(1000, 1000, pOut, ""), refused: true, why: pOut},
		{name: "correcting the drift a primary in MAINT makes",
			rollout: func(r *Rollout) { r.OnDrift = "correct" },
			doc:     baked(1000, 1), obs: out(0, 1000, pOut, ""), refused: true, why: pOut},
		{name: "the next step with the secondary out",
			doc: baked(1000, 1), obs: out(1000, 1000, "", sOut)},
		{name: "a rollback with the secondary out",
			doc: baked(5000, 3), obs: out(5000, 5000, "", sOut), unwell: true, refused: true,
			why: `not lowering target "a" to 0%: ` + sOut},
		{name: "a step back with the secondary out",
			rollout: func(r *Rollout) { r.OnUnhealthy = "step_back" },
			doc:     baked(5000, 3), obs: out(5000, 5000, "", sOut), unwell: true, refused: true, why: sOut},
		{name: "a rollback with the primary out",
			doc: baked(5000, 3), obs: out(5000, 5000, pOut, ""), unwell: true},
		{name: "a shift to 100 % with the primary out",
			doc: baked(5000, 3), obs: out(5000, 5000, pOut, ""),
			req: Request{Command: CommandShift, To: 10000}, refused: true, why: pOut},
		{name: "an abort with the secondary out",
			doc: baked(5000, 3), obs: out(5000, 5000, "", sOut),
			req: Request{Command: CommandAbort}, refused: true, why: sOut},
		{name: "a forced shift to 100 % with the primary out",
			doc: baked(5000, 3), obs: out(5000, 5000, pOut, ""),
			req: Request{Command: CommandShift, To: 10000, Force: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testRollout()
			if tc.rollout != nil {
				tc.rollout(&r)
			}
			in := Input{Rollout: r, State: tc.doc, Observed: tc.obs, Primary: healthy(now.Add(-time.Hour)),
				Secondary: healthy(now.Add(-time.Hour)), Now: now, Request: tc.req}
			if tc.unwell {
				in.Primary = unhealthy(now.Add(-time.Minute))
			}
			d := Decide(in)
			if !tc.refused {
				if !d.Writes {
					t.Fatalf("refused: %+v", d)
				}
				return
			}
			if d.Writes || d.Outcome != OutcomeHalted || d.Refused == "" || !strings.Contains(d.Reason, tc.why) {
				t.Fatalf("decision %+v; want a refused move, exit 6, the reason naming %q", d, tc.why)
			}
		})
	}
}
