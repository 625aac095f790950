package controller

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/rollout"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

var t0 = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)

type memTarget struct {
	mu      sync.Mutex
	share   providers.Share
	applies int
}

func (m *memTarget) Observe(ctx context.Context) (providers.Share, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.share, ctx.Err()
}

func (m *memTarget) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.share = want
	m.applies++
	return want, nil
}

func (m *memTarget) Resolution() providers.Share { return 1 }

func (m *memTarget) writes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.applies
}

func (m *memTarget) get() providers.Share {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.share
}

type flagCheck struct{ healthy atomic.Bool }

func (f *flagCheck) Probe(ctx context.Context) providers.Result {
	if f.healthy.Load() {
		return providers.Result{Healthy: true, Detail: "ok"}
	}
	return providers.Result{Detail: "HTTP 503"}
}

// recorder is the Observer: probes and decisions with the time they came.
type recorder struct {
	clk *simClock
	mu  sync.Mutex
	// firstFailure is when the primary's first failing probe came after
	// arm was set.
	arm          bool
	firstFailure time.Time
	actions      []engine.Action
	errs         []error
}

func (r *recorder) Probe(_ string, side engine.Side, _ string, healthy bool, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.arm && side == engine.Primary && !healthy && r.firstFailure.IsZero() {
		r.firstFailure = r.clk.Now()
	}
}

func (r *recorder) Lease(string, bool) {}

func (r *recorder) Round(rep *engine.Report, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, err)
		return
	}
	r.actions = append(r.actions, rep.Decision.Action)
}

type rig struct {
	t      *testing.T
	clk    *simClock
	target *memTarget
	prim   *flagCheck
	sec    *flagCheck
	fb     *engine.Failback
	store  *state.FileStore
	ctrl   *Controller
	rec    *recorder
	cancel context.CancelFunc
	done   chan struct{}
	// goroutines is how many sleep when the controller is idle: one per
	// check, and the decision loop.
	goroutines int
}

const interval = 5 * time.Second

func newRig(t *testing.T) *rig {
	t.Helper()
	clk := newSimClock(t0)
	r := &rig{t: t, clk: clk, target: &memTarget{}, prim: &flagCheck{}, sec: &flagCheck{}, rec: &recorder{clk: clk}}
	r.prim.healthy.Store(true)
	r.sec.healthy.Store(true)
	store, err := state.OpenFile(t.TempDir(), state.FileOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.store = store
	r.fb = &engine.Failback{Name: "web", PrimaryName: "aws", SecondaryName: "gcp",
		Rollout: engine.Rollout{Steps: []providers.Share{2500, 5000, 10000}, Bake: time.Minute, PrimaryHealthyFor: time.Minute,
			OnUnhealthy: rollout.Rollback, Cooldown: 5 * time.Minute, OnDrift: rollout.Halt, Approval: rollout.NoApproval},
		Targets: []engine.NamedTarget{{Name: "lb", Target: r.target}},
		Checks: []engine.NamedCheck{
			{Name: "p", Side: engine.Primary, Check: r.prim, Interval: interval, HealthyThreshold: 2, UnhealthyThreshold: 2, Samples: 1},
			{Name: "s", Side: engine.Secondary, Check: r.sec, Interval: interval, HealthyThreshold: 1, UnhealthyThreshold: 2, Samples: 1},
		}}
	r.goroutines = len(r.fb.Checks) + 1
	r.ctrl = New(Options{
		Engine:    engine.Options{Store: store, Holder: state.LockInfo{Owner: "run", Host: "h", PID: 1}, ScheduleGap: time.Minute},
		Failbacks: []*engine.Failback{r.fb},
		Clock:     clk,
		Schedule:  time.Minute,
		Observer:  r.rec,
		Jitter:    func(d time.Duration) time.Duration { return d / 2 },
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		r.ctrl.Run(ctx)
	}()
	t.Cleanup(r.stop)
	return r
}

func (r *rig) stop() {
	r.cancel()
	<-r.done
}

func (r *rig) idle() bool {
	r.ctrl.mu.Lock()
	defer r.ctrl.mu.Unlock()
	return len(r.ctrl.woken) == 0
}

// until moves time from event to event until cond holds, and returns the
// time then; at most limit of simulated time.
func (r *rig) until(limit time.Duration, cond func() bool) time.Time {
	r.t.Helper()
	end := r.clk.Now().Add(limit)
	for {
		r.clk.waitIdle(r.t, r.goroutines, r.idle)
		if cond() {
			return r.clk.Now()
		}
		if now := r.clk.next(); now.After(end) {
			r.t.Fatalf("not within %s of simulated time (share %s, actions %v, errors %v)", limit, r.target.get(), r.rec.actions, r.rec.errs)
		}
	}
}

// The controller moves a failback through its steps, each after its bake,
// and rolls it back within unhealthy_threshold probes of the primary's
// first failure mid-rollout, from one round that probe triggered.
func TestRunsStepsAndRollsBackWithinTheThreshold(t *testing.T) {
	r := newRig(t)
	start := r.clk.Now()
	at50 := r.until(time.Hour, func() bool { return r.target.get() == 5000 })
	// primary_healthy_for 1m, the first step, a bake of 1m, the second:
	// about 2 minutes; never before.
	if took := at50.Sub(start); took < 2*time.Minute || took > 3*time.Minute {
		t.Fatalf("50%% after %s, want about 2m (1m stabilisation, a bake)", took)
	}
	roundsBefore := r.ctrl.Rounds()

	r.rec.mu.Lock()
	r.rec.arm = true
	r.rec.mu.Unlock()
	r.prim.healthy.Store(false)
	rolledBack := r.until(time.Hour, func() bool { return r.target.get() == 0 })
	r.rec.mu.Lock()
	first := r.rec.firstFailure
	r.rec.mu.Unlock()
	// unhealthy_threshold (2) x interval (5s) + 1s: the second failing
	// probe completes the streak, and its round rolls back at once.
	if latency := rolledBack.Sub(first); latency > 2*interval+time.Second {
		t.Fatalf("rolled back %s after the first failing probe, want at most %s", latency, 2*interval+time.Second)
	}
	// Only the probes that changed a side's health, and the timers, ran
	// rounds: one round for the failure, none per probe.
	if n := r.ctrl.Rounds() - roundsBefore; n > 2 {
		t.Fatalf("%d rounds between 50%% and the rollback, want the one the failure triggered", n)
	}
	doc, err := r.store.Load(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Share != 0 || doc.Evidence["p"].LastProbe.IsZero() {
		t.Fatalf("stored: share %s, evidence %+v: the decision and its evidence are saved", doc.Share, doc.Evidence)
	}
}

// Rounds come at least every Schedule while nothing changes, and a
// person's pause, made through the store by another process, holds the
// rollout from the next round on.
func TestScheduleAndAPersonsPause(t *testing.T) {
	r := newRig(t)
	r.until(time.Hour, func() bool { return r.target.get() == 2500 })
	other := engine.New(engine.Options{Store: r.store, Now: r.clk.Now, Holder: state.LockInfo{Owner: "ops", Host: "laptop", PID: 2}})
	if _, err := other.Pause(context.Background(), r.fb, "ops", "looking at the graphs"); err != nil {
		t.Fatal(err)
	}
	paused := r.clk.Now()
	rounds := r.ctrl.Rounds()
	r.until(time.Hour, func() bool { return r.clk.Now().Sub(paused) >= 10*time.Minute })
	if r.target.get() != 2500 {
		t.Fatalf("share %s after a pause, want it held at 25%%", r.target.get())
	}
	// At least one round a minute (the schedule), and not one per probe
	// (120 probes came in those 10 minutes).
	if n := r.ctrl.Rounds() - rounds; n < 10 || n > 12 {
		t.Fatalf("%d rounds in 10 minutes of a schedule of 1m", n)
	}
	if _, err := other.Resume(context.Background(), r.fb, "ops", "fine"); err != nil {
		t.Fatal(err)
	}
	r.until(time.Hour, func() bool { return r.target.get() == 5000 })
}

// Cancelling Run stops the probes and the rounds; Run returns.
func TestStops(t *testing.T) {
	r := newRig(t)
	r.until(time.Hour, func() bool { return r.target.get() == 2500 })
	r.stop()
	if n := r.clk.sleeping(); n != 0 {
		t.Fatalf("%d goroutines still sleeping after Run returned", n)
	}
}

// At 100 % the controller keeps rounds at the schedule and nothing more.
func TestCompletes(t *testing.T) {
	r := newRig(t)
	at100 := r.until(time.Hour, func() bool { return r.target.get() == 10000 })
	if took := at100.Sub(t0); took < 3*time.Minute || took > 4*time.Minute {
		t.Fatalf("100%% after %s, want about 3m (1m stabilisation, two bakes)", took)
	}
	applies := r.target.writes()
	r.until(time.Hour, func() bool { return r.clk.Now().Sub(at100) >= 30*time.Minute })
	if n := r.target.writes() - applies; n != 0 {
		t.Fatalf("%d writes after completing", n)
	}
}
