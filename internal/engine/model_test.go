package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/rollout"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// The model-based proof of Decide: every input Decide reads is drawn from a
// bounded domain, and every decision is checked against DESIGN.md's safety
// invariants by a checker written from the invariants, not from Decide.
//
// The domain has two parts. The core is enumerated exhaustively: the
// command (reconcile; shift to 0, 7, a step or 100, forced or not; abort,
// forced or not; resume), the recorded phase (every phase and an unknown
// one), the recorded share (0, steps, a manual 7 %, 100), each of two
// targets' observed share (reading back what was recorded, 0, 10 %, 50 %,
// 100 %), the primary's and the secondary's evidence (healthy and stable,
// healthy but recent, pending, unhealthy, stale healthy, stale unhealthy,
// none) and the leftover intent (none; a reconcile's raise to the next
// step, its rollback to 0; a shift to 7 % with its hold; an abort with its
// hold and cooldown; a resume). Stale evidence of either kind, and none,
// are judged alike (unknown): the core takes one of them, the sampled pass
// all. Every core combination is also given one
// draw, from a fixed seed, of the rest: the policy as edited since the
// state was written (three step lists, every on_unhealthy, on_drift and
// approval mode), a target added to or removed from the policy, a stored
// step index that disagrees with the share, an approval for the next step
// or none, a cooldown running or over, the clock just after the last
// change or long after it, and a side of a target that delivers nothing
// (every server in maintenance: target a's primary, b's secondary, both). A second pass draws every dimension at random,
// also from a fixed seed, with one case in twenty given a recorded share
// outside 0-100 % (a hostile state file).

// modelSteps are the step lists a policy may have been edited to.
var modelSteps = [][]providers.Share{
	{500, 1000, 2500, 5000, 10000},
	{1000, 5000, 10000},
	{2500, 10000},
}

type modelCase struct {
	req       Request
	phase     state.Phase
	share     providers.Share
	obsA      int // index into targetChoices
	obsB      int
	primary   int // index into evidenceChoices
	secondary int
	intent    int // index into intentChoices

	steps       int
	onUnhealthy rollout.OnUnhealthy
	onDrift     rollout.OnDrift
	approval    rollout.Approval
	targetsDiff int // 0 same targets, 1 b added to the policy (not recorded), 2 c removed from the policy (still recorded)
	stepGarbage bool
	approved    bool
	cooldown    bool
	longAfter   bool
	out         int // 0-2 every side delivers; 3 a's primary delivers nothing; 4 b's secondary; 5 both
}

var modelCommands = func() []Request {
	out := []Request{{Command: CommandReconcile}, {Command: CommandResume, Actor: "ops"}}
	for _, f := range []bool{false, true} {
		for _, to := range []providers.Share{0, 700, 2500, 10000} {
			out = append(out, Request{Command: CommandShift, To: to, Force: f, Actor: "ops", Reason: "r"})
		}
		out = append(out, Request{Command: CommandAbort, Force: f, Actor: "ops", Reason: "r"})
	}
	return out
}()

var modelPhases = []state.Phase{state.PhaseSecondary, state.PhaseShifting, state.PhasePrimary,
	state.PhaseManual, state.PhasePaused, state.PhaseHalted, "bogus"}

var modelShares = []providers.Share{0, 500, 700, 1000, 2500, 5000, 10000}

// targetChoices: -1 means "reads back what was recorded for it".
var targetChoices = []providers.Share{-1, 0, 1000, 5000, 10000}

const (
	evHealthyStable = iota
	evHealthyRecent
	evPending
	evUnhealthy
	evStaleHealthy
	evStaleUnhealthy
	evNone
)

var evidenceChoices = []int{evHealthyStable, evHealthyRecent, evPending, evUnhealthy, evStaleHealthy, evStaleUnhealthy, evNone}

// coreEvidence is the part of evidenceChoices the core enumerates: stale
// unhealthy evidence and none are judged exactly like stale healthy
// evidence (unknown), so the core takes one of the three and the sampled
// pass all of them.
const coreEvidence = evStaleHealthy + 1

const (
	itNone = iota
	itRaise
	itRollback
	itShift
	itAbort
	itResume
)

var intentChoices = []int{itNone, itRaise, itRollback, itShift, itAbort, itResume}

const (
	modelInterval = time.Minute
	modelTTL      = 10 * time.Minute
)

// evidence builds one check's evidence of a kind, as seen at now.
func modelEvidence(kind int, now time.Time) health.Evidence {
	switch kind {
	case evHealthyStable:
		return health.Evidence{LastProbe: now, LastHealthy: true, Successes: 30, StreakSince: now.Add(-2 * time.Hour)}
	case evHealthyRecent:
		return health.Evidence{LastProbe: now, LastHealthy: true, Successes: 3, StreakSince: now.Add(-2 * time.Minute)}
	case evPending:
		return health.Evidence{LastProbe: now, LastHealthy: true, Successes: 1, StreakSince: now}
	case evUnhealthy:
		return health.Evidence{LastProbe: now, LastHealthy: false, Failures: 3, StreakSince: now.Add(-3 * time.Minute), LastDetail: "HTTP 503"}
	case evStaleHealthy:
		return health.Evidence{LastProbe: now.Add(-time.Hour), LastHealthy: true, Successes: 50, StreakSince: now.Add(-5 * time.Hour)}
	case evStaleUnhealthy:
		return health.Evidence{LastProbe: now.Add(-time.Hour), LastHealthy: false, Failures: 50, StreakSince: now.Add(-5 * time.Hour)}
	}
	return health.Evidence{}
}

// side judges a side from one check's evidence, as the engine does.
func modelSide(kind int, now time.Time) health.SideHealth {
	st, since := health.Judge(modelEvidence(kind, now), 2, 2, modelTTL, now)
	return health.Side([]health.CheckVerdict{{Name: "c", State: st, Since: since}})
}

// modelSides are the sides of every evidence kind, judged once per clock
// (Decide does not change them).
var modelSides = func() (out [2][]health.SideHealth) {
	for i, now := range []time.Time{t0, t0.Add(6 * time.Hour)} {
		for _, k := range evidenceChoices {
			out[i] = append(out[i], modelSide(k, now))
		}
	}
	return out
}()

// deliver is what target b (resolution 40 bp) reads back for a share.
func deliverB(s providers.Share) providers.Share { return (s + 20) / 40 * 40 }

// build turns a case into Decide's input.
func (c modelCase) build() Input {
	now, clock := t0, 0
	if c.longAfter {
		now, clock = t0.Add(6*time.Hour), 1
	}
	r := testRollout()
	r.Steps = modelSteps[c.steps]
	r.OnUnhealthy, r.OnDrift, r.Approval = c.onUnhealthy, c.onDrift, c.approval

	doc := state.NewDocument("f", t0.Add(-48*time.Hour))
	doc.Version = 7
	doc.Phase, doc.Share = c.phase, c.share
	doc.Step = stepAtOrBelow(r.Steps, c.share)
	if c.stepGarbage {
		doc.Step = 9
	}
	doc.StepSince, doc.PhaseSince = t0.Add(-5*time.Minute), t0.Add(-5*time.Minute)
	doc.Cycle = 2
	if held(c.phase) {
		doc.Hold = &state.Hold{By: "ops", At: t0.Add(-time.Hour), Reason: "held", Resume: state.PhaseShifting}
	}
	if c.cooldown {
		doc.CooldownUntil = now.Add(time.Hour)
	} else {
		doc.CooldownUntil = now.Add(-time.Hour)
	}
	if c.approved {
		if next, ok := NextStep(r.Steps, c.share); ok {
			doc.Approvals = []state.Approval{{Cycle: doc.Cycle, To: next, By: "ops"}}
		}
	}
	doc.Observed = map[string]providers.Share{"a": c.share, "b": deliverB(c.share)}
	switch c.targetsDiff {
	case 1:
		delete(doc.Observed, "b")
	case 2:
		doc.Observed["c"] = c.share
	}
	switch intentChoices[c.intent] {
	case itRaise:
		next, ok := NextStep(r.Steps, c.share)
		if !ok {
			next = providers.ShareFull
		}
		doc.Intent = &state.Intent{RunID: "dead", From: c.share, To: next, Command: "reconcile", Event: "shift", Phase: state.PhaseShifting, Cycle: doc.Cycle}
	case itRollback:
		doc.Intent = &state.Intent{RunID: "dead", From: c.share, To: 0, Command: "reconcile", Event: "rollback", Phase: state.PhaseSecondary,
			Cycle: doc.Cycle + 1, CooldownUntil: now.Add(30 * time.Minute)}
	case itShift:
		doc.Intent = &state.Intent{RunID: "dead", From: c.share, To: 700, Command: "shift", Event: "manual_shift", Phase: state.PhaseManual,
			Hold: &state.Hold{By: "ops", Reason: "cutover"}, Cycle: doc.Cycle}
	case itAbort:
		doc.Intent = &state.Intent{RunID: "dead", From: c.share, To: 0, Command: "abort", Event: "abort", Phase: state.PhasePaused,
			Hold: &state.Hold{By: "ops", Reason: "aborted"}, CooldownUntil: now.Add(30 * time.Minute), Cycle: doc.Cycle + 1}
	case itResume:
		doc.Intent = &state.Intent{RunID: "dead", From: c.share, To: c.share, Command: "resume", Event: "resume", Phase: state.PhaseShifting, Cycle: doc.Cycle}
	}

	obs := func(choice int, recorded providers.Share) providers.Share {
		if targetChoices[choice] < 0 {
			return recorded
		}
		return targetChoices[choice]
	}
	recB := deliverB(c.share)
	if c.targetsDiff == 1 {
		recB = c.share
	}
	targets := []TargetShare{
		{Name: "a", Share: obs(c.obsA, c.share), Resolution: 1},
		{Name: "b", Share: obs(c.obsB, recB), Resolution: 40},
	}
	if c.out == 3 || c.out == 5 {
		targets[0].PrimaryOut = "every primary server is in MAINT, DRAIN or DOWN"
	}
	if c.out == 4 || c.out == 5 {
		targets[1].SecondaryOut = "every secondary server is in MAINT, DRAIN or DOWN"
	}
	return Input{Rollout: r, State: doc, Observed: Observation{Targets: targets},
		Primary: modelSides[clock][c.primary], Secondary: modelSides[clock][c.secondary],
		Now: now, Request: c.req}
}

// checkInvariants is DESIGN.md's safety section, written for this test
// from the invariants. It returns the first violation, or "".
func checkInvariants(in Input, d Decision) string {
	doc, req := in.State, in.Request
	if d.Forced && !req.Force {
		return "forced without --force"
	}
	at := func(t TargetShare) providers.Share {
		// A target reading back its record carries the recorded share
		// (when that is a share at all); any other reading is what it
		// carries.
		if rec, ok := doc.Observed[t.Name]; ok && rec == t.Share && doc.Share >= 0 && doc.Share <= providers.ShareFull {
			return doc.Share
		}
		return t.Share
	}
	manualTo := req.Command == CommandShift || (doc.Intent != nil && doc.Intent.Command == "shift" && d.To == doc.Intent.To)
	if d.Writes {
		for _, t := range in.Observed.Targets {
			cur := at(t)
			if d.To > cur && in.Primary.State != health.Healthy && !d.Forced {
				return fmt.Sprintf("raises %s %s -> %s with the primary %s", t.Name, cur, d.To, in.Primary.State)
			}
			if d.To < cur && in.Secondary.State == health.Unhealthy && !d.Forced {
				return fmt.Sprintf("lowers %s %s -> %s onto an unhealthy secondary", t.Name, cur, d.To)
			}
			// A side that delivers nothing gets no traffic moved towards
			// it, so it is never left the only side with weight.
			if d.To > cur && t.PrimaryOut != "" && !d.Forced {
				return fmt.Sprintf("raises %s %s -> %s towards a side that delivers nothing (primary)", t.Name, cur, d.To)
			}
			if d.To < cur && t.SecondaryOut != "" && !d.Forced {
				return fmt.Sprintf("lowers %s %s -> %s towards a side that delivers nothing (secondary)", t.Name, cur, d.To)
			}
			if d.To > cur && !manualTo {
				next := providers.Share(-1)
				for _, s := range in.Rollout.Steps {
					if s > cur {
						next = s
						break
					}
				}
				if next < 0 || d.To > next {
					return fmt.Sprintf("raises %s %s -> %s past the next step (%s)", t.Name, cur, d.To, next)
				}
			}
		}
		if doc.Intent != nil && req.Command != CommandShift && req.Command != CommandAbort &&
			d.To != doc.Intent.To && d.To != doc.Intent.From {
			return fmt.Sprintf("writes %s while settling a change %s -> %s", d.To, doc.Intent.From, doc.Intent.To)
		}
	}
	// The decided share: 0, a step, the recorded share, a manual value
	// (asked for now or by a dead shift), or an observed share (adopt,
	// resume).
	okShare := d.To == 0 || d.To == doc.Share || slices.Contains(in.Rollout.Steps, d.To) ||
		(req.Command == CommandShift && d.To == req.To) ||
		(doc.Intent != nil && (d.To == doc.Intent.To || d.To == doc.Intent.From))
	for _, t := range in.Observed.Targets {
		okShare = okShare || (!d.Writes && d.To == t.Share)
	}
	if !okShare {
		return fmt.Sprintf("decided share %s is none of 0, a step, recorded, manual or observed", d.To)
	}
	// Holds: only resume lifts one; a person's shift or abort may replace
	// it with its own.
	if held(doc.Phase) && doc.Hold != nil && req.Command != CommandResume {
		if d.Hold == nil || !held(d.Phase) {
			return fmt.Sprintf("hold lifted by %s (phase %s -> %s)", req.Command, doc.Phase, d.Phase)
		}
	}
	// A dead command's hold: kept in its intent while nothing is written
	// (the intent stays), and in the position once the change is settled.
	if doc.Intent != nil && doc.Intent.Hold != nil && req.Command == CommandReconcile && d.Writes && (d.Hold == nil || !held(d.Phase)) {
		return "the hold of a dead command was dropped"
	}
	if d.Hold != nil && !held(d.Phase) {
		return fmt.Sprintf("a hold outside a held phase (%s)", d.Phase)
	}
	if d.Writes && d.Hold == nil {
		switch {
		case d.Phase == state.PhaseSecondary && d.To != 0, d.Phase == state.PhasePrimary && d.To != providers.ShareFull:
			return fmt.Sprintf("phase %s at %s", d.Phase, d.To)
		}
	}
	return ""
}

func (c modelCase) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s to=%s force=%v phase=%s share=%s obs=%d/%d primary=%d secondary=%d intent=%d steps=%d on_unhealthy=%s on_drift=%s approval=%s targets=%d garbage=%v approved=%v cooldown=%v later=%v out=%d",
		c.req.Command, c.req.To, c.req.Force, c.phase, c.share, c.obsA, c.obsB, c.primary, c.secondary, c.intent,
		c.steps, c.onUnhealthy, c.onDrift, c.approval, c.targetsDiff, c.stepGarbage, c.approved, c.cooldown, c.longAfter, c.out)
	return b.String()
}

// drawRest fills the non-core dimensions from rng.
func drawRest(c *modelCase, rng *rand.Rand) {
	c.steps = rng.IntN(len(modelSteps))
	c.onUnhealthy = rollout.OnUnhealthyModes[rng.IntN(3)]
	c.onDrift = rollout.OnDriftModes[rng.IntN(3)]
	c.approval = rollout.ApprovalModes[rng.IntN(3)]
	c.targetsDiff = rng.IntN(3)
	c.stepGarbage = rng.IntN(4) == 0
	c.approved = rng.IntN(2) == 0
	c.cooldown = rng.IntN(2) == 0
	c.longAfter = rng.IntN(2) == 0
	c.out = rng.IntN(6)
}

// drawCase draws every dimension of a case from rng.
func drawCase(rng *rand.Rand) modelCase {
	c := modelCase{
		req: modelCommands[rng.IntN(len(modelCommands))], phase: modelPhases[rng.IntN(len(modelPhases))],
		share: modelShares[rng.IntN(len(modelShares))], obsA: rng.IntN(len(targetChoices)), obsB: rng.IntN(len(targetChoices)),
		primary: rng.IntN(len(evidenceChoices)), secondary: rng.IntN(len(evidenceChoices)), intent: rng.IntN(len(intentChoices)),
	}
	if rng.IntN(20) == 0 {
		// A hostile state document: a share outside 0-100 %.
		c.share = []providers.Share{-100, 10001, 20000}[rng.IntN(3)]
	}
	drawRest(&c, rng)
	return c
}

func checkCase(t *testing.T, c modelCase) bool {
	in := c.build()
	var d Decision
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Errorf("Decide panicked on %s: %v", c, v)
			}
		}()
		d = Decide(in)
	}()
	if v := checkInvariants(in, d); v != "" {
		t.Errorf("%s\n  decision %s -> %s (%s, writes %v): %s\n  violation: %s", c, d.Action, d.To, d.Phase, d.Writes, d.Reason, v)
		return false
	}
	return true
}

// TestDecideModel is the model-based proof (see the comment at the top of
// this file). It logs the number of combinations checked.
func TestDecideModel(t *testing.T) {
	var core, sampled atomic.Int64
	// One subtest per command, in parallel; each draws the rest of its
	// cases from its own fixed seed.
	t.Run("core", func(t *testing.T) {
		for ci, req := range modelCommands {
			t.Run(fmt.Sprintf("%d-%s", ci, req.Command), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(10, uint64(ci)))
				failures := 0
				for _, phase := range modelPhases {
					for _, share := range modelShares {
						for oa := range targetChoices {
							for ob := range targetChoices {
								for p := range coreEvidence {
									for s := range coreEvidence {
										for it := range intentChoices {
											c := modelCase{req: req, phase: phase, share: share, obsA: oa, obsB: ob, primary: p, secondary: s, intent: it}
											drawRest(&c, rng)
											core.Add(1)
											if !checkCase(t, c) {
												if failures++; failures > 20 {
													t.Fatal("too many violations")
												}
											}
										}
									}
								}
							}
						}
					}
				}
			})
		}
	})
	rng := rand.New(rand.NewPCG(10, 2026))
	failures := 0
	for i := 0; i < 200_000; i++ {
		c := drawCase(rng)
		sampled.Add(1)
		if !checkCase(t, c) {
			if failures++; failures > 20 {
				t.Fatal("too many violations")
			}
		}
	}
	t.Logf("checked %d combinations (%d exhaustive core, %d sampled)", core.Load()+sampled.Load(), core.Load(), sampled.Load())
}

// TestModelCheckerHasTeeth: the checker is not vacuous. Without the gate
// (propose alone, and a mutant of it that jumps to 100 %), the same
// sampled domain must show each class of violation the gate exists for; and the domain must hold writes, refusals
// and every command's decisions, so the proof above is about something.
func TestModelCheckerHasTeeth(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2026))
	classes := map[string]int{}
	writes, refused := 0, 0
	for i := 0; i < 100_000; i++ {
		c := drawCase(rng)
		in := c.build()
		if d := Decide(in); d.Writes {
			writes++
		} else if d.Refused != "" {
			refused++
		}
		// A mutant that jumps to 100 % where the rollout shifts: the
		// checker must see the skipped steps.
		mutant := propose(in)
		if mutant.Writes && in.Request.Command == CommandReconcile && in.Primary.State == health.Healthy {
			mutant.To = providers.ShareFull
		}
		v := checkInvariants(in, mutant)
		switch {
		case strings.Contains(v, "with the primary"):
			classes["raise without a healthy primary"]++
		case strings.Contains(v, "onto an unhealthy secondary"):
			classes["lower onto an unhealthy secondary"]++
		case strings.Contains(v, "past the next step"):
			classes["skip a step"]++
		case strings.Contains(v, "towards a side that delivers nothing"):
			classes["move towards a side that delivers nothing"]++
		}
	}
	for _, want := range []string{"raise without a healthy primary", "lower onto an unhealthy secondary", "skip a step",
		"move towards a side that delivers nothing"} {
		if classes[want] == 0 {
			t.Errorf("without the gate, no case shows %q: the domain or the checker misses it", want)
		}
	}
	if writes < 1000 || refused < 1000 {
		t.Errorf("the domain has %d writes and %d refusals in 100000 cases: too few to mean much", writes, refused)
	}
	t.Logf("ungated violations by class: %v; gated: %d writes, %d refusals", classes, writes, refused)
}
