package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// blinkTarget is a memTarget whose Observe fails while blind is set.
type blinkTarget struct {
	*memTarget
	blind atomic.Bool
}

func (b *blinkTarget) Observe(ctx context.Context) (providers.Share, error) {
	if b.blind.Load() {
		return 0, errors.New("connection refused")
	}
	return b.memTarget.Observe(ctx)
}

// parRig is n failbacks of assorted fortunes on a store and clock of their
// own, run with ReconcileAll at a given Parallel: a third of them also
// have a staged target in one shared zone, and a scripted round makes
// some primaries fail, some writes fail, some targets drift and some
// blind. The last entry of fbs is the first failback again.
type parRig struct {
	clk   *clock
	store *state.FileStore
	eng   *Engine
	zone  *fakeZone
	fbs   []*Failback
	a     []*blinkTarget
	dns   []*stagerTarget // nil where the failback has none
	prim  []*flagCheck
}

func newParRig(t *testing.T, n, par int) *parRig {
	t.Helper()
	r := &parRig{clk: &clock{now: t0}, zone: &fakeZone{}}
	store, err := state.OpenFile(t.TempDir(), state.FileOptions{Now: r.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.store = store
	r.eng = New(Options{Store: store, Now: r.clk.Now, Holder: state.LockInfo{Owner: "test", Host: "h", PID: 1}, Parallel: par})
	ro := testRollout()
	ro.PrimaryHealthyFor, ro.Bake = time.Minute, time.Minute
	for i := 0; i < n; i++ {
		a := &blinkTarget{memTarget: &memTarget{res: 1}}
		p, s := &flagCheck{}, &flagCheck{}
		p.healthy.Store(true)
		s.healthy.Store(true)
		fb := &Failback{Name: fmt.Sprintf("svc-%02d", i), PrimaryName: "aws", SecondaryName: "gcp", Rollout: ro,
			Targets: []NamedTarget{{Name: "a", Target: a}},
			Checks: []NamedCheck{
				{Name: "p", Side: Primary, Check: p, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour},
				{Name: "s", Side: Secondary, Check: s, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour},
			}}
		var dns *stagerTarget
		if i%3 == 0 {
			dns = &stagerTarget{mem: &memTarget{res: 1}, zone: r.zone}
			fb.Targets = append(fb.Targets, NamedTarget{Name: "dns", Target: dns})
		}
		r.fbs = append(r.fbs, fb)
		r.a = append(r.a, a)
		r.dns = append(r.dns, dns)
		r.prim = append(r.prim, p)
	}
	r.fbs = append(r.fbs, r.fbs[0])
	return r
}

// script sets the fortunes of a round, the same for every rig.
func (r *parRig) script(round int) {
	for i := range r.a {
		r.prim[i].healthy.Store(!(i%7 == 3 && round >= 4 && round < 7))
		r.a[i].blind.Store(i%5 == 2 && round == 3)
		if i%11 == 5 && round == 5 {
			r.a[i].mu.Lock()
			r.a[i].failNext = errors.New("HTTP 500")
			r.a[i].mu.Unlock()
		}
		if i%13 == 4 && round == 6 {
			r.a[i].mu.Lock()
			r.a[i].share = 7000 // drift
			r.a[i].mu.Unlock()
		}
	}
}

var runIDRE = regexp.MustCompile(`\b[0-9a-f]{12}\b`)

// outcome is a round's reports and errors without their run IDs.
func outcome(reps []*Report, errs []error) []string {
	var out []string
	for i := range reps {
		rep := "no report"
		if reps[i] != nil {
			c := *reps[i]
			c.RunID = ""
			b, err := json.Marshal(c)
			if err != nil {
				panic(err)
			}
			rep = string(b)
		}
		e := "ok"
		if errs[i] != nil {
			e = runIDRE.ReplaceAllString(errs[i].Error(), "RUNID")
		}
		out = append(out, rep+" | "+e)
	}
	return out
}

// TestReconcileAllParallelSameOutcome: many failbacks run with Parallel 8
// get, round after round, the reports, decisions, errors, stored documents,
// histories, target shares and batches that Parallel 1 gives them.
func TestReconcileAllParallelSameOutcome(t *testing.T) {
	const n, rounds = 40, 12
	seq, par := newParRig(t, n, 1), newParRig(t, n, 8)
	ctx := context.Background()
	decided, failed := map[Action]int{}, map[string]int{}
	for round := 0; round < rounds; round++ {
		seq.script(round)
		par.script(round)
		want := outcome(seq.eng.ReconcileAll(ctx, seq.fbs, false))
		reps, errs := par.eng.ReconcileAll(ctx, par.fbs, false)
		got := outcome(reps, errs)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("round %d, %s (entry %d):\nParallel 8: %s\nParallel 1: %s", round, par.fbs[i].Name, i, got[i], want[i])
			}
		}
		for i, rep := range reps {
			if rep != nil {
				decided[rep.Decision.Action]++
			}
			switch {
			case errs[i] == nil:
			case strings.Contains(errs[i].Error(), "HTTP 500"):
				failed["write"]++
			case strings.Contains(errs[i].Error(), "connection refused"):
				failed["observe"]++
			case errors.As(errs[i], new(*state.LockedError)):
				failed["locked"]++
			}
		}
		seq.clk.Advance(2 * time.Minute)
		par.clk.Advance(2 * time.Minute)
	}
	// The script reached the decisions it is meant to compare.
	for _, a := range []Action{ActionShift, ActionHold, ActionRollback, ActionHalt} {
		if decided[a] == 0 {
			t.Errorf("no failback decided %s: %v", a, decided)
		}
	}
	for _, f := range []string{"write", "observe", "locked"} {
		if failed[f] == 0 {
			t.Errorf("no %s failed: %v", f, failed)
		}
	}
	for i, fb := range seq.fbs[:n] {
		for _, r := range []*parRig{seq, par} {
			if got, want := r.a[i].get(), seq.a[i].get(); got != want {
				t.Fatalf("%s: target a reads %s, want %s", fb.Name, got, want)
			}
			if r.dns[i] != nil && r.dns[i].mem.get() != seq.dns[i].mem.get() {
				t.Fatalf("%s: target dns reads %s, want %s", fb.Name, r.dns[i].mem.get(), seq.dns[i].mem.get())
			}
		}
		ds, err := seq.store.Load(ctx, fb.Name)
		if err != nil {
			t.Fatal(err)
		}
		dp, err := par.store.Load(ctx, fb.Name)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Intent != nil {
			ds.Intent.RunID = ""
		}
		if dp.Intent != nil {
			dp.Intent.RunID = ""
		}
		if !reflect.DeepEqual(ds, dp) {
			t.Fatalf("%s: document\nParallel 8: %+v\nParallel 1: %+v", fb.Name, dp, ds)
		}
		hs, err := seq.store.History(ctx, fb.Name)
		if err != nil {
			t.Fatal(err)
		}
		hp, err := par.store.History(ctx, fb.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range [][]state.Event{hs, hp} {
			for j := range h {
				// Run and event ids are random.
				h[j].RunID, h[j].ID = "", ""
			}
		}
		if !reflect.DeepEqual(hs, hp) {
			t.Fatalf("%s: history\nParallel 8: %+v\nParallel 1: %+v", fb.Name, hp, hs)
		}
	}
	if !reflect.DeepEqual(seq.zone.batches, par.zone.batches) {
		t.Fatalf("batches\nParallel 8: %v\nParallel 1: %v", par.zone.batches, seq.zone.batches)
	}
}

// recordingStore records the order of the store calls that matter to the
// run's phases.
type recordingStore struct {
	state.Store
	mu  sync.Mutex
	log []string
}

func (s *recordingStore) note(e string) {
	s.mu.Lock()
	s.log = append(s.log, e)
	s.mu.Unlock()
}

func (s *recordingStore) Save(ctx context.Context, d *state.Document) error {
	if d.Intent != nil && len(d.Intent.Applied) == 0 {
		s.note("intent " + d.Failback)
	}
	return s.Store.Save(ctx, d)
}

func (s *recordingStore) Lock(ctx context.Context, name string, info state.LockInfo) (state.Lock, error) {
	l, err := s.Store.Lock(ctx, name, info)
	if err != nil {
		return nil, err
	}
	return &recordingLock{Lock: l, s: s, name: name}, nil
}

type recordingLock struct {
	state.Lock
	s    *recordingStore
	name string
}

func (l *recordingLock) Unlock() error {
	l.s.note("unlock " + l.name)
	return l.Lock.Unlock()
}

// TestReconcileAllParallelIntentsFirst: with Parallel > 1, every intent is
// stored before the first target write, and every lock is released by the
// time ReconcileAll returns.
func TestReconcileAllParallelIntentsFirst(t *testing.T) {
	const n = 30
	clk := &clock{now: t0}
	fs, err := state.OpenFile(t.TempDir(), state.FileOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	store := &recordingStore{Store: fs}
	var fbs []*Failback
	var firstWrite atomic.Int64
	firstWrite.Store(-1)
	eng := New(Options{Store: store, Now: clk.Now, Holder: state.LockInfo{Owner: "test", Host: "h", PID: 1}, Parallel: 6,
		BeforeApply: func(ctx context.Context, target string) {
			store.mu.Lock()
			firstWrite.CompareAndSwap(-1, int64(len(store.log)))
			store.mu.Unlock()
		}})
	ro := testRollout()
	ro.PrimaryHealthyFor, ro.Bake = 0, 0
	ok := &flagCheck{}
	ok.healthy.Store(true)
	for i := 0; i < n; i++ {
		fbs = append(fbs, &Failback{Name: fmt.Sprintf("svc-%02d", i), Rollout: ro,
			Targets: []NamedTarget{{Name: "a", Target: &memTarget{res: 1}}},
			Checks: []NamedCheck{{Name: "p", Side: Primary, Check: ok, Interval: time.Minute, HealthyThreshold: 1,
				UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour}}})
	}
	ctx := context.Background()
	wrote := 0
	for round := 0; round < 3; round++ {
		store.mu.Lock()
		store.log = nil
		store.mu.Unlock()
		firstWrite.Store(-1)
		reps, errs := eng.ReconcileAll(ctx, fbs, false)
		for i := range fbs {
			if errs[i] != nil {
				t.Fatalf("round %d, %s: %v", round, fbs[i].Name, errs[i])
			}
		}
		if !reps[0].Decision.Writes {
			clk.Advance(time.Minute)
			continue
		}
		wrote++
		intents, unlocks := 0, 0
		for j, e := range store.log {
			switch {
			case e[:7] == "intent ":
				intents++
				if fw := firstWrite.Load(); fw >= 0 && int64(j) >= fw {
					t.Fatalf("round %d: %s stored after the first target write", round, e)
				}
			case e[:7] == "unlock ":
				unlocks++
			}
		}
		if intents != n || unlocks != n {
			t.Fatalf("round %d: %d intents and %d unlocks, want %d of each: %v", round, intents, unlocks, n, store.log)
		}
		for _, fb := range fbs {
			h, err := fs.LockHolder(ctx, fb.Name)
			if err != nil || h != nil {
				t.Fatalf("round %d, %s: lock holder %+v, %v after the run", round, fb.Name, h, err)
			}
		}
		clk.Advance(time.Minute)
	}
	if wrote == 0 {
		t.Fatal("no round wrote")
	}
}

// cancelCheck cancels the run when probed (a signal mid-run).
type cancelCheck struct{ cancel context.CancelFunc }

func (c cancelCheck) Probe(context.Context) providers.Result {
	c.cancel()
	return providers.Result{Healthy: true, Detail: "ok"}
}

// TestReconcileAllParallelInterrupted: a run interrupted in phase 1 with
// Parallel > 1 writes no target, decides nothing after the interruption
// for failbacks it had not started, and releases every lock.
func TestReconcileAllParallelInterrupted(t *testing.T) {
	const n = 40
	clk := &clock{now: t0}
	store, err := state.OpenFile(t.TempDir(), state.FileOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	eng := New(Options{Store: store, Now: clk.Now, Holder: state.LockInfo{Owner: "test", Host: "h", PID: 1}, Parallel: 4})
	ro := testRollout()
	ro.PrimaryHealthyFor, ro.Bake = 0, 0
	ok := &flagCheck{}
	ok.healthy.Store(true)
	var fbs []*Failback
	var targets []*memTarget
	for i := 0; i < n; i++ {
		m := &memTarget{res: 1}
		targets = append(targets, m)
		fbs = append(fbs, &Failback{Name: fmt.Sprintf("svc-%02d", i), Rollout: ro,
			Targets: []NamedTarget{{Name: "a", Target: m}},
			Checks: []NamedCheck{{Name: "p", Side: Primary, Check: ok, Interval: time.Minute, HealthyThreshold: 1,
				UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour}}})
	}
	// A first round gathers evidence (and may shift); the second would
	// shift every one.
	if _, errs := eng.ReconcileAll(context.Background(), fbs, false); slices.ContainsFunc(errs, func(e error) bool { return e != nil }) {
		t.Fatal(errs)
	}
	before := make([]providers.Share, n)
	for i, m := range targets {
		before[i] = m.get()
	}
	clk.Advance(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const k = 10
	fbs[k].Checks = append(fbs[k].Checks, NamedCheck{Name: "signal", Side: Primary, Check: cancelCheck{cancel},
		Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour})
	reps, errs := eng.ReconcileAll(ctx, fbs, false)
	if !errors.Is(errs[k], context.Canceled) {
		t.Fatalf("%s: %v, want the interruption", fbs[k].Name, errs[k])
	}
	interrupted := 0
	for i := range fbs {
		if targets[i].get() != before[i] {
			t.Fatalf("%s: target written (%s, was %s) in an interrupted run", fbs[i].Name, targets[i].get(), before[i])
		}
		if reps[i] == nil {
			if !errors.Is(errs[i], context.Canceled) {
				t.Fatalf("%s: no report and error %v", fbs[i].Name, errs[i])
			}
			interrupted++
		}
		if h, err := store.LockHolder(context.Background(), fbs[i].Name); err != nil || h != nil {
			t.Fatalf("%s: lock holder %+v, %v after the run", fbs[i].Name, h, err)
		}
	}
	if interrupted == 0 {
		t.Fatal("every failback was started after the interruption")
	}
}

// TestForEach: every index runs once; indices with the same key run in
// order, never at once; a panic comes back to the caller.
func TestForEach(t *testing.T) {
	const n = 200
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprint(i % 17)
	}
	var mu sync.Mutex
	ran := make([]int, n)
	last := map[string]int{}
	busy := map[string]bool{}
	forEach(n, 8, func(i int) string { return keys[i] }, func(i int) {
		mu.Lock()
		k := keys[i]
		if busy[k] {
			t.Errorf("key %s: two calls at once", k)
		}
		if p, ok := last[k]; ok && p > i {
			t.Errorf("key %s: %d ran after %d", k, i, p)
		}
		busy[k], last[k] = true, i
		ran[i]++
		mu.Unlock()
		mu.Lock()
		busy[k] = false
		mu.Unlock()
	})
	for i, c := range ran {
		if c != 1 {
			t.Fatalf("index %d ran %d times", i, c)
		}
	}
	type boom struct{}
	func() {
		defer func() {
			if _, ok := recover().(boom); !ok {
				t.Fatal("the panic did not come back")
			}
		}()
		forEach(n, 8, func(i int) string { return keys[i] }, func(i int) {
			if i == 50 {
				panic(boom{})
			}
		})
	}()
}
