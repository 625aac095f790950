package engine

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// blindTarget cannot be read.
type blindTarget struct{ applies atomic.Int32 }

func (b *blindTarget) Observe(context.Context) (providers.Share, error) {
	return 0, errors.New("connection refused")
}
func (b *blindTarget) Apply(context.Context, providers.Share) (providers.Share, error) {
	b.applies.Add(1)
	return 0, nil
}
func (b *blindTarget) Resolution() providers.Share { return 1 }

// TestUnreadableTargetStopsBeforeAnyWrite: a target that cannot be read
// never reaches Decide; the run stops with nothing written, no intent and
// the state as it was, for every command that moves traffic.
func TestUnreadableTargetStopsBeforeAnyWrite(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, nil)
	for i := 0; i < 40 && r.a.get() < 1000; i++ {
		r.reconcile()
		r.clk.Advance(time.Minute)
	}
	before, _ := r.store.Load(ctx, "checkout")
	blind := &blindTarget{}
	r.fb.Targets = append(r.fb.Targets, NamedTarget{Name: "c", Target: blind})
	r.clk.Advance(time.Hour)
	for name, run := range map[string]func() (*Report, error){
		"reconcile": func() (*Report, error) { return r.eng.Reconcile(ctx, r.fb, false) },
		"shift": func() (*Report, error) {
			return r.eng.Shift(ctx, r.fb, ShiftRequest{To: 5000, Force: true, Actor: "ops"})
		},
		"abort":  func() (*Report, error) { return r.eng.Abort(ctx, r.fb, true, "ops", "") },
		"resume": func() (*Report, error) { return r.eng.Resume(ctx, r.fb, "ops", "") },
	} {
		rep, err := run()
		if err == nil || !strings.Contains(err.Error(), `target "c"`) {
			t.Errorf("%s: err = %v", name, err)
		}
		if rep != nil && rep.Decision.Action != "" {
			t.Errorf("%s: decided %+v on a partial observation", name, rep.Decision)
		}
	}
	after, _ := r.store.Load(ctx, "checkout")
	if r.a.get() != 1000 || blind.applies.Load() != 0 || after.Version != before.Version || after.Intent != nil {
		t.Fatalf("a at %s, %d applies on c, version %d -> %d, intent %+v", r.a.get(), blind.applies.Load(), before.Version, after.Version, after.Intent)
	}
}

// failingSaves is a store whose saves fail once armed.
type failingSaves struct {
	*state.FileStore
	armed atomic.Bool
}

func (f *failingSaves) Save(ctx context.Context, d *state.Document) error {
	if f.armed.Load() {
		return errors.New("disk full")
	}
	return f.FileStore.Save(ctx, d)
}

// TestHaltThatCannotBeSavedIsAnError: a failed revert halts, but when the
// halt cannot be recorded the run says so and its error is not a halt
// (exit 1, not 6: nothing recorded a halt for the next run to honour).
func TestHaltThatCannotBeSavedIsAnError(t *testing.T) {
	r := newRig(t, func(ro *Rollout) { ro.PrimaryHealthyFor = time.Minute })
	fs := &failingSaves{FileStore: r.store}
	r.eng.o.Store = fs
	r.eng.o.BeforeApply = func(_ context.Context, name string) {
		if name == "b" {
			r.b.failNext = errors.New("boom")
			r.a.failAll = errors.New("a is gone")
			fs.armed.Store(true)
		}
	}
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = r.eng.Reconcile(context.Background(), r.fb, false)
		r.clk.Advance(time.Minute)
	}
	if err == nil || errors.Is(err, ErrHalted) || !strings.Contains(err.Error(), "recording the halt failed: saving state: disk full") {
		t.Fatalf("err = %v", err)
	}
}

// stuckTarget applies the first time, then blocks every Apply until its
// context is done.
type stuckTarget struct {
	memTarget
	stuck atomic.Bool
}

func (s *stuckTarget) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if s.stuck.Load() {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return s.memTarget.Apply(ctx, want)
}

// TestCompensationDeadlineHalts: putting a target back hangs; past the
// compensation deadline the failback halts (exit 6) and says what is known
// about each target.
func TestCompensationDeadlineHalts(t *testing.T) {
	r := newRig(t, func(ro *Rollout) { ro.PrimaryHealthyFor = time.Minute })
	stuck := &stuckTarget{memTarget: memTarget{res: 1}}
	r.fb.Targets[0].Target = stuck
	r.eng.o.CompensateTimeout = 50 * time.Millisecond
	r.eng.o.BeforeApply = func(_ context.Context, name string) {
		if name == "b" {
			r.b.failNext = errors.New("boom")
			stuck.stuck.Store(true)
		}
	}
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = r.eng.Reconcile(context.Background(), r.fb, false)
		r.clk.Advance(time.Minute)
	}
	if !errors.Is(err, ErrHalted) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"a: putting back 0% failed: context deadline exceeded, reads 5%", "b: put back to 0%, reads 0%"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	doc, _ := r.store.Load(context.Background(), "checkout")
	if doc.Phase != state.PhaseHalted || doc.Intent != nil {
		t.Fatalf("phase %s intent %+v", doc.Phase, doc.Intent)
	}
}

// TestStaleEvidenceNeverHidesAFailingPrimary: runs spaced far wider than
// the evidence TTL, a primary failing every probe, unhealthy_threshold 3.
// Each run probes again at the check's interval until the failures reach
// the threshold, so the primary is judged unhealthy and rolled back from;
// before, every run said "stale or pending" and held on the failing side.
func TestStaleEvidenceNeverHidesAFailingPrimary(t *testing.T) {
	r := newRig(t, nil)
	// The re-probes below move the clock minutes within one run, where
	// no renewal ticks (the store's ticker is real time): a lease longer
	// than those minutes keeps the run's lock its own.
	r.eng.o.LockTTL = 15 * time.Minute
	var slept []time.Duration
	r.eng.o.Sleep = func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		r.clk.Advance(d)
		return nil
	}
	for i := 0; i < 40 && r.a.get() < 1000; i++ {
		r.reconcile()
		r.clk.Advance(time.Minute)
	}
	r.fb.Checks[0].UnhealthyThreshold = 3
	r.prim.healthy.Store(false)
	slept = nil
	r.clk.Advance(3 * time.Hour) // far past the 10-minute TTL
	rep := r.reconcile()
	if rep.Decision.Action != ActionRollback || r.a.get() != 0 {
		t.Fatalf("decision %s (%s), a at %s", rep.Decision.Action, rep.Decision.Reason, r.a.get())
	}
	if len(slept) != 2 || slept[0] != time.Minute || slept[1] != time.Minute {
		t.Errorf("re-probes slept %v, want two check intervals", slept)
	}
	// A healthy check on stale evidence is probed once: re-probing is
	// for failures only.
	slept = nil
	r.prim.healthy.Store(true)
	r.clk.Advance(3 * time.Hour)
	r.reconcile()
	if len(slept) != 0 {
		t.Errorf("a healthy probe on stale evidence slept %v", slept)
	}
}

// killAt runs reconcile with a hook that dies (panics) before the named
// target's write, as a kill would; it reports whether it died.
func (r *rig) killAt(target string) bool {
	r.t.Helper()
	type crash struct{}
	r.eng.o.BeforeApply = func(_ context.Context, name string) {
		if name == target {
			panic(crash{})
		}
	}
	defer func() { r.eng.o.BeforeApply = nil }()
	died := false
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(crash); !ok {
					panic(v)
				}
				died = true
			}
		}()
		_, _ = r.eng.Reconcile(context.Background(), r.fb, false)
	}()
	return died
}

func (r *rig) climbTo(s providers.Share) {
	r.t.Helper()
	for i := 0; i < 200 && r.a.get() != s; i++ {
		r.reconcile()
		r.clk.Advance(time.Minute)
	}
	if r.a.get() != s {
		r.t.Fatalf("never reached %s", s)
	}
}

// Review finding: a recovery that holds must not record the mixed readings
// as the recorded share's, or a later revert raises a target onto an
// unhealthy primary, past the next step.
func TestRecoveryHoldKeepsTheMixedReadingsVisible(t *testing.T) {
	r := newRig(t, nil)
	r.climbTo(2500)
	r.prim.healthy.Store(false)
	if !r.killAt("a") { // a rollback writes b, then a
		t.Fatal("not killed")
	}
	if r.b.get() != 0 || r.a.get() != 2500 {
		t.Fatalf("setup: a %s b %s", r.a.get(), r.b.get())
	}
	r.seco.healthy.Store(false)
	for i := 0; i < 3; i++ {
		r.clk.Advance(time.Minute)
		rep, err := r.eng.Reconcile(context.Background(), r.fb, false)
		if err != nil || rep.Decision.Writes || rep.Decision.Outcome != OutcomeHalted {
			t.Fatalf("run %d: err %v decision %s %s: %s", i, err, rep.Decision.Action, rep.Decision.To, rep.Decision.Reason)
		}
		if r.b.get() != 0 || r.a.get() != 2500 {
			t.Fatalf("run %d moved traffic: a %s b %s", i, r.a.get(), r.b.get())
		}
	}
}

// Review finding: after a failed write is put back, the record stays what
// it was, so the next run sees the drift again instead of raising the
// targets from 0 past the next step.
func TestFailedCorrectionKeepsTheDriftVisible(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, func(ro *Rollout) { ro.OnDrift = "correct" })
	r.climbTo(2500)
	r.a.mu.Lock()
	r.a.share, r.a.failNext = 0, errors.New("throttled")
	r.a.mu.Unlock()
	r.b.mu.Lock()
	r.b.share = 0
	r.b.mu.Unlock()
	r.clk.Advance(time.Minute)
	if _, err := r.eng.Reconcile(ctx, r.fb, false); err == nil {
		t.Fatal("the correction did not fail")
	}
	rep := r.reconcile()
	if rep.Decision.Action != ActionCorrect || rep.Decision.To != 500 || r.a.get() != 500 {
		t.Fatalf("next run: %s to %s (a at %s): %s", rep.Decision.Action, rep.Decision.To, r.a.get(), rep.Decision.Reason)
	}
	// And an unforced shift onto an unhealthy primary stays refused.
	r.prim.healthy.Store(false)
	r.clk.Advance(time.Minute)
	if _, err := r.eng.Shift(ctx, r.fb, ShiftRequest{To: 2500, Actor: "ops"}); !errors.Is(err, ErrUnhealthy) || r.a.get() != 500 {
		t.Fatalf("shift onto an unhealthy primary: %v, a at %s", err, r.a.get())
	}
}

// Review finding: a correction back to the recorded share restarts the
// bake: the targets moved.
func TestCorrectionRestartsTheBake(t *testing.T) {
	r := newRig(t, func(ro *Rollout) { ro.OnDrift = "correct" })
	r.climbTo(2500)
	r.clk.Advance(7 * time.Minute)
	r.b.mu.Lock()
	r.b.share = 1000
	r.b.mu.Unlock()
	if rep := r.reconcile(); rep.Decision.Action != ActionCorrect || rep.Decision.To != 2500 {
		t.Fatalf("correct: %+v", rep.Decision)
	}
	for i := 0; i < 9; i++ {
		r.clk.Advance(time.Minute)
		if rep := r.reconcile(); rep.Decision.Writes {
			t.Fatalf("%d min after the correction: %s to %s", i+1, rep.Decision.Action, rep.Decision.To)
		}
	}
	r.clk.Advance(time.Minute)
	if rep := r.reconcile(); rep.Decision.Action != ActionShift || rep.Decision.To != 5000 {
		t.Fatalf("after a full bake: %+v", rep.Decision)
	}
}

// Review finding: an approval lets one raise through; stepping back and up
// again in the same cycle asks again.
func TestApprovalIsUsedOnce(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, func(ro *Rollout) { ro.Approval, ro.OnUnhealthy = "every_step", "step_back" })
	for _, want := range []providers.Share{500, 1000} {
		asked := false
		for i := 0; i < 40 && !asked; i++ {
			r.clk.Advance(time.Minute)
			asked = r.reconcile().Decision.NeedsApproval
		}
		if !asked {
			t.Fatalf("no approval asked before %s", want)
		}
		if _, err := r.eng.Approve(ctx, r.fb, "ops", ""); err != nil {
			t.Fatal(err)
		}
		if rep := r.reconcile(); rep.Decision.To != want || !rep.Applied {
			t.Fatalf("approved %s not taken: %+v", want, rep.Decision)
		}
	}
	r.prim.healthy.Store(false)
	r.clk.Advance(time.Minute)
	if rep := r.reconcile(); rep.Decision.Action != ActionStepBack || r.a.get() != 500 {
		t.Fatalf("step back: %+v", rep.Decision)
	}
	r.prim.healthy.Store(true)
	for i := 0; i < 30; i++ {
		r.clk.Advance(time.Minute)
		if rep := r.reconcile(); rep.Decision.Writes {
			t.Fatalf("raised again without a new approval: %s to %s", rep.Decision.Action, rep.Decision.To)
		}
	}
}

// Review finding: an interrupted run records no evidence and decides
// nothing: a probe cut short is not a failure.
func TestInterruptedAssessDecidesNothing(t *testing.T) {
	r := newRig(t, nil)
	r.climbTo(1000)
	before, _ := r.store.Load(context.Background(), "checkout")
	r.fb.Checks[0].UnhealthyThreshold = 3
	r.prim.healthy.Store(false)
	r.clk.Advance(3 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	r.eng.o.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	rep, err := r.eng.Reconcile(ctx, r.fb, false)
	if !errors.Is(err, context.Canceled) || rep.Decision.Action != "" {
		t.Fatalf("err %v decision %+v", err, rep.Decision)
	}
	after, _ := r.store.Load(context.Background(), "checkout")
	if after.Version != before.Version || r.a.get() != 1000 {
		t.Fatalf("version %d -> %d, a at %s", before.Version, after.Version, r.a.get())
	}
}

// TestLockWait: with LockWait a run waits (through the injected Sleep) for
// a run that holds the lock, and takes it once released; past LockWait, or
// without it, it fails with the holder's LockedError.
func TestLockWait(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, nil)
	now := r.clk.Now()
	other, err := r.store.Lock(ctx, "checkout", state.LockInfo{Owner: "other", Host: "h", PID: 2, RunID: "x", Acquired: now, Expires: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var locked *state.LockedError
	if _, err := r.eng.Reconcile(ctx, r.fb, false); !errors.As(err, &locked) {
		t.Fatalf("without --lock-wait: %v", err)
	}
	r.eng.o.LockWait = 5 * time.Second
	sleeps := 0
	r.eng.o.Sleep = func(_ context.Context, d time.Duration) error {
		sleeps++
		r.clk.Advance(d)
		return nil
	}
	if _, err := r.eng.Reconcile(ctx, r.fb, false); !errors.As(err, &locked) || sleeps != 10 {
		t.Fatalf("past --lock-wait: %v after %d sleeps", err, sleeps)
	}
	sleeps = 0
	r.eng.o.Sleep = func(_ context.Context, d time.Duration) error {
		if sleeps++; sleeps == 3 {
			if err := other.Unlock(); err != nil {
				t.Error(err)
			}
		}
		r.clk.Advance(d)
		return nil
	}
	if _, err := r.eng.Reconcile(ctx, r.fb, false); err != nil || sleeps != 3 {
		t.Fatalf("waiting for the holder: %v after %d sleeps", err, sleeps)
	}
}

// lostLockStore hands out locks that report being taken over once armed.
type lostLockStore struct {
	*state.FileStore
	lost chan struct{}
}

type lostLock struct {
	state.Lock
	lost chan struct{}
}

func (l lostLock) Lost() <-chan struct{} { return l.lost }

func (l lostLock) Deadline() time.Time { return l.Lock.(state.RenewedLock).Deadline() }

func (s *lostLockStore) Lock(ctx context.Context, fb string, info state.LockInfo) (state.Lock, error) {
	l, err := s.FileStore.Lock(ctx, fb, info)
	if err != nil {
		return nil, err
	}
	return lostLock{Lock: l, lost: s.lost}, nil
}

// TestLostLockWritesNothingMore: a run whose lock was taken over (its
// renewal found another run's id) writes no further target and puts
// nothing back (that would race the new holder's writes): it leaves its
// intent, from which the next holder settles the change.
func TestLostLockWritesNothingMore(t *testing.T) {
	r := newRig(t, func(ro *Rollout) { ro.PrimaryHealthyFor = time.Minute })
	st := &lostLockStore{FileStore: r.store, lost: make(chan struct{})}
	r.eng.o.Store = st
	// Taken over while a is being written, found out before b: b is
	// never written.
	armed := true
	r.eng.o.BeforeApply = func(_ context.Context, name string) {
		if name == "b" && armed {
			close(st.lost)
			armed = false
		}
	}
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = r.eng.Reconcile(context.Background(), r.fb, false)
		r.clk.Advance(time.Minute)
	}
	if !errors.Is(err, state.ErrLockLost) || r.a.get() == 0 || r.b.get() != 0 {
		t.Fatalf("err %v; a %s b %s", err, r.a.get(), r.b.get())
	}
	doc, lerr := r.store.Load(context.Background(), "checkout")
	if lerr != nil || doc.Intent == nil {
		t.Fatalf("the intent is gone: %v %+v", lerr, doc)
	}
	// The next holder settles the change from the intent: both targets
	// agree again.
	st.lost = make(chan struct{})
	if _, err := r.eng.Reconcile(context.Background(), r.fb, false); err != nil {
		t.Fatalf("the next run: %v", err)
	}
	if r.b.get() == 0 {
		t.Fatalf("after recovery a %s b %s: the change was not finished", r.a.get(), r.b.get())
	}
	if doc, _ := r.store.Load(context.Background(), "checkout"); doc.Intent != nil {
		t.Fatalf("the intent was not settled: %+v", doc.Intent)
	}
}
