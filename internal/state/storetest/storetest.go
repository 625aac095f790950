// Package storetest is the conformance suite of state.Store: every store
// (file, S3, ...) runs Run against a fresh, empty store per case and must
// pass it unchanged. It checks the contract the engine relies on (see the
// package doc of internal/state): a missing failback loads as a new
// document, saves round-trip, Save is a compare-and-swap whose loser gets
// state.ErrConflict whatever the store, a live lock is exclusive
// (*state.LockedError naming the holder), an expired lock is taken over
// and the takeover recorded, nobody unlocks another's lock, a held lock is
// renewed, histories keep their order and their failback, a corrupt object
// is an error naming it, and a cancelled context stops every call. It also
// checks the administration every store must offer (state.Lister,
// state.Unlocker, state.Importer): a store without one fails.
//
// The suite drives time itself: the store under test takes its clock and
// its renewal ticker from Env, so no case sleeps.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// Env is what the suite gives a new store: its clock and the ticker of a
// held lock's renewal (the same shapes as state.FileOptions).
type Env struct {
	Now    func() time.Time
	Ticker func(d time.Duration) (ticks <-chan time.Time, stop func())
}

// Subject is a store under test.
type Subject struct {
	Store state.Store
	// Corrupt replaces the stored object of kind "document", "lock" or
	// "history" of failback with data, bypassing the store, and returns
	// the name a store's error must contain (a path, a key).
	Corrupt func(t *testing.T, failback, kind string, data []byte) string
}

// Run runs every case, each on a store from newStore.
func Run(t *testing.T, newStore func(t *testing.T, env Env) Subject) {
	run(t, newStore, true)
}

// RunSequential runs the cases without concurrent callers: for a store on
// a server whose conditional writes are right one at a time but not atomic
// under races (moto). Such a server checks behaviour, never safety.
func RunSequential(t *testing.T, newStore func(t *testing.T, env Env) Subject) {
	run(t, newStore, false)
}

func run(t *testing.T, newStore func(t *testing.T, env Env) Subject, races bool) {
	cases := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"LoadMissing", testLoadMissing},
		{"SaveLoadRoundTrip", testRoundTrip},
		{"SaveStaleConflicts", testStaleConflicts},
		{"CreateRaceOneWinner", testCreateRace},
		{"SaveRaceOneWinnerPerVersion", testSaveRace},
		{"LockExclusive", testLockExclusive},
		{"LockRaceOneWinner", testLockRace},
		{"LockTakeoverOfExpired", testTakeover},
		{"UnlockOfAnothersRefused", testUnlockOthers},
		{"TakeoverFencesOldHolder", testFence},
		{"LockRenewal", testRenewal},
		{"LockLostOnTakeover", testLost},
		{"HistoryOrder", testHistoryOrder},
		{"HistoryKeepsFailbacksApart", testHistoryApart},
		{"CorruptDocument", testCorruptDocument},
		{"CorruptLock", testCorruptLock},
		{"CorruptHistory", testCorruptHistory},
		{"Cancelled", testCancelled},
		// The administration of a store (state.Lister, state.Unlocker,
		// state.Importer): every store implements it.
		{"FailbacksListsEveryFailback", testFailbacks},
		{"FailbacksSkipsForeignNames", testFailbacksForeign},
		{"ForceUnlockWrongIDRefused", testForceUnlockWrongID},
		{"ForceUnlockNotLocked", testForceUnlockNotLocked},
		{"ForceUnlockRemovesAndRecords", testForceUnlock},
		{"ForceUnlockFencesOldHolder", testForceUnlockFence},
		{"ForceUnlockCorruptLock", testForceUnlockCorrupt},
		{"ImportRoundTrip", testImport},
		{"ImportAgainIdempotent", testImportAgain},
		{"ImportConflictChangesNothing", testImportConflict},
		{"ImportNeverSavedDocument", testImportNeverSaved},
		{"ImportRefusesBadInput", testImportBad},
		{"AdminCancelled", testAdminCancelled},
	}
	for _, c := range cases {
		if !races && strings.Contains(c.name, "Race") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			h := &harness{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			h.Subject = newStore(t, Env{Now: h.Now, Ticker: h.ticker})
			c.fn(t, h)
		})
	}
}

// harness holds the suite's clock and the renewal tickers the store
// started, one per Lock, in order.
type harness struct {
	Subject
	mu    sync.Mutex
	now   time.Time
	ticks []chan time.Time
}

func (h *harness) Now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

func (h *harness) ticker(time.Duration) (<-chan time.Time, func()) {
	c := make(chan time.Time)
	h.mu.Lock()
	h.ticks = append(h.ticks, c)
	h.mu.Unlock()
	return c, func() {}
}

// lastTicker is the ticker of the most recent Lock.
func (h *harness) lastTicker(t *testing.T) chan time.Time {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.ticks) == 0 {
		t.Fatal("the store started no renewal ticker for its lock: a held lock must be renewed at a third of its lease")
	}
	return h.ticks[len(h.ticks)-1]
}

// tick makes the lock of ticker c renew once and waits until the renewal
// is done: the renewal loop takes the second tick only after the first
// renewal returned. A lock that stopped renewing (lost) takes no tick,
// hence the bound.
func tick(t *testing.T, c chan time.Time) bool {
	t.Helper()
	for range 2 {
		select {
		case c <- time.Time{}:
		case <-time.After(10 * time.Second):
			return false
		}
	}
	return true
}

const lease = 3 * time.Minute

func (h *harness) info(run string) state.LockInfo {
	now := h.Now()
	return state.LockInfo{Owner: "user-" + run, Host: "host-" + run, PID: 1, RunID: run,
		Acquired: now, Expires: now.Add(lease), Lease: lease}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func testLoadMissing(t *testing.T, h *harness) {
	doc, err := h.Store.Load(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Version != 0 || doc.Failback != "web" || doc.Phase != state.PhaseSecondary || doc.SchemaVersion != state.SchemaVersion {
		t.Fatalf("Load of a missing failback: got version %d failback %q phase %q schema %d; want a new document",
			doc.Version, doc.Failback, doc.Phase, doc.SchemaVersion)
	}
	hist, err := h.Store.History(ctx(t), "web")
	if err != nil || len(hist) != 0 {
		t.Fatalf("History of a missing failback = %v, %v; want none", hist, err)
	}
}

func testRoundTrip(t *testing.T, h *harness) {
	doc, err := h.Store.Load(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	doc.Phase = state.PhaseShifting
	doc.Step = 0
	doc.Share = providers.Share(25)
	doc.StepSince = h.Now()
	doc.Observed["lb"] = providers.Share(25)
	doc.Intent = &state.Intent{RunID: "r1", From: 0, To: 25, Targets: []string{"lb"}, Started: h.Now()}
	if err := h.Store.Save(ctx(t), doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 {
		t.Fatalf("after the first Save, Version = %d, want 1", doc.Version)
	}
	got, err := h.Store.Load(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(doc, got); d != "" {
		t.Fatalf("Load after Save (-saved +loaded):\n%s", d)
	}
	got.Intent = nil
	if err := h.Store.Save(ctx(t), got); err != nil {
		t.Fatal(err)
	}
	again, err := h.Store.Load(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != 2 || again.Intent != nil {
		t.Fatalf("second Save: loaded version %d intent %v, want 2 and none", again.Version, again.Intent)
	}
}

func testStaleConflicts(t *testing.T, h *harness) {
	first, _ := h.Store.Load(ctx(t), "web")
	if err := h.Store.Save(ctx(t), first); err != nil {
		t.Fatal(err)
	}
	a, err := h.Store.Load(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Store.Load(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	a.Cycle = 7
	if err := h.Store.Save(ctx(t), a); err != nil {
		t.Fatal(err)
	}
	b.Cycle = 9
	err = h.Store.Save(ctx(t), b)
	if !errors.Is(err, state.ErrConflict) {
		t.Fatalf("Save based on a stale read = %v, want an error matching state.ErrConflict", err)
	}
	if b.Version != 1 {
		t.Fatalf("a failed Save changed doc.Version to %d", b.Version)
	}
	got, _ := h.Store.Load(ctx(t), "web")
	if got.Cycle != 7 || got.Version != 2 {
		t.Fatalf("after the lost save: cycle %d version %d, want the winner's (7, 2)", got.Cycle, got.Version)
	}
	// A new document (version 0) over an existing one is stale too.
	fresh := state.NewDocument("web", h.Now())
	if err := h.Store.Save(ctx(t), fresh); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("Save of a new document over a stored one = %v, want state.ErrConflict", err)
	}
}

// race runs n goroutines of fn at once and returns how many succeeded and
// the errors of the others.
func race(n int, fn func(i int) error) (wins int, errs []error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else {
				errs = append(errs, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return wins, errs
}

const racers = 16

func testCreateRace(t *testing.T, h *harness) {
	wins, errs := race(racers, func(i int) error {
		doc := state.NewDocument("web", h.Now())
		doc.Cycle = i + 1
		return h.Store.Save(ctx(t), doc)
	})
	if wins != 1 {
		t.Fatalf("%d concurrent creations succeeded, want exactly 1 (errors: %v)", wins, errs)
	}
	for _, err := range errs {
		if !errors.Is(err, state.ErrConflict) {
			t.Fatalf("a losing creation returned %v, want state.ErrConflict", err)
		}
	}
}

func testSaveRace(t *testing.T, h *harness) {
	doc, _ := h.Store.Load(ctx(t), "web")
	if err := h.Store.Save(ctx(t), doc); err != nil {
		t.Fatal(err)
	}
	docs := make([]*state.Document, racers)
	for i := range docs {
		d, err := h.Store.Load(ctx(t), "web")
		if err != nil {
			t.Fatal(err)
		}
		d.Cycle = i + 1
		docs[i] = d
	}
	wins, errs := race(racers, func(i int) error { return h.Store.Save(ctx(t), docs[i]) })
	if wins != 1 {
		t.Fatalf("%d concurrent saves of version 1 succeeded, want exactly 1 (errors: %v)", wins, errs)
	}
	for _, err := range errs {
		if !errors.Is(err, state.ErrConflict) {
			t.Fatalf("a losing save returned %v, want state.ErrConflict", err)
		}
	}
}

func lockedBy(t *testing.T, err error, run string) {
	t.Helper()
	var le *state.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Lock of a held lock = %v, want a *state.LockedError", err)
	}
	if le.Holder.RunID != run || le.Holder.Owner != "user-"+run || le.Holder.Host != "host-"+run {
		t.Fatalf("LockedError names %s@%s run %s, want the holder user-%s@host-%s run %s",
			le.Holder.Owner, le.Holder.Host, le.Holder.RunID, run, run, run)
	}
	if le.Failback != "web" {
		t.Fatalf("LockedError names failback %q", le.Failback)
	}
}

func testLockExclusive(t *testing.T, h *harness) {
	a, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Store.Lock(ctx(t), "web", h.info("b"))
	lockedBy(t, err, "a")
	// Another failback's lock is another lock.
	o, err := h.Store.Lock(ctx(t), "web2", h.info("b"))
	if err != nil {
		t.Fatalf("the lock of another failback: %v", err)
	}
	if err := o.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatalf("a second Unlock = %v, want nil (idempotent)", err)
	}
	b, err := h.Store.Lock(ctx(t), "web", h.info("b"))
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	b.Unlock()
}

func testLockRace(t *testing.T, h *harness) {
	var mu sync.Mutex
	var held []state.Lock
	wins, errs := race(racers, func(i int) error {
		l, err := h.Store.Lock(ctx(t), "web", h.info(fmt.Sprintf("r%d", i)))
		if err == nil {
			mu.Lock()
			held = append(held, l)
			mu.Unlock()
		}
		return err
	})
	for _, l := range held {
		l.Unlock()
	}
	if wins != 1 {
		t.Fatalf("%d concurrent Locks succeeded, want exactly 1 (errors: %v)", wins, errs)
	}
	for _, err := range errs {
		var le *state.LockedError
		if !errors.As(err, &le) {
			t.Fatalf("a losing Lock returned %v, want *state.LockedError", err)
		}
	}
}

func testTakeover(t *testing.T, h *harness) {
	a, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	h.advance(lease - time.Second)
	_, err = h.Store.Lock(ctx(t), "web", h.info("b"))
	lockedBy(t, err, "a")
	h.advance(2 * time.Second)
	b, err := h.Store.Lock(ctx(t), "web", h.info("b"))
	if err != nil {
		t.Fatalf("Lock of an expired lock: %v, want a takeover", err)
	}
	defer b.Unlock()
	_, err = h.Store.Lock(ctx(t), "web", h.info("c"))
	lockedBy(t, err, "b")
	hist, err := h.Store.History(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Type != "lock_takeover" || hist[0].RunID != "b" || !strings.Contains(hist[0].Reason, "a") {
		t.Fatalf("history after a takeover = %+v, want one lock_takeover event by run b naming run a", hist)
	}
	if err := a.Unlock(); !errors.Is(err, state.ErrLockLost) {
		t.Fatalf("Unlock of a lock taken over = %v, want state.ErrLockLost", err)
	}
	// The old holder's Unlock left the new holder's lock in place.
	_, err = h.Store.Lock(ctx(t), "web", h.info("c"))
	lockedBy(t, err, "b")
}

func testUnlockOthers(t *testing.T, h *harness) {
	a, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	h.advance(lease + time.Second)
	b, err := h.Store.Lock(ctx(t), "web", h.info("b"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Unlock(); !errors.Is(err, state.ErrLockLost) {
		t.Fatalf("Unlock by a former holder = %v, want state.ErrLockLost", err)
	}
	if err := b.Unlock(); err != nil {
		t.Fatalf("Unlock by the holder: %v", err)
	}
	c, err := h.Store.Lock(ctx(t), "web", h.info("c"))
	if err != nil {
		t.Fatalf("Lock after the holder's Unlock: %v", err)
	}
	c.Unlock()
}

func testFence(t *testing.T, h *harness) {
	first := state.NewDocument("web", h.Now())
	if err := h.Store.Save(ctx(t), first); err != nil {
		t.Fatal(err)
	}
	a, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Unlock()
	old, err := h.Store.Load(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	h.advance(lease + time.Second)
	b, err := h.Store.Lock(ctx(t), "web", h.info("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Unlock()
	// The old holder, unaware, saves what it loaded before the takeover.
	old.Cycle = 5
	if err := h.Store.Save(ctx(t), old); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("the old holder's Save after a takeover = %v, want state.ErrConflict (the takeover fences it)", err)
	}
	cur, err := h.Store.Load(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	if cur.Cycle != 0 || cur.Version != 2 {
		t.Fatalf("after the fence: cycle %d version %d, want the document as it was at version 2", cur.Cycle, cur.Version)
	}
	// The new holder saves as usual.
	cur.Cycle = 6
	if err := h.Store.Save(ctx(t), cur); err != nil {
		t.Fatalf("the new holder's Save: %v", err)
	}
}

func testRenewal(t *testing.T, h *harness) {
	acquired := h.Now()
	a, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	c := h.lastTicker(t)
	h.advance(2 * time.Minute)
	if !tick(t, c) {
		t.Fatal("the lock took no renewal tick")
	}
	// 4 minutes after the acquisition, 2 after the renewal: still held.
	// (The second tick's renewal may still be running: it renews at 12:02
	// or 12:04, live either way.)
	h.advance(2 * time.Minute)
	_, err = h.Store.Lock(ctx(t), "web", h.info("b"))
	lockedBy(t, err, "a")
	if lr, ok := h.Store.(state.LockReader); ok {
		ho, err := lr.LockHolder(ctx(t), "web")
		if err != nil || ho == nil {
			t.Fatalf("LockHolder = %v, %v", ho, err)
		}
		if ho.RunID != "a" || ho.Stale != "" || !ho.Renewed.After(acquired) {
			t.Fatalf("LockHolder = run %s stale %q renewed %s, want run a, live, renewed after %s", ho.RunID, ho.Stale, ho.Renewed, acquired)
		}
	}
	// Unlock waits for the renewal loop to end, so nothing renews after.
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	b, err := h.Store.Lock(ctx(t), "web", h.info("b"))
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	b.Unlock()
}

func testLost(t *testing.T, h *harness) {
	a, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	c := h.lastTicker(t)
	h.advance(lease + time.Second)
	b, err := h.Store.Lock(ctx(t), "web", h.info("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Unlock()
	rl, ok := a.(state.RenewedLock)
	if !ok {
		t.Fatal("the store's locks are not state.RenewedLock")
	}
	// One renewal finds the lock taken over; the loop then stops taking
	// ticks, so only one is sent.
	select {
	case c <- time.Time{}:
	case <-time.After(10 * time.Second):
		t.Fatal("the lock took no renewal tick")
	}
	select {
	case <-rl.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost() was not closed after a renewal found the lock taken over")
	}
	if err := a.Unlock(); !errors.Is(err, state.ErrLockLost) {
		t.Fatalf("Unlock of a lost lock = %v, want state.ErrLockLost", err)
	}
	_, err = h.Store.Lock(ctx(t), "web", h.info("c"))
	lockedBy(t, err, "b")
}

func testHistoryOrder(t *testing.T, h *harness) {
	var want []string
	for i := range 12 {
		typ := state.EventTypes[i%len(state.EventTypes)]
		want = append(want, typ)
		ev := state.Event{Type: typ, RunID: fmt.Sprint(i), Reason: fmt.Sprint("event ", i)}
		if i%2 == 0 {
			// Clocks differ between hosts: the order is the append order,
			// not the events' times.
			ev.Time = h.Now().Add(-time.Duration(i) * time.Hour)
		}
		if err := h.Store.Append(ctx(t), "web", ev); err != nil {
			t.Fatal(err)
		}
	}
	hist, err := h.Store.History(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, ev := range hist {
		got = append(got, ev.Type)
		if ev.Failback != "web" || ev.Time.IsZero() || ev.RunID != fmt.Sprint(i) {
			t.Fatalf("event %d = %+v, want failback web, a time, run %d", i, ev, i)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("history order (-appended +read):\n%s", d)
	}
	if err := h.Store.Append(ctx(t), "web", state.Event{Type: "shift", Failback: "other"}); err == nil {
		t.Fatal("Append of another failback's event succeeded")
	}
}

func testHistoryApart(t *testing.T, h *harness) {
	// Names that share a prefix: a store keying objects by name must not
	// list one's events under the other.
	for _, fb := range []string{"a", "ab", "a.b", "a-b"} {
		if err := h.Store.Append(ctx(t), fb, state.Event{Type: "shift", Reason: fb}); err != nil {
			t.Fatal(err)
		}
	}
	for _, fb := range []string{"a", "ab", "a.b", "a-b"} {
		hist, err := h.Store.History(ctx(t), fb)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 || hist[0].Reason != fb {
			t.Fatalf("history of %q = %+v, want its one event", fb, hist)
		}
	}
}

// corruptions are objects no fbctl wrote: every read must name them.
var corruptions = map[string][]byte{
	"garbage": []byte("\x00\x01not json"),
	"empty":   {},
	"json":    []byte(`{"hello":"world"}`),
}

func wantNamed(t *testing.T, what string, err error, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s of a corrupt object succeeded", what)
	}
	if !strings.Contains(err.Error(), name) {
		t.Fatalf("%s of a corrupt object: %v; want an error naming %s", what, err, name)
	}
}

func testCorruptDocument(t *testing.T, h *harness) {
	for label, data := range corruptions {
		name := h.Corrupt(t, "web", "document", data)
		_, err := h.Store.Load(ctx(t), "web")
		wantNamed(t, "Load ("+label+")", err, name)
		err = h.Store.Save(ctx(t), state.NewDocument("web", h.Now()))
		if err == nil {
			t.Fatalf("Save over a corrupt (%s) document succeeded: that is a silent reset", label)
		}
	}
}

func testCorruptLock(t *testing.T, h *harness) {
	for label, data := range corruptions {
		name := h.Corrupt(t, "web", "lock", data)
		_, err := h.Store.Lock(ctx(t), "web", h.info("a"))
		wantNamed(t, "Lock ("+label+")", err, name)
	}
}

func testCorruptHistory(t *testing.T, h *harness) {
	if err := h.Store.Append(ctx(t), "web", state.Event{Type: "shift"}); err != nil {
		t.Fatal(err)
	}
	name := h.Corrupt(t, "web", "history", []byte("\x00garbage\n"))
	_, err := h.Store.History(ctx(t), "web")
	wantNamed(t, "History", err, name)
}

func testCancelled(t *testing.T, h *harness) {
	c, cancel := context.WithCancel(t.Context())
	cancel()
	doc := state.NewDocument("web", h.Now())
	checks := map[string]error{}
	_, checks["Load"] = h.Store.Load(c, "web")
	checks["Save"] = h.Store.Save(c, doc)
	_, checks["Lock"] = h.Store.Lock(c, "web", h.info("a"))
	checks["Append"] = h.Store.Append(c, "web", state.Event{Type: "shift"})
	_, checks["History"] = h.Store.History(c, "web")
	for op, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", op, err)
		}
	}
	// Nothing was written.
	got, err := h.Store.Load(t.Context(), "web")
	if err != nil || got.Version != 0 {
		t.Fatalf("after cancelled calls: Load = version %v, %v; want nothing stored", got, err)
	}
}

func lister(t *testing.T, h *harness) state.Lister {
	t.Helper()
	l, ok := h.Store.(state.Lister)
	if !ok {
		t.Fatalf("%T does not implement state.Lister: every store must (fbctl state list)", h.Store)
	}
	return l
}

func unlocker(t *testing.T, h *harness) state.Unlocker {
	t.Helper()
	u, ok := h.Store.(state.Unlocker)
	if !ok {
		t.Fatalf("%T does not implement state.Unlocker: every store must (fbctl state unlock)", h.Store)
	}
	return u
}

func importer(t *testing.T, h *harness) state.Importer {
	t.Helper()
	i, ok := h.Store.(state.Importer)
	if !ok {
		t.Fatalf("%T does not implement state.Importer: every store must (fbctl state migrate)", h.Store)
	}
	return i
}

func listed(t *testing.T, h *harness) []string {
	t.Helper()
	got, err := lister(t, h).Failbacks(ctx(t))
	if err != nil {
		t.Fatalf("Failbacks: %v", err)
	}
	return got
}

func testFailbacks(t *testing.T, h *harness) {
	if got := listed(t, h); len(got) != 0 {
		t.Fatalf("Failbacks of an empty store = %q, want none", got)
	}
	// A document only, a lock only, a history only; names that share
	// prefixes and suffixes with each other and with the stores' own
	// names for their objects.
	for _, fb := range []string{"web", "a.b", "web.json", "x.history"} {
		doc := state.NewDocument(fb, h.Now())
		if err := h.Store.Save(ctx(t), doc); err != nil {
			t.Fatal(err)
		}
	}
	held, err := h.Store.Lock(ctx(t), "locked", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	for _, fb := range []string{"a", "ab", "Z9", "history"} {
		if err := h.Store.Append(ctx(t), fb, state.Event{Type: "shift"}); err != nil {
			t.Fatal(err)
		}
	}
	// Loading a missing failback creates nothing to list.
	if _, err := h.Store.Load(ctx(t), "ghost"); err != nil {
		t.Fatal(err)
	}
	want := []string{"Z9", "a", "a.b", "ab", "history", "locked", "web", "web.json", "x.history"}
	if d := cmp.Diff(want, listed(t, h)); d != "" {
		t.Fatalf("Failbacks (-want +got):\n%s", d)
	}
	// A lock released and nothing else stored: nothing left to list.
	if err := held.Unlock(); err != nil {
		t.Fatal(err)
	}
	for _, fb := range listed(t, h) {
		if fb == "locked" {
			t.Fatalf("Failbacks lists %q after its only object, the lock, was released", fb)
		}
	}
}

func testFailbacksForeign(t *testing.T, h *harness) {
	if err := h.Store.Append(ctx(t), "web", state.Event{Type: "shift"}); err != nil {
		t.Fatal(err)
	}
	// Objects under names that are not failback names (written around the
	// store, as another tool or a person would) are skipped, not errors.
	for _, fb := range []string{"-stray", "_x", ".hidden"} {
		h.Corrupt(t, fb, "document", []byte("{}"))
	}
	// A corrupt document is still a failback: listing it is how a person
	// finds it.
	h.Corrupt(t, "broken", "document", []byte("\x00garbage"))
	if d := cmp.Diff([]string{"broken", "web"}, listed(t, h)); d != "" {
		t.Fatalf("Failbacks with foreign objects (-want +got):\n%s", d)
	}
}

func lockIDError(t *testing.T, err error, want, holder string) {
	t.Helper()
	var le *state.LockIDError
	if !errors.As(err, &le) {
		t.Fatalf("ForceUnlock with the wrong id = %v, want a *state.LockIDError", err)
	}
	if le.Failback != "web" || le.Want != want || le.Holder.RunID != holder || le.Holder.Owner != "user-"+holder {
		t.Fatalf("LockIDError = %+v, want failback web, id %s, holder run %s", le, want, holder)
	}
	if !strings.Contains(err.Error(), holder) {
		t.Fatalf("LockIDError %q does not name the holder's run %s", err, holder)
	}
}

func testForceUnlockWrongID(t *testing.T, h *harness) {
	a, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Unlock()
	_, err = unlocker(t, h).ForceUnlock(ctx(t), "web", "b", "alice", "stuck")
	lockIDError(t, err, "b", "a")
	// A prefix of the id is not the id.
	_, err = unlocker(t, h).ForceUnlock(ctx(t), "web", "", "alice", "stuck")
	if err == nil {
		t.Fatal("ForceUnlock with an empty id succeeded")
	}
	// The lock is intact, and nothing was recorded.
	_, err = h.Store.Lock(ctx(t), "web", h.info("c"))
	lockedBy(t, err, "a")
	hist, err := h.Store.History(ctx(t), "web")
	if err != nil || len(hist) != 0 {
		t.Fatalf("history after a refused unlock = %+v, %v; want none", hist, err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatalf("the holder's Unlock after a refused force-unlock: %v", err)
	}
}

func testForceUnlockNotLocked(t *testing.T, h *harness) {
	_, err := unlocker(t, h).ForceUnlock(ctx(t), "web", "a", "alice", "")
	if !errors.Is(err, state.ErrNotLocked) {
		t.Fatalf("ForceUnlock of a failback never locked = %v, want state.ErrNotLocked", err)
	}
	a, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	_, err = unlocker(t, h).ForceUnlock(ctx(t), "web", "a", "alice", "")
	if !errors.Is(err, state.ErrNotLocked) {
		t.Fatalf("ForceUnlock of a released lock = %v, want state.ErrNotLocked", err)
	}
	if got := listed(t, h); len(got) != 0 {
		t.Fatalf("Failbacks after ForceUnlock of nothing = %q, want none: it must create nothing", got)
	}
}

func testForceUnlock(t *testing.T, h *harness) {
	a, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	c := h.lastTicker(t)
	removed, err := unlocker(t, h).ForceUnlock(ctx(t), "web", "a", "alice (CHG-1)", "run died with its host")
	if err != nil {
		t.Fatalf("ForceUnlock with the holder's id: %v", err)
	}
	if removed == nil || removed.RunID != "a" || removed.Owner != "user-a" || removed.Host != "host-a" {
		t.Fatalf("ForceUnlock returned %+v, want the holder removed (run a)", removed)
	}
	hist, err := h.Store.History(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 {
		t.Fatalf("history after ForceUnlock = %+v, want one unlock event", hist)
	}
	ev := hist[0]
	if ev.Type != "unlock" || ev.Actor != "alice (CHG-1)" || ev.Failback != "web" || ev.Time.IsZero() ||
		!strings.Contains(ev.Reason, "run died with its host") || !strings.Contains(ev.Reason, "user-a@host-a") {
		t.Fatalf("unlock event = %+v, want type unlock by alice (CHG-1), its reason and the holder removed", ev)
	}
	if !state.KnownEventType(ev.Type) {
		t.Fatalf("event type %q is not in state.EventTypes", ev.Type)
	}
	// The old holder's next renewal finds its lock gone: the lock is lost,
	// and the renewal does not bring it back.
	rl, ok := a.(state.RenewedLock)
	if !ok {
		t.Fatal("the store's locks are not state.RenewedLock")
	}
	select {
	case c <- time.Time{}:
	case <-time.After(10 * time.Second):
		t.Fatal("the old holder's lock took no renewal tick")
	}
	select {
	case <-rl.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost() was not closed after a renewal found the lock force-unlocked")
	}
	// The lock is free at once, long before its expiry.
	b, err := h.Store.Lock(ctx(t), "web", h.info("b"))
	if err != nil {
		t.Fatalf("Lock after ForceUnlock (and the old holder's renewal): %v", err)
	}
	defer b.Unlock()
	if err := a.Unlock(); !errors.Is(err, state.ErrLockLost) {
		t.Fatalf("the old holder's Unlock after a force-unlock and a new Lock = %v, want state.ErrLockLost", err)
	}
	_, err = h.Store.Lock(ctx(t), "web", h.info("c"))
	lockedBy(t, err, "b")
}

func testForceUnlockFence(t *testing.T, h *harness) {
	if err := h.Store.Save(ctx(t), state.NewDocument("web", h.Now())); err != nil {
		t.Fatal(err)
	}
	a, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Unlock()
	old, err := h.Store.Load(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unlocker(t, h).ForceUnlock(ctx(t), "web", "a", "alice", ""); err != nil {
		t.Fatal(err)
	}
	// The holder, still running, saves what it loaded before.
	old.Cycle = 5
	if err := h.Store.Save(ctx(t), old); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("the old holder's Save after a force-unlock = %v, want state.ErrConflict (the unlock fences it)", err)
	}
	cur, err := h.Store.Load(ctx(t), "web")
	if err != nil {
		t.Fatal(err)
	}
	if cur.Cycle != 0 || cur.Version != 2 {
		t.Fatalf("after the fence: cycle %d version %d, want the document as it was at version 2", cur.Cycle, cur.Version)
	}
	cur.Cycle = 6
	if err := h.Store.Save(ctx(t), cur); err != nil {
		t.Fatalf("a Save of the fenced document: %v", err)
	}
}

func testForceUnlockCorrupt(t *testing.T, h *harness) {
	for label, data := range corruptions {
		name := h.Corrupt(t, "web", "lock", data)
		_, err := unlocker(t, h).ForceUnlock(ctx(t), "web", "a", "alice", "")
		wantNamed(t, "ForceUnlock ("+label+")", err, name)
		if errors.Is(err, state.ErrNotLocked) {
			t.Fatalf("ForceUnlock of a corrupt (%s) lock = %v: a lock nobody can read is not no lock", label, err)
		}
		_, err = h.Store.Lock(ctx(t), "web", h.info("b"))
		wantNamed(t, "Lock after ForceUnlock ("+label+")", err, name)
	}
}

// imported is a document and history as another store held them: a
// version well past 1, times and shares in every field that has them.
func (h *harness) imported(fb string) (*state.Document, []state.Event) {
	now := h.Now().Add(-time.Hour)
	doc := state.NewDocument(fb, now.Add(-time.Hour))
	doc.Version = 7
	doc.Phase = state.PhaseShifting
	doc.Step = 1
	doc.Share = providers.Share(2500)
	doc.StepSince = now
	doc.Cycle = 2
	doc.Observed["lb"] = providers.Share(2500)
	doc.LastRun = now
	from, to := providers.Share(1000), providers.Share(2500)
	events := []state.Event{
		{Time: now.Add(-2 * time.Hour), RunID: "r1", Failback: fb, Type: "shift", Phase: state.PhaseShifting, To: &from, Reason: "first"},
		// Events are kept in their order, not sorted by time.
		{Time: now.Add(-3 * time.Hour), RunID: "r2", Failback: fb, Type: "pause", Actor: "alice", Reason: "second"},
		{Time: now, RunID: "r3", Failback: fb, Type: "shift", Phase: state.PhaseShifting, From: &from, To: &to, Reason: "third"},
	}
	return doc, events
}

func (h *harness) wantState(t *testing.T, doc *state.Document, events []state.Event) {
	t.Helper()
	got, err := h.Store.Load(ctx(t), doc.Failback)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(doc, got); d != "" {
		t.Fatalf("Load of failback %s (-imported +loaded):\n%s", doc.Failback, d)
	}
	hist, err := h.Store.History(ctx(t), doc.Failback)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		events = []state.Event{}
	}
	if d := cmp.Diff(events, hist); d != "" {
		t.Fatalf("History of failback %s (-imported +read):\n%s", doc.Failback, d)
	}
}

func testImport(t *testing.T, h *harness) {
	doc, events := h.imported("web")
	if err := importer(t, h).Import(ctx(t), doc, events); err != nil {
		t.Fatalf("Import into an empty store: %v", err)
	}
	if doc.Version != 7 {
		t.Fatalf("Import changed doc.Version to %d", doc.Version)
	}
	h.wantState(t, doc, events)
	if d := cmp.Diff([]string{"web"}, listed(t, h)); d != "" {
		t.Fatalf("Failbacks after Import (-want +got):\n%s", d)
	}
	// The imported document is the store's own from now on: its version
	// is the compare-and-swap's, and its history grows as usual.
	cur, _ := h.Store.Load(ctx(t), "web")
	if err := h.Store.Save(ctx(t), cur); err != nil || cur.Version != 8 {
		t.Fatalf("Save of the imported document: version %d, %v; want 8", cur.Version, err)
	}
	stale := *doc
	if err := h.Store.Save(ctx(t), &stale); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("Save of the imported version after another Save = %v, want state.ErrConflict", err)
	}
	if err := h.Store.Append(ctx(t), "web", state.Event{Type: "resume"}); err != nil {
		t.Fatal(err)
	}
	hist, err := h.Store.History(ctx(t), "web")
	if err != nil || len(hist) != 4 || hist[3].Type != "resume" || hist[0].Reason != "first" {
		t.Fatalf("history after an Append to the imported one = %+v, %v", hist, err)
	}
	// Import of a failback with no events.
	other, _ := h.imported("other")
	if err := importer(t, h).Import(ctx(t), other, nil); err != nil {
		t.Fatalf("Import without events: %v", err)
	}
	h.wantState(t, other, nil)
}

func testImportAgain(t *testing.T, h *harness) {
	doc, events := h.imported("web")
	for i := range 3 {
		if err := importer(t, h).Import(ctx(t), doc, events); err != nil {
			t.Fatalf("Import number %d of the same state: %v, want success (idempotent)", i+1, err)
		}
	}
	h.wantState(t, doc, events)
	// The same state decoded afresh (as a second migration reads it from
	// its source again) is the same state.
	again, againEvents := h.imported("web")
	if err := importer(t, h).Import(ctx(t), again, againEvents); err != nil {
		t.Fatalf("Import of an equal copy of the state: %v", err)
	}
	h.wantState(t, doc, events)
}

func testImportConflict(t *testing.T, h *harness) {
	doc, events := h.imported("web")
	if err := importer(t, h).Import(ctx(t), doc, events); err != nil {
		t.Fatal(err)
	}
	conflict := func(what string, d *state.Document, evs []state.Event) {
		t.Helper()
		err := importer(t, h).Import(ctx(t), d, evs)
		if !errors.Is(err, state.ErrExists) {
			t.Fatalf("Import of %s = %v, want an error matching state.ErrExists", what, err)
		}
		h.wantState(t, doc, events)
	}
	other := *doc
	other.Cycle = 3
	conflict("another document", &other, events)
	newer := *doc
	newer.Version = 8
	conflict("another version of the document", &newer, events)
	conflict("fewer events", doc, events[:2])
	conflict("more events", doc, append(events[:3:3], state.Event{Time: h.Now(), Failback: "web", Type: "resume"}))
	changed := append([]state.Event(nil), events...)
	changed[1].Reason = "edited"
	conflict("an edited event", doc, changed)
	conflict("no events", doc, nil)

	// A failback that has only a history, or only a document, in the
	// store: Import changes neither.
	for _, fb := range []string{"hist", "doc"} {
		d, evs := h.imported(fb)
		if fb == "hist" {
			if err := h.Store.Append(ctx(t), fb, state.Event{Type: "shift", Reason: "already here"}); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := h.Store.Save(ctx(t), state.NewDocument(fb, h.Now())); err != nil {
				t.Fatal(err)
			}
		}
		err := importer(t, h).Import(ctx(t), d, evs)
		if !errors.Is(err, state.ErrExists) {
			t.Fatalf("Import over a store holding a %s of the failback = %v, want state.ErrExists", fb, err)
		}
		got, err := h.Store.Load(ctx(t), fb)
		if err != nil {
			t.Fatal(err)
		}
		hist, err := h.Store.History(ctx(t), fb)
		if err != nil {
			t.Fatal(err)
		}
		if fb == "hist" && (got.Version != 0 || len(hist) != 1 || hist[0].Reason != "already here") {
			t.Fatalf("a refused Import changed the failback with only a history: version %d, history %+v", got.Version, hist)
		}
		if fb == "doc" && (got.Version != 1 || len(hist) != 0) {
			t.Fatalf("a refused Import changed the failback with only a document: version %d, history %+v", got.Version, hist)
		}
	}
}

func testImportNeverSaved(t *testing.T, h *harness) {
	// A failback with a history and no document in its old store: Load
	// returned a Version 0 document, and that means "no document".
	_, events := h.imported("web")
	doc := state.NewDocument("web", h.Now())
	if err := importer(t, h).Import(ctx(t), doc, events); err != nil {
		t.Fatalf("Import of a never saved document with its events: %v", err)
	}
	got, err := h.Store.Load(ctx(t), "web")
	if err != nil || got.Version != 0 {
		t.Fatalf("Load after the Import of a Version 0 document = version %v, %v; want none stored", got, err)
	}
	hist, err := h.Store.History(ctx(t), "web")
	if err != nil || len(hist) != len(events) {
		t.Fatalf("History after the Import = %d events, %v; want %d", len(hist), err, len(events))
	}
	if err := importer(t, h).Import(ctx(t), doc, events); err != nil {
		t.Fatalf("Import again: %v", err)
	}
	// Once the store has a document, a never saved one conflicts with it.
	if err := h.Store.Save(ctx(t), got); err != nil {
		t.Fatal(err)
	}
	if err := importer(t, h).Import(ctx(t), doc, events); !errors.Is(err, state.ErrExists) {
		t.Fatalf("Import of a never saved document over a saved one = %v, want state.ErrExists", err)
	}
}

func testImportBad(t *testing.T, h *harness) {
	doc, events := h.imported("web")
	bad := map[string]func() (*state.Document, []state.Event){
		"a nil document": func() (*state.Document, []state.Event) { return nil, events },
		"an invalid name": func() (*state.Document, []state.Event) {
			d := *doc
			d.Failback = "../web"
			return &d, nil
		},
		"another schema version": func() (*state.Document, []state.Event) {
			d := *doc
			d.SchemaVersion = state.SchemaVersion + 1
			return &d, events
		},
		"a document breaking its invariants": func() (*state.Document, []state.Event) {
			d := *doc
			d.Phase = "sideways"
			return &d, events
		},
		"an event of another failback": func() (*state.Document, []state.Event) {
			evs := append([]state.Event(nil), events...)
			evs[2].Failback = "other"
			return doc, evs
		},
		"an event without a type": func() (*state.Document, []state.Event) {
			evs := append([]state.Event(nil), events...)
			evs[0].Type = ""
			return doc, evs
		},
	}
	for what, mk := range bad {
		d, evs := mk()
		if err := importer(t, h).Import(ctx(t), d, evs); err == nil {
			t.Fatalf("Import of %s succeeded", what)
		}
	}
	if got := listed(t, h); len(got) != 0 {
		t.Fatalf("refused Imports left %q in the store", got)
	}
}

func testAdminCancelled(t *testing.T, h *harness) {
	held, err := h.Store.Lock(ctx(t), "web", h.info("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	c, cancel := context.WithCancel(t.Context())
	cancel()
	doc, events := h.imported("other")
	checks := map[string]error{}
	_, checks["Failbacks"] = lister(t, h).Failbacks(c)
	_, checks["ForceUnlock"] = unlocker(t, h).ForceUnlock(c, "web", "a", "alice", "")
	checks["Import"] = importer(t, h).Import(c, doc, events)
	for op, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", op, err)
		}
	}
	_, err = h.Store.Lock(ctx(t), "web", h.info("b"))
	lockedBy(t, err, "a")
	if d := cmp.Diff([]string{"web"}, listed(t, h)); d != "" {
		t.Fatalf("after cancelled calls (-want +got):\n%s", d)
	}
}
