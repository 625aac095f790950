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
	r.eng.o.BeforeApply = func(name string) {
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
	r.eng.o.BeforeApply = func(name string) {
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
