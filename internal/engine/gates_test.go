package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// fakeGate answers what it is told and remembers every move it was asked.
type fakeGate struct {
	mu     sync.Mutex
	res    providers.Result
	asked  []Move
	cancel context.CancelFunc // when set, cancels the run while answering
}

func (g *fakeGate) Consult(_ context.Context, m Move) providers.Result {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, m)
	if g.cancel != nil {
		g.cancel()
	}
	return g.res
}

func (g *fakeGate) set(healthy bool, detail string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.res = providers.Result{Healthy: healthy, Detail: detail}
}

func (g *fakeGate) moves() []Move {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Move(nil), g.asked...)
}

// intentSpy counts the saves that record an intent.
type intentSpy struct {
	state.Store
	mu      sync.Mutex
	intents int
}

func (s *intentSpy) Save(ctx context.Context, doc *state.Document) error {
	if doc.Intent != nil {
		s.mu.Lock()
		s.intents++
		s.mu.Unlock()
	}
	return s.Store.Save(ctx, doc)
}

func (s *intentSpy) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.intents
}

// gateRig is a rig whose failback has one fake gate, passing at first, and
// whose store counts intents.
func gateRig(t *testing.T, mod func(*Rollout)) (*rig, *fakeGate, *intentSpy) {
	t.Helper()
	r := newRig(t, mod)
	g := &fakeGate{res: providers.Result{Healthy: true, Detail: "ok"}}
	r.fb.Gates = []NamedGate{{Name: "signoff", Kind: "webhook", Gate: g, Calls: true}}
	spy := &intentSpy{Store: r.store}
	r.eng = New(Options{Store: spy, Now: r.clk.Now, Holder: state.LockInfo{Owner: "test", Host: "h", PID: 1}})
	return r, g, spy
}

// reachFirstStep advances the clock until the rollout proposes its first
// step (the primary stable for primary_healthy_for), with the gate closed,
// and returns the held run's report.
func (r *rig) untilGateHolds(g *fakeGate) *Report {
	r.t.Helper()
	for i := 0; i < 100; i++ {
		n := len(g.moves())
		rep := r.reconcile()
		if len(g.moves()) > n {
			return rep
		}
		r.clk.Advance(time.Minute)
	}
	r.t.Fatal("the gate was never asked")
	return nil
}

// A closed gate holds the first step at 0 %: no intent, no write, no
// event, exit 0; the reason names the gate and its detail. Opened, the
// next run raises.
func TestGateHoldsFirstStep(t *testing.T) {
	r, g, spy := gateRig(t, nil)
	g.set(false, "replication lag 12 MB")
	rep := r.untilGateHolds(g)
	d := rep.Decision
	if d.Writes || d.Action != ActionHold || d.Outcome != OutcomeOK || d.Refused != ActionShift {
		t.Fatalf("decision = %+v", d)
	}
	if !strings.Contains(d.Reason, `gate "signoff"`) || !strings.Contains(d.Reason, "replication lag 12 MB") {
		t.Errorf("reason %q does not name the gate and its detail", d.Reason)
	}
	if r.a.get() != 0 || r.b.get() != 0 || r.a.applies+r.b.applies != 0 || spy.count() != 0 || rep.Applied {
		t.Fatalf("held but wrote: a=%s b=%s applies=%d intents=%d", r.a.get(), r.b.get(), r.a.applies+r.b.applies, spy.count())
	}
	if len(rep.Gates) != 1 || rep.Gates[0].State != GateHold || rep.Gates[0].Detail != "replication lag 12 MB" {
		t.Errorf("report gates = %+v", rep.Gates)
	}
	evs, _ := r.store.History(context.Background(), "checkout")
	if len(evs) != 0 {
		t.Errorf("a held gate recorded events: %+v", evs)
	}
	m := g.moves()[0]
	if m != (Move{Failback: "checkout", Cycle: 0, From: 0, To: 500, Phase: state.PhaseShifting}) {
		t.Errorf("the gate was asked about %+v", m)
	}
	// The gate opens: the next run raises to the first step.
	g.set(true, "lag 0 B")
	r.clk.Advance(time.Minute)
	rep = r.reconcile()
	if !rep.Applied || r.a.get() != 500 || len(rep.Gates) != 1 || rep.Gates[0].State != GatePass {
		t.Fatalf("after the gate opened: %+v, gates %+v, a=%s", rep.Decision, rep.Gates, r.a.get())
	}
}

// A gate is asked before every raise of the rollout, not on holds (bakes)
// and not on lowering moves; a failing gate never rolls back while the
// primary is healthy, and an unhealthy primary rolls back regardless.
func TestGateOnlyOnRaises(t *testing.T) {
	r, g, _ := gateRig(t, nil)
	r.climbTo(1000)
	asked := len(g.moves())
	if asked != 2 {
		t.Fatalf("asked %d times climbing to 10 %%, want 2 (one per raise)", asked)
	}
	// Bakes: no raise, no question.
	r.clk.Advance(time.Minute)
	if rep := r.reconcile(); rep.Decision.Writes || len(g.moves()) != asked || len(rep.Gates) != 0 {
		t.Fatalf("baking: %+v, asked %d", rep.Decision, len(g.moves()))
	}
	// The gate closes: the share holds at 10 % for as long as it says no,
	// with a healthy primary; never a step back or a rollback.
	g.set(false, "HTTP 503")
	for i := 0; i < 30; i++ {
		r.clk.Advance(time.Minute)
		rep := r.reconcile()
		if rep.Decision.Writes || r.a.get() != 1000 || rep.Decision.Outcome != OutcomeOK {
			t.Fatalf("a closed gate moved the share: %+v, a=%s", rep.Decision, r.a.get())
		}
	}
	asked = len(g.moves())
	// The primary falters: it rolls back whatever the gate says, and the
	// gate is not asked about the lowering.
	r.prim.healthy.Store(false)
	rep := r.reconcile()
	if rep.Decision.Action != ActionRollback || !rep.Applied || r.a.get() != 0 || len(g.moves()) != asked || len(rep.Gates) != 0 {
		t.Fatalf("rollback: %+v, a=%s, asked %d (was %d)", rep.Decision, r.a.get(), len(g.moves()), asked)
	}
}

// A gate that says yes with an error-free detail and one that errors: the
// error holds, and later gates are not asked.
func TestGateOrderStopsAtFirstHold(t *testing.T) {
	r, g, _ := gateRig(t, nil)
	second := &fakeGate{res: providers.Result{Healthy: true}}
	r.fb.Gates = append(r.fb.Gates, NamedGate{Name: "later", Kind: "http", Gate: second})
	g.set(false, "dial tcp 127.0.0.1:9: connection refused")
	rep := r.untilGateHolds(g)
	if len(second.moves()) != 0 {
		t.Fatal("a gate after a holding one was asked")
	}
	if len(rep.Gates) != 2 || rep.Gates[0].State != GateHold || rep.Gates[1].State != GateSkipped {
		t.Fatalf("gates = %+v", rep.Gates)
	}
}

// Plan asks no gate that calls someone; it reports it as not called. A
// check-kind gate is probed, and a failing one shows the hold.
func TestGatePlan(t *testing.T) {
	r, g, _ := gateRig(t, nil)
	probe := &fakeGate{res: providers.Result{Healthy: true, Detail: "200 OK"}}
	r.fb.Gates = append(r.fb.Gates, NamedGate{Name: "smoke", Kind: "http", Gate: probe})
	var rep *Report
	for i := 0; i < 100; i++ {
		var err error
		// Reconcile to build the streak, plan to see what it would do.
		if rep, err = r.eng.Reconcile(context.Background(), r.fb, true); err != nil {
			t.Fatal(err)
		}
		if rep.Decision.Writes {
			break
		}
		r.reconcileHeld(g)
		r.clk.Advance(time.Minute)
	}
	if len(g.moves()) != 0 {
		t.Fatalf("plan called the webhook gate: %+v", g.moves())
	}
	if len(rep.Gates) != 2 || rep.Gates[0].State != GateNotCalled || rep.Gates[1].State != GatePass || len(probe.moves()) == 0 {
		t.Fatalf("plan gates = %+v", rep.Gates)
	}
	probe.set(false, "HTTP 500")
	rep, err := r.eng.Reconcile(context.Background(), r.fb, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Decision.Writes || rep.Gates[1].State != GateHold || rep.After.Share != 0 || len(g.moves()) != 0 {
		t.Fatalf("plan with a failing probe gate: %+v, gates %+v", rep.Decision, rep.Gates)
	}
}

// reconcileHeld builds evidence with the gates out of the way: a real run
// that never raises (the rollout's first step is not yet due when it is
// called by TestGatePlan before the plan proposes one).
func (r *rig) reconcileHeld(g *fakeGate) {
	r.t.Helper()
	gates := r.fb.Gates
	r.fb.Gates = nil
	defer func() { r.fb.Gates = gates }()
	rep := r.reconcile()
	if rep.Decision.Writes {
		r.t.Fatalf("setup raised: %+v", rep.Decision)
	}
}

// A person's shift that raises asks the gates and is refused (exit 6) when
// one holds; --force bypasses them and is recorded as forced; a shift down
// asks nothing.
func TestGateShift(t *testing.T) {
	r, g, spy := gateRig(t, nil)
	r.climbTo(500)
	asked := len(g.moves())
	g.set(false, "change freeze")
	ctx := context.Background()
	_, err := r.eng.Shift(ctx, r.fb, ShiftRequest{To: 5000, Actor: "alice", Reason: "go"})
	if !errors.Is(err, ErrHalted) || !strings.Contains(err.Error(), `gate "signoff" holds: change freeze`) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("shift through a closed gate: %v", err)
	}
	if r.a.get() != 500 || len(g.moves()) != asked+1 {
		t.Fatalf("refused shift moved: a=%s asked=%d", r.a.get(), len(g.moves()))
	}
	intents := spy.count()
	rep, err := r.eng.Shift(ctx, r.fb, ShiftRequest{To: 5000, Force: true, Actor: "alice", Reason: "go"})
	if err != nil || r.a.get() != 5000 || !rep.Decision.Forced || len(g.moves()) != asked+1 || len(rep.Gates) != 0 {
		t.Fatalf("forced shift: err %v, a=%s, asked %d, gates %+v", err, r.a.get(), len(g.moves()), rep.Gates)
	}
	if spy.count() != intents+1 {
		t.Errorf("forced shift recorded %d intents", spy.count()-intents)
	}
	if _, err := r.eng.Shift(ctx, r.fb, ShiftRequest{To: 1000, Actor: "alice", Reason: "down"}); err != nil || r.a.get() != 1000 || len(g.moves()) != asked+1 {
		t.Fatalf("shift down: err %v, a=%s, asked %d", err, r.a.get(), len(g.moves()))
	}
}

// An interrupted consultation decides nothing: no write, an error.
func TestGateInterrupted(t *testing.T) {
	r, g, spy := gateRig(t, nil)
	g.set(true, "ok")
	for i := 0; i < 100; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		g.mu.Lock()
		g.cancel = cancel
		g.mu.Unlock()
		n := len(g.moves())
		_, err := r.eng.Reconcile(ctx, r.fb, false)
		cancel()
		if len(g.moves()) > n {
			if err == nil || !errors.Is(err, context.Canceled) || r.a.get() != 0 || spy.count() != 0 {
				t.Fatalf("interrupted gate: err %v, a=%s, intents %d", err, r.a.get(), spy.count())
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		r.clk.Advance(time.Minute)
	}
	t.Fatal("the gate was never asked")
}

// on_drift = "correct" that climbs a target someone moved down back up is
// a raise: a closed gate holds it (the drift stays visible, nothing is
// written); an open one lets the correction through.
func TestGateHoldsDriftCorrection(t *testing.T) {
	r, g, spy := gateRig(t, func(ro *Rollout) { ro.OnDrift = "correct" })
	r.climbTo(2500)
	intents := spy.count()
	r.a.mu.Lock()
	r.a.share = 1000 // moved down by hand
	r.a.mu.Unlock()
	g.set(false, "data check running")
	asked := len(g.moves())
	rep := r.reconcile()
	d := rep.Decision
	if d.Writes || d.Action != ActionHold || !d.Drift || d.Refused != ActionCorrect || r.a.get() != 1000 || spy.count() != intents {
		t.Fatalf("closed gate on a correction: %+v, a=%s", d, r.a.get())
	}
	if m := g.moves(); len(m) != asked+1 || m[len(m)-1].To != 2500 {
		t.Fatalf("the gate was asked %+v", m[asked:])
	}
	g.set(true, "ok")
	rep = r.reconcile()
	if !rep.Applied || rep.Decision.Action != ActionCorrect || r.a.get() != 2500 {
		t.Fatalf("open gate on a correction: %+v, a=%s", rep.Decision, r.a.get())
	}
}
