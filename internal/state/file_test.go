package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/providers"
)

// fakeClock is an injectable clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func openStore(t *testing.T, dir string, clock *fakeClock) *FileStore {
	t.Helper()
	opts := FileOptions{}
	if clock != nil {
		opts.Now = clock.Now
	}
	s, err := OpenFile(dir, opts)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	return s
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tempFiles lists the temp files of unfinished writes in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fullDocument sets every field, so that a round trip proves each one is
// stored.
func fullDocument(name string, at time.Time) *Document {
	d := NewDocument(name, at)
	d.Phase = PhaseShifting
	d.Step = 2
	d.Share = 2500
	d.StepSince = at.Add(time.Minute)
	d.Cycle = 3
	d.Evidence["primary-http"] = health.Evidence{
		LastProbe: at, LastHealthy: true, LastDetail: "200 OK", Successes: 4, StreakSince: at.Add(-time.Hour),
	}
	d.Observed["lb"] = 2500
	d.Intent = &Intent{RunID: "r1", From: 1000, To: 2500, Targets: []string{"lb", "dns"}, Applied: []string{"lb"}, Started: at}
	d.CooldownUntil = at.Add(time.Hour)
	d.Approvals = []Approval{{Cycle: 3, Step: 0, By: "alice", At: at, Reason: "ok"}}
	d.Hold = &Hold{By: "bob", At: at, Reason: "why", Forced: true, Resume: PhaseShifting}
	d.LastRun = at
	return d
}

func TestLoadMissingIsNewDocument(t *testing.T) {
	clock := newClock()
	s := openStore(t, t.TempDir(), clock)
	got, err := s.Load(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(NewDocument("web", clock.Now()), got); diff != "" {
		t.Errorf("Load of a failback never saved (-want +got):\n%s", diff)
	}
	if got.Version != 0 {
		t.Errorf("Version = %d, want 0", got.Version)
	}
}

func TestRoundTripAndVersions(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := openStore(t, t.TempDir(), clock)

	doc := fullDocument("web", clock.Now())
	if err := s.Save(ctx, doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 {
		t.Fatalf("Version after the first Save = %d, want 1", doc.Version)
	}
	got, err := s.Load(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc, got); diff != "" {
		t.Fatalf("round trip (-saved +loaded):\n%s", diff)
	}

	for want := int64(2); want <= 4; want++ {
		got.Step++
		if err := s.Save(ctx, got); err != nil {
			t.Fatal(err)
		}
		if got.Version != want {
			t.Fatalf("Version = %d, want %d", got.Version, want)
		}
		again, err := s.Load(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("after save %d (-saved +loaded):\n%s", want, diff)
		}
	}
}

func TestSaveConflict(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, newClock())
	path := filepath.Join(dir, "web.json")

	t.Run("update", func(t *testing.T) {
		if err := s.Save(ctx, NewDocument("web", time.Time{})); err != nil {
			t.Fatal(err)
		}
		a, err := s.Load(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Load(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		a.Cycle, b.Cycle = 10, 20
		if err := s.Save(ctx, a); err != nil {
			t.Fatalf("first Save: %v", err)
		}
		after := readBytes(t, path)
		err = s.Save(ctx, b)
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("second Save = %v, want ErrConflict", err)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("conflict error %q does not name %s", err, path)
		}
		if b.Version != 1 {
			t.Errorf("a failed Save changed doc.Version to %d", b.Version)
		}
		if string(readBytes(t, path)) != string(after) {
			t.Error("a failed Save changed the file")
		}
		got, err := s.Load(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if got.Cycle != 10 || got.Version != 2 {
			t.Errorf("stored cycle %d version %d, want the first save's (10, 2)", got.Cycle, got.Version)
		}
	})

	t.Run("create", func(t *testing.T) {
		a, b := NewDocument("api", time.Time{}), NewDocument("api", time.Time{})
		if err := s.Save(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, b); !errors.Is(err, ErrConflict) {
			t.Fatalf("second creation = %v, want ErrConflict", err)
		}
	})
}

func TestSaveRejectsBadDocuments(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, nil)
	if err := s.Save(ctx, nil); err == nil {
		t.Error("Save(nil) succeeded")
	}
	other := NewDocument("web", time.Time{})
	other.SchemaVersion = SchemaVersion + 1
	if err := s.Save(ctx, other); err == nil {
		t.Error("Save of another schema version succeeded")
	}
	negative := NewDocument("web", time.Time{})
	negative.Version = -1
	if err := s.Save(ctx, negative); err == nil {
		t.Error("Save at a negative version succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "web.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused Save wrote the document: %v", err)
	}
}

// Goroutines racing load-modify-save with retries: every increment lands
// once, so the compare-and-swap lost nothing and let nothing through twice.
func TestConcurrentSavesLoseNothing(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), nil)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for done := 0; done < each; {
				d, err := s.Load(ctx, "web")
				if err != nil {
					errs <- err
					return
				}
				d.Cycle++
				err = s.Save(ctx, d)
				if errors.Is(err, ErrConflict) {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				done++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	d, err := s.Load(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if d.Cycle != workers*each || d.Version != workers*each {
		t.Errorf("cycle %d version %d, want both %d", d.Cycle, d.Version, workers*each)
	}
}

func TestLoadRejectsBadDocuments(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"corrupt", `{"schema_version": 1, "failback": "web", "vers`, "invalid JSON"},
		{"not json", "hello\n", "invalid JSON"},
		{"empty", "", "is empty"},
		{"unknown schema version", `{"schema_version": 2, "failback": "web", "version": 3}`, "unknown schema version 2"},
		{"no schema version", `{"failback": "web", "version": 3}`, "no schema_version"},
		{"wrong failback", `{"schema_version": 1, "failback": "api", "version": 3}`, `failback "api", not "web"`},
		{"wrong field type", `{"schema_version": 1, "failback": "web", "version": "3"}`, "corrupt"},
		{"version zero", `{"schema_version": 1, "failback": "web", "version": 0}`, "not positive"},
		{"trailing garbage", `{"schema_version": 1, "failback": "web", "version": 1} x`, "invalid JSON"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, nil)
			path := filepath.Join(dir, "web.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.Load(ctx, "web")
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error %q, want it to name %s and say %q", err, path, tt.want)
			}
			// Neither a new document nor one claiming the stored version
			// may overwrite it: that would be a silent reset.
			for _, v := range []int64{0, 3} {
				d := NewDocument("web", time.Time{})
				d.Version = v
				err := s.Save(ctx, d)
				if err == nil || !strings.Contains(err.Error(), path) {
					t.Errorf("Save at version %d over a bad file = %v, want an error naming %s", v, err, path)
				}
			}
			if got := readBytes(t, path); string(got) != tt.content {
				t.Errorf("the file changed: %q", got)
			}
		})
	}
}

func TestLoadFillsNilMaps(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, nil)
	content := `{"schema_version": 1, "failback": "web", "version": 4, "phase": "primary", "evidence": null}`
	if err := os.WriteFile(filepath.Join(dir, "web.json"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := s.Load(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if d.Evidence == nil || d.Observed == nil {
		t.Errorf("nil maps after Load: evidence %v observed %v", d.Evidence, d.Observed)
	}
	if d.Version != 4 || d.Phase != PhasePrimary {
		t.Errorf("version %d phase %q", d.Version, d.Phase)
	}
}

type simulatedCrash struct{ step string }

// crashAt runs f with afterStep panicking at step, and reports whether it
// did crash there.
func crashAt(step string, f func()) (crashed bool) {
	afterStep = func(s string) {
		if s == step {
			panic(simulatedCrash{s})
		}
	}
	defer func() {
		afterStep = nil
		if r := recover(); r != nil {
			if _, ok := r.(simulatedCrash); !ok {
				panic(r)
			}
			crashed = true
		}
	}()
	f()
	return false
}

var writeSteps = []string{"temp-created", "written", "synced", "renamed"}

// A write interrupted after any of its steps leaves exactly the old or
// exactly the new document, and the temp files a crash leaves are neither
// read nor kept by the next Save.
func TestInterruptedSave(t *testing.T) {
	ctx := context.Background()
	for i, step := range writeSteps {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			s := openStore(t, dir, clock)
			if err := s.Save(ctx, fullDocument("web", clock.Now())); err != nil {
				t.Fatal(err)
			}
			old, err := s.Load(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			next, err := s.Load(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			next.Phase, next.Step, next.Share, next.Intent = PhasePrimary, -1, providers.ShareFull, nil
			next.Evidence["secondary-http"] = health.Evidence{LastProbe: clock.Now(), Failures: 2}

			if !crashAt(step, func() { s.Save(ctx, next) }) {
				t.Fatalf("Save never reached step %q", step)
			}
			if next.Version != 1 {
				t.Errorf("a crashed Save updated doc.Version to %d", next.Version)
			}
			got, err := s.Load(ctx, "web")
			if err != nil {
				t.Fatalf("Load after a crash at %q: %v", step, err)
			}
			want := old
			if step == "renamed" {
				// The new document, exactly as Save would have returned it.
				want = next
				want.Version = 2
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after a crash at %q (-want +got):\n%s", step, diff)
			}

			temps := tempFiles(t, dir)
			if wantTemp := i < 3; (len(temps) > 0) != wantTemp {
				t.Errorf("temp files after a crash at %q: %v", step, temps)
			}
			for _, tmp := range temps {
				fi, err := os.Stat(tmp)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("temp file %s has mode %v, want 0600", tmp, fi.Mode().Perm())
				}
			}

			// The next run carries on from what it loaded, and cleans up.
			got.Cycle++
			if err := s.Save(ctx, got); err != nil {
				t.Fatalf("Save after the crash: %v", err)
			}
			if temps := tempFiles(t, dir); len(temps) > 0 {
				t.Errorf("temp files left after the next Save: %v", temps)
			}
			if again, err := s.Load(ctx, "web"); err != nil || again.Cycle != got.Cycle {
				t.Errorf("Load after recovery = %v, %v", again, err)
			}
		})
	}
}

// A Lock interrupted mid-write leaves either no lock or the whole new lock.
func TestInterruptedLock(t *testing.T) {
	ctx := context.Background()
	for _, step := range writeSteps {
		t.Run(step, func(t *testing.T) {
			clock := newClock()
			s := openStore(t, t.TempDir(), clock)
			info := LockInfo{Owner: "alice", Host: "h", PID: 1, RunID: "run-1", Expires: clock.Now().Add(time.Minute)}
			if !crashAt(step, func() { s.Lock(ctx, "web", info) }) {
				t.Fatalf("Lock never reached step %q", step)
			}
			l, err := s.Lock(ctx, "web", LockInfo{Owner: "bob", RunID: "run-2", Expires: clock.Now().Add(time.Minute)})
			if err == nil {
				// Stops its renewal, which would otherwise write (and
				// meet afterStep) while a later test simulates a crash.
				defer l.Unlock()
			}
			var locked *LockedError
			switch {
			case step == "renamed" && !errors.As(err, &locked):
				t.Errorf("Lock after a crash once the lock was in place = %v, want a LockedError", err)
			case step == "renamed" && locked.Holder.RunID != "run-1":
				t.Errorf("holder %+v, want run-1", locked.Holder)
			case step != "renamed" && err != nil:
				t.Errorf("Lock after a crash before the lock was in place = %v, want success", err)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := newClock()
	s := openStore(t, dir, clock)
	path := filepath.Join(dir, "web.history.jsonl")

	evs, err := s.History(ctx, "web")
	if err != nil || len(evs) != 0 {
		t.Fatalf("History with none = %v, %v", evs, err)
	}
	from, to := providers.Share(0), providers.Share(1000)
	want := []Event{
		{Time: clock.Now(), Failback: "web", Type: "shift", RunID: "r1", Phase: PhaseShifting, From: &from, To: &to, Reason: "bake done"},
		{Time: clock.Now().Add(time.Second), Failback: "web", Type: "hold", Actor: "alice"},
		{Time: clock.Now(), Failback: "web", Type: "rollback"}, // time filled from the clock
	}
	for i, ev := range want {
		if i == 2 {
			ev.Time, ev.Failback = time.Time{}, ""
		}
		if err := s.Append(ctx, "web", ev); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.History(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
	if err := s.Append(ctx, "web", Event{Failback: "api", Type: "x"}); err == nil {
		t.Error("Append of another failback's event succeeded")
	}

	// An unterminated last line is an Append that crashed mid-write: it is
	// not an event, and the next Append cuts it off.
	complete := readBytes(t, path)
	torn := append(append([]byte{}, complete...), `{"time":"2026-01-02T03:04:05Z","fail`...)
	if err := os.WriteFile(path, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := s.History(ctx, "web"); err != nil || len(got) != 3 {
		t.Errorf("History with a torn last line = %d events, %v; want 3, nil", len(got), err)
	}
	if err := s.Append(ctx, "web", Event{Type: "resume"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.History(ctx, "web"); err != nil || len(got) != 4 || got[3].Type != "resume" {
		t.Errorf("History after appending past a torn line = %v, %v", got, err)
	}

	// A complete last event without its newline (edited by hand) is kept.
	noNL := strings.TrimSuffix(string(readBytes(t, path)), "\n")
	if err := os.WriteFile(path, []byte(noNL), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, "web", Event{Type: "pause"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.History(ctx, "web"); err != nil || len(got) != 5 || got[3].Type != "resume" || got[4].Type != "pause" {
		t.Errorf("History after appending to an unterminated complete event = %v, %v", got, err)
	}

	// A corrupt line in the middle is an error naming file and line.
	lines := strings.SplitAfter(string(readBytes(t, path)), "\n")
	lines[1] = "{not json}\n"
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.History(ctx, "web")
	if err == nil || !strings.Contains(err.Error(), path+":2:") {
		t.Errorf("History with a corrupt line 2 = %v, want an error naming %s:2", err, path)
	}
}

func TestLockTakeoverAndExpiry(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	dir := t.TempDir()
	s := openStore(t, dir, clock)
	start := clock.Now()
	first := LockInfo{Owner: "alice", Host: "host1", PID: 111, RunID: "run-1", Expires: start.Add(5 * time.Minute)}
	l1, err := s.Lock(ctx, "web", first)
	if err != nil {
		t.Fatal(err)
	}
	second := LockInfo{Owner: "bob", Host: "host2", PID: 222, RunID: "run-2"}

	// Live until the very instant it expires.
	for _, at := range []time.Time{start, start.Add(time.Minute), first.Expires.Add(-time.Nanosecond)} {
		clock.Set(at)
		second.Expires = at.Add(5 * time.Minute)
		_, err := s.Lock(ctx, "web", second)
		var locked *LockedError
		if !errors.As(err, &locked) {
			t.Fatalf("Lock at %s of a live lock = %v, want *LockedError", at, err)
		}
		if locked.Holder.RunID != "run-1" || locked.Failback != "web" {
			t.Errorf("LockedError %+v", locked)
		}
		if msg := err.Error(); !strings.Contains(msg, "locked by alice@host1") || !strings.Contains(msg, "pid 111") || !strings.Contains(msg, "since ") {
			t.Errorf("LockedError message %q", msg)
		}
	}
	if evs, _ := s.History(ctx, "web"); len(evs) != 0 {
		t.Errorf("refused locks wrote history: %v", evs)
	}

	// Expired: taken over, and the takeover is in the history.
	clock.Set(first.Expires)
	second.Expires = first.Expires.Add(5 * time.Minute)
	l2, err := s.Lock(ctx, "web", second)
	if err != nil {
		t.Fatalf("Lock of an expired lock: %v", err)
	}
	evs, err := s.History(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	wantEv := []Event{{
		Time: first.Expires, RunID: "run-2", Failback: "web", Type: "lock_takeover", Actor: "bob",
		Reason: "lock of alice@host1 pid 111 (run run-1) expired at 2026-01-02T03:09:05Z",
	}}
	if len(evs) == 1 {
		if len(evs[0].ID) != 32 {
			t.Errorf("the takeover's event id is %q, want 32 hex digits", evs[0].ID)
		}
		evs[0].ID = ""
	}
	if diff := cmp.Diff(wantEv, evs); diff != "" {
		t.Errorf("history after the takeover (-want +got):\n%s", diff)
	}

	// The first holder, back from the dead, must not release bob's lock,
	// and learns that it lost it.
	if err := l1.Unlock(); !errors.Is(err, ErrLockLost) {
		t.Fatalf("Unlock of a lock taken over = %v, want ErrLockLost", err)
	}
	_, err = s.Lock(ctx, "web", LockInfo{Owner: "carol", RunID: "run-3", Expires: second.Expires})
	var locked *LockedError
	if !errors.As(err, &locked) || locked.Holder.RunID != "run-2" {
		t.Fatalf("after the stale holder's Unlock, Lock = %v, want locked by run-2", err)
	}
	if err := l2.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "web.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file after Unlock: %v", err)
	}
	if err := l2.Unlock(); err != nil {
		t.Errorf("second Unlock: %v", err)
	}
	l3, err := s.Lock(ctx, "web", LockInfo{Owner: "carol", RunID: "run-3", Expires: second.Expires})
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	if evs, _ := s.History(ctx, "web"); len(evs) != 1 {
		t.Errorf("a Lock of a released lock recorded a takeover: %v", evs)
	}
	l3.Unlock()
}

func TestLockRejectsBadInfo(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	dir := t.TempDir()
	s := openStore(t, dir, clock)
	for name, info := range map[string]LockInfo{
		"no expiry":     {RunID: "r"},
		"expired":       {RunID: "r", Expires: clock.Now().Add(-time.Second)},
		"expires now":   {RunID: "r", Expires: clock.Now()},
		"no run id":     {Expires: clock.Now().Add(time.Minute)},
		"canceled .ctx": {},
	} {
		c := ctx
		if name == "canceled .ctx" {
			cc, cancel := context.WithCancel(ctx)
			cancel()
			c, info = cc, LockInfo{RunID: "r", Expires: clock.Now().Add(time.Minute)}
		}
		if _, err := s.Lock(c, "web", info); err == nil {
			t.Errorf("%s: Lock succeeded", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "web.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused Lock left a lock file: %v", err)
	}

	// A corrupt lock file is not taken over: its holder may be alive.
	if err := os.WriteFile(filepath.Join(dir, "web.lock"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.Lock(ctx, "web", LockInfo{RunID: "r", Expires: clock.Now().Add(time.Minute)})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "web.lock")) {
		t.Errorf("Lock over a corrupt lock file = %v, want an error naming it", err)
	}
}

// Waiting for the guard honours the context.
func TestGuardWaitHonoursContext(t *testing.T) {
	s := openStore(t, t.TempDir(), nil)
	g, err := s.guard(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	defer g.unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Save(ctx, NewDocument("web", time.Time{})); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Save while the guard is held = %v, want DeadlineExceeded", err)
	}
}

func TestPermissions(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	parent := t.TempDir()
	dir := filepath.Join(parent, "a", "state")
	s := openStore(t, dir, clock)
	if err := s.Save(ctx, NewDocument("web", clock.Now())); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, "web", Event{Type: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(ctx, "web", LockInfo{RunID: "r", Expires: clock.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(parent, "a"), dir} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want 0700", d, fi.Mode().Perm())
		}
	}
	for _, f := range []string{"web.json", "web.history.jsonl", "web.lock", "web.guard"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Errorf("store holds %d files, want 4: %v", len(entries), entries)
	}
}

func TestFailbackNames(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	parent := t.TempDir()
	dir := filepath.Join(parent, "state")
	s := openStore(t, dir, clock)
	bad := []string{
		"", ".", "..", "../web", "../../etc/passwd", "a/b", `a\b`, ".hidden", "-web", "_web",
		"web ", "a b", "web\x00", "wéb", "web\n", strings.Repeat("a", 64), "a:b", "*",
	}
	for _, name := range bad {
		if _, err := s.Load(ctx, name); err == nil || !strings.Contains(err.Error(), "invalid failback name") {
			t.Errorf("Load(%q) = %v", name, err)
		}
		d := NewDocument(name, clock.Now())
		if err := s.Save(ctx, d); err == nil {
			t.Errorf("Save(%q) succeeded", name)
		}
		if _, err := s.Lock(ctx, name, LockInfo{RunID: "r", Expires: clock.Now().Add(time.Minute)}); err == nil {
			t.Errorf("Lock(%q) succeeded", name)
		}
		if err := s.Append(ctx, name, Event{Type: "x"}); err == nil {
			t.Errorf("Append(%q) succeeded", name)
		}
		if _, err := s.History(ctx, name); err == nil {
			t.Errorf("History(%q) succeeded", name)
		}
	}
	for _, d := range []string{dir, parent} {
		entries, err := os.ReadDir(d)
		if d == dir && errors.Is(err, fs.ErrNotExist) {
			continue // nothing written: the directory was never created
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Errorf("%s holds %v after invalid names", d, entries)
		}
	}
	for _, name := range []string{"w", "web", "Web-2", "a.b_c-d", "0", strings.Repeat("a", 63)} {
		if err := s.Save(ctx, NewDocument(name, clock.Now())); err != nil {
			t.Errorf("Save(%q): %v", name, err)
		}
		if _, err := s.Load(ctx, name); err != nil {
			t.Errorf("Load(%q): %v", name, err)
		}
	}
}

func TestOpenFileErrors(t *testing.T) {
	if _, err := OpenFile("", FileOptions{}); err == nil {
		t.Error("OpenFile of an empty path succeeded")
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(file, FileOptions{}); err == nil {
		t.Error("OpenFile of a regular file succeeded")
	}
}

// --- Tests with real processes -------------------------------------------

const helperEnv = "FBCTL_STATE_TEST_HELPER"

// helper returns a command re-running this test binary as the helper
// process, in the given role.
func helper(t *testing.T, role, dir string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+role, "FBCTL_STATE_TEST_DIR="+dir)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestHelperProcess is not a test: it is what the helper processes run.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(helperEnv)
	if role == "" {
		t.Skip("helper process only")
	}
	s, err := OpenFile(os.Getenv("FBCTL_STATE_TEST_DIR"), FileOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switch role {
	case "save-loop":
		helperSaveLoop(s)
	case "lock":
		helperLock(s)
	case "idle":
		// A process that stays alive until its stdin closes.
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	fmt.Fprintln(os.Stderr, "unknown helper role", role)
	os.Exit(1)
}

// crashDocEntries sizes the documents of the crash test: big enough that a
// write takes a while, so the kills land inside writes too.
const crashDocEntries = 200

// helperSaveLoop saves forever, each document self-consistent (Cycle equals
// Version; every evidence entry names the cycle), and appends an event per
// save. After its first round it says "ready" and how long the round took
// in nanoseconds, so that the test can aim its kills at the whole loop.
func helperSaveLoop(s *FileStore) {
	ctx := context.Background()
	ready := false
	for {
		start := time.Now()
		d, err := s.Load(ctx, "web")
		if err != nil {
			fmt.Fprintln(os.Stderr, "Load:", err)
			os.Exit(1)
		}
		d.Cycle = int(d.Version + 1)
		detail := strings.Repeat(strconv.Itoa(d.Cycle)+" ", 20)
		for i := range crashDocEntries {
			d.Evidence["check-"+strconv.Itoa(i)] = health.Evidence{LastDetail: detail, Successes: d.Cycle}
		}
		if err := s.Save(ctx, d); err != nil {
			fmt.Fprintln(os.Stderr, "Save:", err)
			os.Exit(1)
		}
		if err := s.Append(ctx, "web", Event{Type: "shift", Reason: detail}); err != nil {
			fmt.Fprintln(os.Stderr, "Append:", err)
			os.Exit(1)
		}
		if !ready {
			fmt.Println("ready", time.Since(start).Nanoseconds())
			ready = true
		}
	}
}

// helperLock says "ready", waits for the start barrier (EOF on fd 3), then
// calls Lock once, says "done", and waits for the end barrier (EOF on
// stdin), so that no holder is gone (and its lock stale at once) while the
// others try: then it exits 0 when it got the lock, 4 (fbctl's "locked"
// code) on a LockedError, 1 on anything else. It never unlocks.
func helperLock(s *FileStore) {
	fmt.Println("ready")
	if _, err := io.Copy(io.Discard, os.NewFile(3, "barrier")); err != nil {
		fmt.Fprintln(os.Stderr, "barrier:", err)
		os.Exit(1)
	}

	run := os.Getenv("FBCTL_STATE_TEST_RUN")
	now := time.Now()
	_, err := s.Lock(context.Background(), "web", LockInfo{
		Owner: "test", Host: "localhost", PID: os.Getpid(), RunID: run, Acquired: now, Expires: now.Add(time.Hour),
	})
	code := 0
	var locked *LockedError
	switch {
	case err == nil:
	case errors.As(err, &locked):
		code = 4
	default:
		fmt.Fprintln(os.Stderr, "Lock:", err)
		code = 1
	}
	fmt.Println("done")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(code)
}

// SIGKILL a process that saves in a loop, at random moments, again and
// again: every Load in between must return a complete document and the
// history must stay readable.
func TestSaveSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, nil)
	const kills = 30
	var last int64
	strays := 0
	for i := range kills {
		cmd := helper(t, "save-loop", dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		round, convErr := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(line), "ready "), 10, 64)
		if err != nil || !strings.HasPrefix(line, "ready ") || convErr != nil || round <= 0 {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("kill %d: helper said %q, %v", i, line, err)
		}
		// Not synchronisation: a random moment within the next two rounds
		// of load, save and append.
		time.Sleep(rand.N(2 * time.Duration(round)))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("kill %d: helper ended with %v, not by SIGKILL", i, err)
		}
		strays += len(tempFiles(t, dir))

		d, err := s.Load(ctx, "web")
		if err != nil {
			t.Fatalf("kill %d: Load: %v", i, err)
		}
		if d.Version < last || d.Version < 1 {
			t.Fatalf("kill %d: version %d after %d", i, d.Version, last)
		}
		last = d.Version
		if d.Cycle != int(d.Version) || len(d.Evidence) != crashDocEntries {
			t.Fatalf("kill %d: incomplete document: version %d cycle %d, %d evidence entries", i, d.Version, d.Cycle, len(d.Evidence))
		}
		detail := strings.Repeat(strconv.Itoa(d.Cycle)+" ", 20)
		for name, ev := range d.Evidence {
			if ev.LastDetail != detail || ev.Successes != d.Cycle {
				t.Fatalf("kill %d: evidence %s of another save: %+v", i, name, ev)
			}
		}
		if _, err := s.History(ctx, "web"); err != nil {
			t.Fatalf("kill %d: History: %v", i, err)
		}
	}
	// How many kills landed inside a document write; informative only,
	// since where a kill lands is up to chance and the scheduler.
	t.Logf("%d kills, %d saves, %d stray temp files seen", kills, last, strays)
	d, err := s.Load(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, d); err != nil {
		t.Fatal(err)
	}
	if temps := tempFiles(t, dir); len(temps) != 0 {
		t.Errorf("temp files left after a Save: %v", temps)
	}
}

// 20 processes, started together, Lock the same failback: exactly one gets
// it, the 19 others get a LockedError.
func TestLockExclusiveAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const n = 20
	dir := t.TempDir()
	barrierR, barrierW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer barrierW.Close()
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bufio.Reader, n)
	ins := make([]io.WriteCloser, n)
	for i := range cmds {
		cmd := helper(t, "lock", dir, "FBCTL_STATE_TEST_RUN=run-"+strconv.Itoa(i))
		cmd.ExtraFiles = []*os.File{barrierR}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i], outs[i], ins[i] = cmd, bufio.NewReader(out), in
		// Wait until it is up and about to block on the barrier.
		if line, err := outs[i].ReadString('\n'); err != nil || line != "ready\n" {
			t.Fatalf("helper %d said %q, %v", i, line, err)
		}
	}
	barrierR.Close()
	barrierW.Close() // all of them go
	// All of them tried while all were alive; then they may exit.
	for i := range cmds {
		if line, err := outs[i].ReadString('\n'); err != nil || line != "done\n" {
			t.Fatalf("helper %d said %q, %v", i, line, err)
		}
	}
	for _, in := range ins {
		in.Close()
	}

	winners := []int{}
	for i, cmd := range cmds {
		err := cmd.Wait()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("helper %d: %v", i, err)
		}
		switch code {
		case 0:
			winners = append(winners, i)
		case 4:
		default:
			t.Errorf("helper %d exited %d", i, code)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d processes got the lock (%v), want exactly 1", len(winners), winners)
	}
	held, err := openStore(t, dir, nil).readLock("web")
	if err != nil || held == nil {
		t.Fatalf("lock file: %v, %v", held, err)
	}
	if want := "run-" + strconv.Itoa(winners[0]); held.RunID != want {
		t.Errorf("the lock file names %s, the winner was %s", held.RunID, want)
	}
}

// TestReadsCreateNothing: opening the store and reading from it (plan,
// status, history) leaves the disk as it was; the first write creates the
// directory.
func TestReadsCreateNothing(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a", "state")
	s, err := OpenFile(dir, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.History(ctx, "web"); err != nil || len(evs) != 0 {
		t.Fatalf("History = %v, %v", evs, err)
	}
	if _, err := os.Stat(filepath.Dir(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reading created %s: %v", filepath.Dir(dir), err)
	}
	if err := s.Save(ctx, NewDocument("web", time.Now())); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("after the first write: %v %v", fi, err)
	}
}

// status reads the holder through LockHolder: it must see a live holder and
// an expired one as they are, and never take, renew or break the lock.
func TestLockHolderReadsWithoutTaking(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	dir := t.TempDir()
	s := openStore(t, dir, clock)
	start := clock.Now()
	if h, err := s.LockHolder(ctx, "web"); err != nil || h != nil {
		t.Fatalf("LockHolder of a free lock = %+v, %v; want nil, nil", h, err)
	}
	info := LockInfo{Owner: "alice", Host: "host1", PID: 111, RunID: "run-1", Expires: start.Add(5 * time.Minute)}
	l, err := s.Lock(ctx, "web", info)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	before, err := os.ReadFile(filepath.Join(dir, "web.lock"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.LockHolder(ctx, "web")
	if err != nil || h == nil {
		t.Fatalf("LockHolder of a held lock = %+v, %v", h, err)
	}
	if h.RunID != "run-1" || h.Owner != "alice" || !h.Expiry().Equal(info.Expires) || h.Stale != "" {
		t.Errorf("LockHolder = %+v; want alice's live lock until %s", h, info.Expires)
	}
	clock.Set(info.Expires)
	if h, err = s.LockHolder(ctx, "web"); err != nil || h == nil || !strings.Contains(h.Stale, "expired at") {
		t.Errorf("LockHolder of an expired lock = %+v, %v; want Stale to say it expired", h, err)
	}
	after, err := os.ReadFile(filepath.Join(dir, "web.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Errorf("LockHolder changed the lock file:\n%s\n->\n%s", before, after)
	}
	if evs, _ := s.History(ctx, "web"); len(evs) != 0 {
		t.Errorf("LockHolder wrote history: %v", evs)
	}
}
