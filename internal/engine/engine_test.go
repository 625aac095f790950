package engine

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// memTarget is an in-memory target that splits exactly.
type memTarget struct {
	mu       sync.Mutex
	share    providers.Share
	res      providers.Share
	failNext error // Apply fails once with this
	failAll  error // every Apply fails with this
	applies  int
}

func (m *memTarget) Observe(ctx context.Context) (providers.Share, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.share, nil
}

func (m *memTarget) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAll != nil {
		return m.share, m.failAll
	}
	if err := m.failNext; err != nil {
		m.failNext = nil
		return m.share, err
	}
	m.applies++
	r := max(m.res, 1)
	m.share = (want + r/2) / r * r
	return m.share, nil
}

func (m *memTarget) Resolution() providers.Share { return max(m.res, 1) }

func (m *memTarget) get() providers.Share {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.share
}

// flagCheck reports whatever its flag says.
type flagCheck struct{ healthy atomic.Bool }

func (c *flagCheck) Probe(context.Context) providers.Result {
	if c.healthy.Load() {
		return providers.Result{Healthy: true, Detail: "ok"}
	}
	return providers.Result{Healthy: false, Detail: "HTTP 503"}
}

// clock is a manual clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type rig struct {
	t          *testing.T
	clk        *clock
	store      *state.FileStore
	eng        *Engine
	fb         *Failback
	a, b       *memTarget
	prim, seco *flagCheck
}

func newRig(t *testing.T, mod func(*Rollout)) *rig {
	t.Helper()
	r := &rig{t: t, clk: &clock{now: t0}, a: &memTarget{res: 1}, b: &memTarget{res: 40},
		prim: &flagCheck{}, seco: &flagCheck{}}
	r.prim.healthy.Store(true)
	r.seco.healthy.Store(true)
	store, err := state.OpenFile(t.TempDir(), state.FileOptions{Now: r.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.store = store
	ro := testRollout()
	if mod != nil {
		mod(&ro)
	}
	r.fb = &Failback{Name: "checkout", PrimaryName: "aws", SecondaryName: "gcp", Rollout: ro,
		Targets: []NamedTarget{{Name: "a", Target: r.a}, {Name: "b", Target: r.b}},
		Checks: []NamedCheck{
			{Name: "p", Side: Primary, Check: r.prim, Interval: time.Minute, HealthyThreshold: 2, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: 10 * time.Minute},
			{Name: "s", Side: Secondary, Check: r.seco, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: 10 * time.Minute},
		}}
	r.eng = New(Options{Store: store, Now: r.clk.Now, Holder: state.LockInfo{Owner: "test", Host: "h", PID: 1}})
	return r
}

func (r *rig) reconcile() *Report {
	r.t.Helper()
	rep, err := r.eng.Reconcile(context.Background(), r.fb, false)
	if err != nil {
		r.t.Fatalf("reconcile: %v", err)
	}
	return rep
}

// TestReconcileFullRollout runs the rollout every minute with a healthy
// primary until it completes, and checks each step, its timing and what the
// targets read back.
func TestReconcileFullRollout(t *testing.T) {
	r := newRig(t, nil)
	var shares []providers.Share
	for i := 0; i < 200; i++ {
		rep := r.reconcile()
		if rep.Applied {
			shares = append(shares, rep.Decision.To)
			for _, d := range rep.Delivered {
				if absDiff(d.Share, rep.Decision.To) > d.Resolution {
					t.Fatalf("target %s delivered %s for %s", d.Name, d.Share, rep.Decision.To)
				}
			}
		}
		if rep.After.Phase == state.PhasePrimary {
			break
		}
		r.clk.Advance(time.Minute)
	}
	want := []providers.Share{500, 1000, 2500, 5000, 10000}
	if fmt.Sprint(shares) != fmt.Sprint(want) {
		t.Fatalf("steps applied = %v, want %v", shares, want)
	}
	// Healthy since the streak's first sample at t0, stable for 15 minutes,
	// then four bakes of 10.
	if got, want := r.clk.Now().Sub(t0), 15*time.Minute+4*10*time.Minute; got != want {
		t.Errorf("completed after %s, want %s", got, want)
	}
	if r.a.get() != 10000 || r.b.get() != 10000 {
		t.Errorf("targets at %s and %s", r.a.get(), r.b.get())
	}
	evs, err := r.store.History(context.Background(), "checkout")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 {
		t.Errorf("history has %d events, want 5 shifts: %+v", len(evs), evs)
	}
	// Once complete, further runs change nothing.
	rep := r.reconcile()
	if rep.Decision.Writes || rep.After.Phase != state.PhasePrimary {
		t.Errorf("after completion: %+v", rep.Decision)
	}
}

// TestReconcileRollsBackWhenPrimaryFalters checks that a failing primary
// mid-rollout sends all traffic back, in reverse target order, then cools
// down.
func TestReconcileRollsBackWhenPrimaryFalters(t *testing.T) {
	r := newRig(t, nil)
	for i := 0; i < 40 && r.a.get() < 2500; i++ {
		r.reconcile()
		r.clk.Advance(time.Minute)
	}
	if r.a.get() != 2500 {
		t.Fatalf("setup: share %s", r.a.get())
	}
	r.prim.healthy.Store(false)
	rep := r.reconcile()
	if rep.Decision.Action != ActionRollback || rep.Decision.Outcome != OutcomeUnhealthy {
		t.Fatalf("decision = %+v", rep.Decision)
	}
	if r.a.get() != 0 || r.b.get() != 0 {
		t.Fatalf("targets at %s, %s after rollback", r.a.get(), r.b.get())
	}
	doc, _ := r.store.Load(context.Background(), "checkout")
	if doc.Phase != state.PhaseSecondary || doc.Cycle != 1 || !doc.CooldownUntil.Equal(r.clk.Now().Add(30*time.Minute)) {
		t.Errorf("after rollback: phase %s cycle %d cooldown %s", doc.Phase, doc.Cycle, doc.CooldownUntil)
	}
	// The primary recovers at once, but the cooldown holds the next cycle.
	r.prim.healthy.Store(true)
	for i := 0; i < 29; i++ {
		r.clk.Advance(time.Minute)
		if rep := r.reconcile(); rep.Decision.Writes {
			t.Fatalf("moved during cooldown: %+v", rep.Decision)
		}
	}
}

// TestRollbackHeldWhenSecondaryFails: the secondary fails too, so the
// rollback is held and the outcome says a person must decide.
func TestRollbackHeldWhenSecondaryFails(t *testing.T) {
	r := newRig(t, nil)
	for i := 0; i < 40 && r.a.get() < 1000; i++ {
		r.reconcile()
		r.clk.Advance(time.Minute)
	}
	r.prim.healthy.Store(false)
	r.seco.healthy.Store(false)
	rep := r.reconcile()
	if rep.Decision.Writes || rep.Decision.Outcome != OutcomeHalted || r.a.get() != 1000 {
		t.Fatalf("decision %+v, share %s", rep.Decision, r.a.get())
	}
}

// TestApplyFailureIsCompensated: the second target fails, so the first is
// put back, the state keeps the old share, and the run errors.
func TestApplyFailureIsCompensated(t *testing.T) {
	r := newRig(t, nil)
	r.b.failNext = errors.New("throttled")
	for i := 0; i < 20 && r.a.get() == 0; i++ {
		rep, err := r.eng.Reconcile(context.Background(), r.fb, false)
		if err != nil {
			if rep.Decision.To != 500 || r.a.get() != 0 || r.b.get() != 0 {
				t.Fatalf("after failure: decision %+v, a=%s b=%s", rep.Decision, r.a.get(), r.b.get())
			}
			doc, _ := r.store.Load(context.Background(), "checkout")
			if doc.Share != 0 || doc.Intent != nil || doc.Phase != state.PhaseSecondary {
				t.Fatalf("state after failure: share %s intent %v phase %s", doc.Share, doc.Intent, doc.Phase)
			}
			// The next run tries again and succeeds.
			r.reconcile()
			if r.a.get() != 500 {
				t.Fatalf("retry did not apply: %s", r.a.get())
			}
			return
		}
		r.clk.Advance(time.Minute)
	}
	t.Fatal("the failure was never injected")
}

// TestFailedRevertHalts: a target fails and then cannot be put back.
func TestFailedRevertHalts(t *testing.T) {
	r := newRig(t, func(ro *Rollout) { ro.PrimaryHealthyFor = time.Minute })
	r.b.failAll = errors.New("access denied")
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = r.eng.Reconcile(context.Background(), r.fb, false)
		r.clk.Advance(time.Minute)
	}
	if err == nil {
		t.Fatal("no error")
	}
	// a was applied and put back; b never moved: the revert succeeds.
	if !errors.Is(err, ErrHalted) {
		doc, _ := r.store.Load(context.Background(), "checkout")
		if doc.Phase == state.PhaseHalted {
			t.Fatalf("halted although the revert worked: %v", err)
		}
	}
	// Now make the revert fail too: a fails after being applied.
	r2 := newRig(t, func(ro *Rollout) { ro.PrimaryHealthyFor = time.Minute })
	r2.eng.o.BeforeApply = func(_ context.Context, name string) {
		if name == "b" {
			r2.b.failNext = errors.New("boom")
			r2.a.failAll = errors.New("a is gone")
		}
	}
	for i := 0; i < 10; i++ {
		_, err = r2.eng.Reconcile(context.Background(), r2.fb, false)
		if err != nil {
			break
		}
		r2.clk.Advance(time.Minute)
	}
	if !errors.Is(err, ErrHalted) {
		t.Fatalf("err = %v, want halted", err)
	}
	doc, _ := r2.store.Load(context.Background(), "checkout")
	if doc.Phase != state.PhaseHalted || doc.Hold == nil {
		t.Fatalf("phase %s hold %+v", doc.Phase, doc.Hold)
	}
}

// TestCrashRecovery stops a run between the intent and each target's
// apply, then checks that the next run converges to one consistent share
// and never gives the primary more than the evidence allows.
func TestCrashRecovery(t *testing.T) {
	for _, crashBefore := range []string{"a", "b"} {
		for _, healthyAfter := range []bool{true, false} {
			t.Run(fmt.Sprintf("before-%s/healthy-%v", crashBefore, healthyAfter), func(t *testing.T) {
				r := newRig(t, func(ro *Rollout) { ro.PrimaryHealthyFor = time.Minute })
				r.eng.o.LockTTL = 2 * time.Minute
				type crash struct{}
				r.eng.o.BeforeApply = func(_ context.Context, name string) {
					if name == crashBefore {
						panic(crash{})
					}
				}
				crashed := false
				for i := 0; i < 10 && !crashed; i++ {
					func() {
						defer func() {
							if v := recover(); v != nil {
								if _, ok := v.(crash); !ok {
									panic(v)
								}
								crashed = true
							}
						}()
						r.reconcile()
					}()
					r.clk.Advance(time.Minute)
				}
				if !crashed {
					t.Fatal("never crashed")
				}
				// The dead run's lock expires before anyone can continue.
				r.clk.Advance(2 * time.Minute)
				r.eng.o.BeforeApply = nil
				doc, _ := r.store.Load(context.Background(), "checkout")
				if doc.Intent == nil || doc.Intent.To != 500 {
					t.Fatalf("no intent left behind: %+v", doc.Intent)
				}
				r.prim.healthy.Store(healthyAfter)
				rep := r.reconcile()
				if rep.Decision.Action != ActionRecover {
					t.Fatalf("decision %+v", rep.Decision)
				}
				want := providers.Share(0)
				if healthyAfter {
					want = 500
				}
				if r.a.get() != want || absDiff(r.b.get(), want) > r.b.Resolution() {
					t.Fatalf("targets at %s, %s; want both %s", r.a.get(), r.b.get(), want)
				}
				doc, _ = r.store.Load(context.Background(), "checkout")
				if doc.Intent != nil || doc.Share != want {
					t.Fatalf("state: intent %+v share %s", doc.Intent, doc.Share)
				}
			})
		}
	}
}

// TestManualShiftHoldsUntilResume covers shift (gated and forced), pause,
// resume, approve and abort.
func TestManualShiftHoldsUntilResume(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, func(ro *Rollout) { ro.Approval = "every_step" })
	r.prim.healthy.Store(false)
	r.reconcile()
	if _, err := r.eng.Shift(ctx, r.fb, ShiftRequest{To: 2500, Actor: "ops"}); !errors.Is(err, ErrUnhealthy) {
		t.Fatalf("ungated shift: %v", err)
	}
	if r.a.get() != 0 {
		t.Fatal("a refused shift changed a target")
	}
	r.prim.healthy.Store(true)
	r.clk.Advance(time.Minute)
	r.reconcile() // one healthy sample; the shift's own probe is the second
	if _, err := r.eng.Shift(ctx, r.fb, ShiftRequest{To: 2500, Actor: "ops", Reason: "cutover"}); err != nil {
		t.Fatal(err)
	}
	if r.a.get() != 2500 || r.b.get() != 2520 && r.b.get() != 2480 && r.b.get() != 2500 {
		t.Fatalf("targets %s %s", r.a.get(), r.b.get())
	}
	for i := 0; i < 30; i++ {
		r.clk.Advance(time.Minute)
		if rep := r.reconcile(); rep.Decision.Writes || rep.After.Phase != state.PhaseManual {
			t.Fatalf("manual share moved: %+v", rep.Decision)
		}
	}
	if _, err := r.eng.Resume(ctx, r.fb, "ops", ""); err != nil {
		t.Fatal(err)
	}
	doc, _ := r.store.Load(ctx, "checkout")
	if doc.Phase != state.PhaseShifting || doc.Step != 2 {
		t.Fatalf("after resume: %s step %d", doc.Phase, doc.Step)
	}
	// every_step: the bake passes, then the next step waits for approval.
	asked := false
	for i := 0; i < 11 && !asked; i++ {
		r.clk.Advance(time.Minute)
		rep := r.reconcile()
		if rep.Decision.Writes {
			t.Fatalf("moved without approval: %+v", rep.Decision)
		}
		asked = rep.Decision.NeedsApproval
	}
	if !asked {
		t.Fatal("no approval asked after the bake")
	}
	if _, err := r.eng.Approve(ctx, r.fb, "ops", "looks good"); err != nil {
		t.Fatal(err)
	}
	if rep := r.reconcile(); rep.Decision.To != 5000 || !rep.Applied {
		t.Fatalf("approved step not taken: %+v", rep.Decision)
	}
	if _, err := r.eng.Pause(ctx, r.fb, "ops", "lunch"); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(time.Hour)
	if rep := r.reconcile(); rep.Decision.Writes {
		t.Fatal("paused failback moved")
	}
	// Abort onto an unhealthy secondary is refused, then forced.
	r.seco.healthy.Store(false)
	if _, err := r.eng.Abort(ctx, r.fb, false, "ops", "bad"); !errors.Is(err, ErrHalted) || r.a.get() != 5000 {
		t.Fatalf("abort onto unhealthy secondary: %v, share %s", err, r.a.get())
	}
	if _, err := r.eng.Abort(ctx, r.fb, true, "ops", "bad"); err != nil || r.a.get() != 0 || r.b.get() != 0 {
		t.Fatalf("forced abort: %v, %s %s", err, r.a.get(), r.b.get())
	}
	doc, _ = r.store.Load(ctx, "checkout")
	if doc.Phase != state.PhasePaused || !doc.Hold.Forced {
		t.Fatalf("after abort: %s %+v", doc.Phase, doc.Hold)
	}
}

// TestForcedShiftIsRecorded: --force bypasses the gate and says so in the
// history.
func TestForcedShiftIsRecorded(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, nil)
	r.prim.healthy.Store(false)
	if _, err := r.eng.Shift(ctx, r.fb, ShiftRequest{To: 5000, Force: true, Actor: "ops", Reason: "drill"}); err != nil {
		t.Fatal(err)
	}
	evs, _ := r.store.History(ctx, "checkout")
	if len(evs) == 0 || evs[len(evs)-1].Type != "manual_shift" || evs[len(evs)-1].Reason != "FORCED (health gate bypassed): drill" {
		t.Fatalf("history: %+v", evs)
	}
}

// TestDriftHalts: someone changes a target behind fbctl's back.
func TestDriftHalts(t *testing.T) {
	r := newRig(t, nil)
	for i := 0; i < 30 && r.a.get() < 1000; i++ {
		r.reconcile()
		r.clk.Advance(time.Minute)
	}
	r.b.share = 4000
	rep := r.reconcile()
	if rep.Decision.Action != ActionHalt || rep.Decision.Outcome != OutcomeHalted {
		t.Fatalf("decision %+v", rep.Decision)
	}
	if r.a.get() != 1000 || r.b.get() != 4000 {
		t.Fatal("a halt wrote to targets")
	}
	rep = r.reconcile()
	if rep.Decision.Outcome != OutcomeHalted {
		t.Fatalf("halt did not stick: %+v", rep.Decision)
	}
}

// TestLockedRun: a second run while the first holds the lock.
func TestLockedRun(t *testing.T) {
	r := newRig(t, nil)
	l, err := r.store.Lock(context.Background(), "checkout", state.LockInfo{Owner: "other", Host: "h2", PID: 9, RunID: "x", Acquired: t0, Expires: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	_, err = r.eng.Reconcile(context.Background(), r.fb, false)
	var le *state.LockedError
	if !errors.As(err, &le) || le.Holder.Owner != "other" {
		t.Fatalf("err = %v", err)
	}
	// plan takes no lock.
	if _, err := r.eng.Reconcile(context.Background(), r.fb, true); err != nil {
		t.Fatalf("plan: %v", err)
	}
}

// waitTarget is a memTarget whose changes propagate only when waited for.
type waitTarget struct {
	memTarget
	waits atomic.Int32
}

func (w *waitTarget) Wait(ctx context.Context) error {
	w.waits.Add(1)
	return ctx.Err()
}

// TestPropagateWaitsForWaiters: with Propagate, a run that applies waits on
// every target that implements providers.Waiter; without it, it does not.
func TestPropagateWaitsForWaiters(t *testing.T) {
	for _, propagate := range []bool{false, true} {
		r := newRig(t, func(ro *Rollout) { ro.PrimaryHealthyFor = time.Minute })
		wt := &waitTarget{memTarget: memTarget{res: 1}}
		r.fb.Targets = append(r.fb.Targets, NamedTarget{Name: "w", Target: wt})
		r.eng.o.Propagate = propagate
		for i := 0; i < 5 && wt.get() == 0; i++ {
			r.reconcile()
			r.clk.Advance(time.Minute)
		}
		if wt.get() == 0 {
			t.Fatal("never shifted")
		}
		want := int32(0)
		if propagate {
			want = 1
		}
		if got := wt.waits.Load(); got != want {
			t.Errorf("propagate=%v: %d waits, want %d", propagate, got, want)
		}
	}
}

// TestRecordedEvents: every event a run records gets an id of its own, and
// Options.Recorded is told each once it is in the history, with that id.
func TestRecordedEvents(t *testing.T) {
	r := newRig(t, nil)
	var mu sync.Mutex
	var told []state.Event
	r.eng = New(Options{Store: r.store, Now: r.clk.Now, Holder: state.LockInfo{Owner: "test", Host: "h", PID: 1},
		Recorded: func(ev state.Event) {
			mu.Lock()
			defer mu.Unlock()
			told = append(told, ev)
		}})
	for i := 0; i < 200; i++ {
		if rep := r.reconcile(); rep.After.Phase == state.PhasePrimary {
			break
		}
		r.clk.Advance(time.Minute)
	}
	evs, err := r.store.History(context.Background(), "checkout")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 || !reflect.DeepEqual(evs, told) {
		t.Fatalf("history %+v\nRecorded %+v\nwant the same 5 events", evs, told)
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		if len(ev.ID) != 32 || seen[ev.ID] {
			t.Errorf("event id %q: want 32 hex digits, unique", ev.ID)
		}
		seen[ev.ID] = true
	}
}
