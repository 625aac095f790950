package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// fakeZone batches the writes of its stagers: one flush per run writes
// every staged share, or none of them when fail is set.
type fakeZone struct {
	mu   sync.Mutex
	fail error
	// uncertain makes the flush write every staged share and then report
	// an *providers.UncertainError: accepted, outcome unknown.
	uncertain bool
	flushes   int
	batches   [][]providers.Share // what each flush carried
	staged    []*fakePending
}

func (z *fakeZone) flush(ctx context.Context) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.flushes++
	var batch []providers.Share
	for _, p := range z.staged {
		batch = append(batch, p.want)
	}
	z.batches = append(z.batches, batch)
	for _, p := range z.staged {
		if z.fail != nil {
			p.err = z.fail
		}
		if z.fail == nil || z.uncertain {
			p.t.mem.mu.Lock()
			p.t.mem.share = p.want
			p.t.mem.mu.Unlock()
		}
		close(p.done)
	}
	z.staged = nil
	return z.fail
}

// stagerTarget is a memTarget in a fakeZone.
type stagerTarget struct {
	mem  *memTarget
	zone *fakeZone
}

func (s *stagerTarget) Observe(ctx context.Context) (providers.Share, error) {
	return s.mem.Observe(ctx)
}
func (s *stagerTarget) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	return s.mem.Apply(ctx, want)
}
func (s *stagerTarget) Resolution() providers.Share { return 1 }

func (s *stagerTarget) Stage(ctx context.Context, want providers.Share) (providers.Pending, error) {
	rc := providers.RunCacheFrom(ctx)
	if rc == nil {
		return nil, errors.New("no run")
	}
	p := &fakePending{t: s, want: want, done: make(chan struct{})}
	s.zone.mu.Lock()
	s.zone.staged = append(s.zone.staged, p)
	s.zone.mu.Unlock()
	rc.OnFlush(fmt.Sprintf("zone %p", s.zone), s.zone.flush)
	return p, nil
}

type fakePending struct {
	t    *stagerTarget
	want providers.Share
	done chan struct{}
	err  error
}

func (p *fakePending) Wait(ctx context.Context) (providers.Share, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.t.Observe(ctx)
}

// batchRig is two failbacks, each with a mem target "edge" and a staged
// target "dns" in one shared zone, in the given order.
type batchRig struct {
	clk   *clock
	store *state.FileStore
	eng   *Engine
	zone  *fakeZone
	fbs   []*Failback
	edge  []*memTarget
	dns   []*stagerTarget
}

func newBatchRig(t *testing.T, dnsFirst bool) *batchRig {
	t.Helper()
	r := &batchRig{clk: &clock{now: t0}, zone: &fakeZone{}}
	store, err := state.OpenFile(t.TempDir(), state.FileOptions{Now: r.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.store = store
	ok := &flagCheck{}
	ok.healthy.Store(true)
	ro := testRollout()
	ro.PrimaryHealthyFor = time.Minute
	for _, name := range []string{"one", "two"} {
		edge := &memTarget{res: 1}
		dns := &stagerTarget{mem: &memTarget{res: 1}, zone: r.zone}
		targets := []NamedTarget{{Name: "edge", Target: edge}, {Name: "dns", Target: dns}}
		if dnsFirst {
			targets[0], targets[1] = targets[1], targets[0]
		}
		r.fbs = append(r.fbs, &Failback{Name: name, PrimaryName: "aws", SecondaryName: "gcp", Rollout: ro,
			Targets: targets,
			Checks: []NamedCheck{
				{Name: "p", Side: Primary, Check: ok, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: 10 * time.Minute},
				{Name: "s", Side: Secondary, Check: ok, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: 10 * time.Minute},
			}})
		r.edge = append(r.edge, edge)
		r.dns = append(r.dns, dns)
	}
	r.eng = New(Options{Store: store, Now: r.clk.Now, Holder: state.LockInfo{Owner: "test", Host: "h", PID: 1}})
	return r
}

// untilWrite runs rounds until one writes, and returns its results.
func (r *batchRig) untilWrite(t *testing.T) ([]*Report, []error) {
	t.Helper()
	for i := 0; i < 10; i++ {
		reps, errs := r.eng.ReconcileAll(context.Background(), r.fbs, false)
		if reps[0] != nil && reps[0].Decision.Writes {
			return reps, errs
		}
		for j, err := range errs {
			if err != nil {
				t.Fatalf("round %d, %s: %v", i, r.fbs[j].Name, err)
			}
		}
		r.clk.Advance(time.Minute)
	}
	t.Fatal("no round wrote")
	return nil, nil
}

// TestReconcileAllOneFlush: two failbacks whose targets share a batching
// Stager are written by one flush of the run.
func TestReconcileAllOneFlush(t *testing.T) {
	r := newBatchRig(t, false)
	reps, errs := r.untilWrite(t)
	for i := range r.fbs {
		if errs[i] != nil {
			t.Fatalf("%s: %v", r.fbs[i].Name, errs[i])
		}
		if !reps[i].Applied || reps[i].After.Share != 500 {
			t.Fatalf("%s: report %+v", r.fbs[i].Name, reps[i])
		}
		if r.edge[i].get() != 500 || r.dns[i].mem.get() != 500 {
			t.Fatalf("%s: edge %s dns %s", r.fbs[i].Name, r.edge[i].get(), r.dns[i].mem.get())
		}
		if r.dns[i].mem.applies != 0 {
			t.Fatalf("%s: the staged target was applied directly", r.fbs[i].Name)
		}
	}
	if r.zone.flushes != 1 || len(r.zone.batches[0]) != 2 {
		t.Fatalf("flushes %d, batches %v; want one flush of two changes", r.zone.flushes, r.zone.batches)
	}
	// The next step batches again, in a new flush.
	for i := 0; i < 10; i++ {
		r.clk.Advance(time.Minute)
		reps, errs = r.eng.ReconcileAll(context.Background(), r.fbs, false)
		if reps[0].Decision.Writes {
			break
		}
	}
	for i := range r.fbs {
		if errs[i] != nil || reps[i].After.Share != 1000 {
			t.Fatalf("%s: %v %+v", r.fbs[i].Name, errs[i], reps[i].After)
		}
	}
	if r.zone.flushes != 2 || len(r.zone.batches[1]) != 2 {
		t.Fatalf("flushes %d, batches %v", r.zone.flushes, r.zone.batches)
	}
}

// TestReconcileAllFailedBatch: the batch fails, so both failbacks put back
// their other targets (the staged ones never changed) and record
// apply_failed; the next run succeeds.
func TestReconcileAllFailedBatch(t *testing.T) {
	ctx := context.Background()
	for _, dnsFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("dnsFirst=%v", dnsFirst), func(t *testing.T) {
			r := newBatchRig(t, dnsFirst)
			r.zone.fail = errors.New("InvalidChangeBatch")
			_, errs := r.untilWrite(t)
			for i, fb := range r.fbs {
				if errs[i] == nil || errors.Is(errs[i], ErrHalted) {
					t.Fatalf("%s: err = %v, want the batch's error", fb.Name, errs[i])
				}
				if r.edge[i].get() != 0 || r.dns[i].mem.get() != 0 {
					t.Fatalf("%s: edge %s dns %s, want both put back at 0", fb.Name, r.edge[i].get(), r.dns[i].mem.get())
				}
				if r.dns[i].mem.applies != 0 {
					t.Fatalf("%s: the staged target was written %d times; its batch failed, nothing to put back", fb.Name, r.dns[i].mem.applies)
				}
				// The edge was applied (then put back) in the write phase.
				if r.edge[i].applies != 2 {
					t.Fatalf("%s: edge applied %d times, want 2 (apply, put back)", fb.Name, r.edge[i].applies)
				}
				doc, _ := r.store.Load(ctx, fb.Name)
				if doc.Share != 0 || doc.Intent != nil || doc.Phase != state.PhaseSecondary {
					t.Fatalf("%s: share %s intent %+v phase %s", fb.Name, doc.Share, doc.Intent, doc.Phase)
				}
				evs, _ := r.eng.History(ctx, fb.Name)
				if len(evs) == 0 || evs[len(evs)-1].Type != "apply_failed" {
					t.Fatalf("%s: history %+v, want apply_failed last", fb.Name, evs)
				}
			}
			if r.zone.flushes != 1 {
				t.Fatalf("flushes %d", r.zone.flushes)
			}
			r.zone.fail = nil
			r.clk.Advance(time.Minute)
			reps, errs := r.eng.ReconcileAll(ctx, r.fbs, false)
			for i, fb := range r.fbs {
				if errs[i] != nil || reps[i].After.Share != 500 || r.dns[i].mem.get() != 500 || r.edge[i].get() != 500 {
					t.Fatalf("%s: retry: %v %+v", fb.Name, errs[i], reps[i].After)
				}
			}
		})
	}
}

// TestReconcileAllUncertainBatch: the batch was accepted but its outcome
// is unknown (providers.UncertainError), and in fact it took effect: each
// failback puts back the staged target as well as its other one.
func TestReconcileAllUncertainBatch(t *testing.T) {
	ctx := context.Background()
	r := newBatchRig(t, false)
	r.zone.fail = &providers.UncertainError{Err: errors.New("waiting for operation-1: deadline exceeded")}
	r.zone.uncertain = true
	_, errs := r.untilWrite(t)
	for i, fb := range r.fbs {
		if errs[i] == nil || errors.Is(errs[i], ErrHalted) {
			t.Fatalf("%s: err = %v, want the batch's error", fb.Name, errs[i])
		}
		if r.edge[i].get() != 0 || r.dns[i].mem.get() != 0 {
			t.Fatalf("%s: edge %s dns %s, want both put back at 0", fb.Name, r.edge[i].get(), r.dns[i].mem.get())
		}
		if r.dns[i].mem.applies != 1 {
			t.Fatalf("%s: the staged target was applied %d times, want 1 (put back)", fb.Name, r.dns[i].mem.applies)
		}
		doc, _ := r.store.Load(ctx, fb.Name)
		if doc.Share != 0 || doc.Intent != nil {
			t.Fatalf("%s: share %s intent %+v", fb.Name, doc.Share, doc.Intent)
		}
	}
}

// TestReconcileAllIntentsBeforeWrites: every failback's intent is stored
// before the run writes anything; a crash at the first write leaves both
// intents, and the next run recovers each failback.
func TestReconcileAllIntentsBeforeWrites(t *testing.T) {
	ctx := context.Background()
	r := newBatchRig(t, false)
	type crash struct{}
	r.eng.o.BeforeApply = func(context.Context, string) {
		for _, fb := range r.fbs {
			doc, err := r.store.Load(ctx, fb.Name)
			if err != nil || doc.Intent == nil || doc.Intent.To != 500 {
				t.Errorf("%s: no intent before the first write: %v %+v", fb.Name, err, doc)
			}
		}
		panic(crash{})
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
			r.eng.ReconcileAll(ctx, r.fbs, false)
		}()
		r.clk.Advance(time.Minute)
	}
	if !crashed {
		t.Fatal("never crashed")
	}
	r.eng.o.BeforeApply = nil
	for i := range r.fbs {
		if r.edge[i].get() != 0 || r.dns[i].mem.get() != 0 {
			t.Fatalf("%s: written before the crash", r.fbs[i].Name)
		}
	}
	reps, errs := r.eng.ReconcileAll(ctx, r.fbs, false)
	for i, fb := range r.fbs {
		if errs[i] != nil || reps[i].Decision.Action != ActionRecover {
			t.Fatalf("%s: %v %+v", fb.Name, errs[i], reps[i].Decision)
		}
		doc, _ := r.store.Load(ctx, fb.Name)
		if doc.Intent != nil || doc.Share != r.edge[i].get() || doc.Share != r.dns[i].mem.get() {
			t.Fatalf("%s: intent %+v share %s, targets %s %s", fb.Name, doc.Intent, doc.Share, r.edge[i].get(), r.dns[i].mem.get())
		}
	}
}
