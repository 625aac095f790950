package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	s3sim "github.com/fbctl/fbctl/internal/sim/s3"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/state/s3store"
	"github.com/fbctl/fbctl/providers"
)

// leaseRig is one failback of three targets whose state is in a bucket
// shared by two hosts' stores on one clock. Host A's lock renewals tick
// only when the test says so.
type leaseRig struct {
	clk        *clock
	a, b, c    *memTarget
	fb         *Failback
	storeA     *s3store.Store
	storeB     *s3store.Store
	eng        *Engine
	tick       chan time.Time
	mu         sync.Mutex
	lock       state.RenewedLock // A's lock of the current run
	beforeName string
	before     func(l state.RenewedLock)
}

type capturingStore struct {
	*s3store.Store
	r *leaseRig
}

func (s capturingStore) Lock(ctx context.Context, fb string, info state.LockInfo) (state.Lock, error) {
	l, err := s.Store.Lock(ctx, fb, info)
	if err == nil {
		s.r.mu.Lock()
		s.r.lock = l.(state.RenewedLock)
		s.r.mu.Unlock()
	}
	return l, err
}

func newLeaseRig(t *testing.T) *leaseRig {
	t.Helper()
	srv := s3sim.New(s3sim.Options{Buckets: []string{"state"}})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	r := &leaseRig{clk: &clock{now: t0}, a: &memTarget{res: 1}, b: &memTarget{res: 1}, c: &memTarget{res: 1},
		tick: make(chan time.Time)}
	ticker := func(time.Duration) (<-chan time.Time, func()) { return r.tick, func() {} }
	never := func(time.Duration) (<-chan time.Time, func()) { return nil, func() {} }
	if r.storeA, err = s3store.New(s3store.Options{Client: c, Bucket: "state", Prefix: "p", Now: r.clk.Now, Ticker: ticker}); err != nil {
		t.Fatal(err)
	}
	if r.storeB, err = s3store.New(s3store.Options{Client: c, Bucket: "state", Prefix: "p", Now: r.clk.Now, Ticker: never}); err != nil {
		t.Fatal(err)
	}
	ro := testRollout()
	ro.PrimaryHealthyFor = time.Minute
	p, s := &flagCheck{}, &flagCheck{}
	p.healthy.Store(true)
	s.healthy.Store(true)
	r.fb = &Failback{Name: "web", Rollout: ro,
		Targets: []NamedTarget{{Name: "a", Target: r.a}, {Name: "b", Target: r.b}, {Name: "c", Target: r.c}},
		Checks: []NamedCheck{
			{Name: "p", Side: Primary, Check: p, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour},
			{Name: "s", Side: Secondary, Check: s, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour},
		}}
	r.eng = New(Options{Store: capturingStore{r.storeA, r}, Now: r.clk.Now, LockTTL: time.Minute,
		Holder: state.LockInfo{Owner: "a", Host: "hostA", PID: 1},
		BeforeApply: func(_ context.Context, name string) {
			r.mu.Lock()
			l, fn := r.lock, r.before
			if name != r.beforeName {
				fn = nil
			}
			r.mu.Unlock()
			if fn != nil {
				fn(l)
			}
		}})
	return r
}

// untilShift reconciles (a minute apart) until a run writes targets, and
// returns that run's error.
func (r *leaseRig) untilShift(t *testing.T) error {
	t.Helper()
	for range 10 {
		rep, err := r.eng.Reconcile(context.Background(), r.fb, false)
		if err != nil || rep.Decision.Writes {
			return err
		}
		r.clk.Advance(time.Minute)
	}
	t.Fatal("no run moved the failback")
	return nil
}

// A run whose renewals failed until less than a third of its lease is left
// writes no further target, puts nothing back (the lock may be another
// run's by now), and leaves its intent for the next holder.
func TestLeaseRunningOutStopsTargetWrites(t *testing.T) {
	r := newLeaseRig(t)
	r.beforeName = "b"
	r.before = func(state.RenewedLock) {
		// No renewal landed for 41 s of a 1 m lease: 19 s are left.
		r.clk.Advance(41 * time.Second)
	}
	err := r.untilShift(t)
	if !errors.Is(err, state.ErrLockLost) {
		t.Fatalf("err = %v, want the lease's end", err)
	}
	if r.a.get() == 0 || r.b.get() != 0 || r.c.get() != 0 {
		t.Fatalf("a %s b %s c %s: want a written, then nothing", r.a.get(), r.b.get(), r.c.get())
	}
	doc, lerr := r.storeB.Load(context.Background(), "web")
	if lerr != nil || doc.Intent == nil || len(doc.Intent.Targets) != 3 {
		t.Fatalf("the intent: %v %+v", lerr, doc)
	}
}

// A run whose lock is taken over mid-apply (a person's unlock, then
// another host's run) writes no target after its renewal finds it out, and
// its save is fenced. The new holder settles the change from the intent.
func TestTakeoverMidApplyWritesNoMoreTargets(t *testing.T) {
	r := newLeaseRig(t)
	r.beforeName = "b"
	var taken state.Lock
	r.before = func(l state.RenewedLock) {
		ctx := context.Background()
		var holder string
		if h, err := r.storeB.LockHolder(ctx, "web"); err != nil || h == nil {
			t.Errorf("holder: %v %v", h, err)
			return
		} else {
			holder = h.RunID
		}
		if _, err := r.storeB.ForceUnlock(ctx, "web", holder, "ops", "host A is stuck"); err != nil {
			t.Errorf("ForceUnlock: %v", err)
			return
		}
		var err error
		if taken, err = r.storeB.Lock(ctx, "web", state.LockInfo{Owner: "b", Host: "hostB", PID: 2, RunID: "hostb-run",
			Expires: r.clk.Now().Add(time.Minute)}); err != nil {
			t.Errorf("host B's Lock: %v", err)
			return
		}
		// A's next renewal finds host B's lock.
		r.tick <- r.clk.Now()
		<-l.Lost()
	}
	err := r.untilShift(t)
	if !errors.Is(err, state.ErrLockLost) {
		t.Fatalf("err = %v, want the lock lost", err)
	}
	if r.a.get() == 0 || r.b.get() != 0 || r.c.get() != 0 {
		t.Fatalf("a %s b %s c %s: want a written, then nothing", r.a.get(), r.b.get(), r.c.get())
	}
	if taken == nil {
		t.FailNow()
	}
	hist, herr := r.storeB.History(context.Background(), "web")
	if herr != nil {
		t.Fatal(herr)
	}
	found := false
	for _, ev := range hist {
		found = found || ev.Type == "unlock" && ev.Actor == "ops"
	}
	if !found {
		t.Fatalf("no unlock event in %+v", hist)
	}
	// Host B's run settles the change A left.
	if err := taken.Unlock(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.before = nil
	r.mu.Unlock()
	engB := New(Options{Store: r.storeB, Now: r.clk.Now, LockTTL: time.Minute, Holder: state.LockInfo{Owner: "b", Host: "hostB", PID: 2}})
	rep, err := engB.Reconcile(context.Background(), r.fb, false)
	if err != nil {
		t.Fatalf("host B's reconcile: %v", err)
	}
	if rep.Decision.Event != string(ActionRecover) && rep.Decision.Event != string(ActionShift) {
		t.Fatalf("host B decided %+v, want the intent settled", rep.Decision)
	}
	if got := []providers.Share{r.a.get(), r.b.get(), r.c.get()}; got[0] != got[1] || got[1] != got[2] {
		t.Fatalf("after host B's run the targets disagree: %v", got)
	}
}
