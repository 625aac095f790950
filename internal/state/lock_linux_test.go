package state

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeLockFile writes a lock file as another process would have.
func writeLockFile(t *testing.T, dir string, info LockInfo) {
	t.Helper()
	data, err := json.Marshal(&info)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web.lock"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// startIdle starts a helper process that lives until its stdin closes.
func startIdle(t *testing.T) (cmd *exec.Cmd, stop func()) {
	t.Helper()
	cmd = helper(t, "idle", t.TempDir())
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("idle helper said %q, %v", line, err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			in.Close()
			cmd.Wait() // reaped: its pid is no longer running
		}
	}
	t.Cleanup(stop)
	return cmd, stop
}

func takeovers(t *testing.T, s *FileStore) []Event {
	t.Helper()
	evs, err := s.History(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// A lock's holder on this boot and in this PID namespace: alive, it keeps
// the lock however old; once its process is gone, the lock is taken over
// at once, long before its expiry, and the takeover says why.
func TestLockOfDeadHolderTakenOverAtOnce(t *testing.T) {
	id := hostIdentity()
	if id.boot == "" || id.pidNS == "" {
		t.Skip("no boot id or PID namespace in /proc")
	}
	ctx := context.Background()
	clock := newClock()
	dir := t.TempDir()
	s := openStore(t, dir, clock)
	cmd, stop := startIdle(t)
	pid := cmd.Process.Pid
	start, _, err := procStart(pid)
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now()
	writeLockFile(t, dir, LockInfo{Owner: "alice", Host: "h", PID: pid, RunID: "run-1",
		Acquired: now, Renewed: now, Expires: now.Add(time.Hour), Lease: time.Hour,
		BootID: id.boot, PIDNS: id.pidNS, StartTime: start})
	other := LockInfo{Owner: "bob", Host: "h", PID: 7, RunID: "run-2", Expires: now.Add(time.Hour)}

	var locked *LockedError
	if _, err := s.Lock(ctx, "web", other); !errors.As(err, &locked) {
		t.Fatalf("Lock of a live holder's lock = %v, want a LockedError", err)
	}
	stop()
	l, err := s.Lock(ctx, "web", other)
	if err != nil {
		t.Fatalf("Lock of a dead holder's lock = %v, want a takeover", err)
	}
	defer l.Unlock()
	evs := takeovers(t, s)
	if len(evs) != 1 || evs[0].Type != "lock_takeover" || evs[0].RunID != "run-2" ||
		!strings.Contains(evs[0].Reason, "is not running on this host") {
		t.Errorf("history after the takeover: %+v", evs)
	}
}

// The holder's pid runs another process (started at another time): gone.
// Another boot or PID namespace, or a lock without the identity: the pid
// says nothing, and only the expiry counts.
func TestLockHolderIdentity(t *testing.T) {
	id := hostIdentity()
	if id.boot == "" || id.pidNS == "" {
		t.Skip("no boot id or PID namespace in /proc")
	}
	self, _, err := procStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// A pid surely not running: beyond pid_max.
	const deadPID = 1 << 30
	for _, tc := range []struct {
		name     string
		edit     func(i *LockInfo)
		takeover string // the reason's telling part; "" for a LockedError
	}{
		{"live (this process)", func(i *LockInfo) {}, ""},
		{"reused pid", func(i *LockInfo) { i.StartTime = self + 1 }, "is another process now"},
		{"dead pid", func(i *LockInfo) { i.PID = deadPID }, "is not running"},
		{"another boot", func(i *LockInfo) { i.PID, i.BootID = deadPID, "00000000-0000-0000-0000-000000000000" }, ""},
		{"another pid namespace (a container)", func(i *LockInfo) { i.PID, i.PIDNS = deadPID, "pid:[1]" }, ""},
		{"no start time", func(i *LockInfo) { i.PID, i.StartTime = deadPID, 0 }, ""},
		{"no identity (older fbctl)", func(i *LockInfo) { i.PID, i.BootID, i.PIDNS, i.StartTime = deadPID, "", "", 0 }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			dir := t.TempDir()
			s := openStore(t, dir, clock)
			now := clock.Now()
			held := LockInfo{Owner: "alice", Host: "h", PID: os.Getpid(), RunID: "run-1",
				Acquired: now, Renewed: now, Expires: now.Add(time.Hour), Lease: time.Hour,
				BootID: id.boot, PIDNS: id.pidNS, StartTime: self}
			tc.edit(&held)
			writeLockFile(t, dir, held)
			l, err := s.Lock(context.Background(), "web", LockInfo{Owner: "bob", RunID: "run-2", Expires: now.Add(time.Hour)})
			if tc.takeover == "" {
				var locked *LockedError
				if !errors.As(err, &locked) {
					t.Fatalf("Lock = %v, want a LockedError", err)
				}
				// The expiry still counts.
				clock.Set(now.Add(time.Hour))
				if l, err = s.Lock(context.Background(), "web", LockInfo{Owner: "bob", RunID: "run-2", Expires: now.Add(2 * time.Hour)}); err != nil {
					t.Fatalf("Lock after the expiry = %v", err)
				}
				l.Unlock()
				return
			}
			if err != nil {
				t.Fatalf("Lock = %v, want a takeover", err)
			}
			l.Unlock()
			if evs := takeovers(t, s); len(evs) != 1 || !strings.Contains(evs[0].Reason, tc.takeover) {
				t.Errorf("takeover events %+v, want one saying %q", evs, tc.takeover)
			}
		})
	}
}

// Lock records the identity of the calling process, so that its lock is
// stale at once after a crash; not that of another pid.
func TestLockRecordsHolderIdentity(t *testing.T) {
	id := hostIdentity()
	if id.boot == "" || id.pidNS == "" {
		t.Skip("no boot id or PID namespace in /proc")
	}
	clock := newClock()
	dir := t.TempDir()
	s := openStore(t, dir, clock)
	now := clock.Now()
	l, err := s.Lock(context.Background(), "web", LockInfo{Owner: "a", PID: os.Getpid(), RunID: "r", Acquired: now, Expires: now.Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.readLock("web")
	if err != nil {
		t.Fatal(err)
	}
	self, _, _ := procStart(os.Getpid())
	want := LockInfo{Owner: "a", PID: os.Getpid(), RunID: "r", Acquired: now, Renewed: now, Expires: now.Add(15 * time.Minute),
		Lease: 15 * time.Minute, BootID: id.boot, PIDNS: id.pidNS, StartTime: self}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("lock file (-want +got):\n%s", diff)
	}
	l.Unlock()
	l, err = s.Lock(context.Background(), "web", LockInfo{PID: 1, RunID: "r2", Expires: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if got, _ := s.readLock("web"); got.BootID != "" || got.StartTime != 0 {
		t.Errorf("identity recorded for another pid: %+v", got)
	}
}

// An expiry later than the last renewal plus the lease is read as that: a
// lock that claims the year 9999 runs out like any other, and one without
// a lease after MaxLease.
func TestLockFarExpiry(t *testing.T) {
	year9999 := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		held    func(now time.Time) LockInfo
		expired bool
		reason  string
	}{
		{"renewed+lease past", func(now time.Time) LockInfo {
			return LockInfo{Acquired: now.Add(-2 * time.Hour), Renewed: now.Add(-time.Hour), Lease: 15 * time.Minute, Expires: year9999}
		}, true, "expired at 2026-01-02T02:19:05Z"},
		{"renewed+lease ahead", func(now time.Time) LockInfo {
			return LockInfo{Acquired: now.Add(-2 * time.Hour), Renewed: now.Add(-time.Minute), Lease: 15 * time.Minute, Expires: year9999}
		}, false, ""},
		{"no lease, acquired over a day ago", func(now time.Time) LockInfo {
			return LockInfo{Acquired: now.Add(-25 * time.Hour), Expires: year9999}
		}, true, "expired at 2026-01-02T02:04:05Z"},
		{"lease of a year", func(now time.Time) LockInfo {
			return LockInfo{Acquired: now.Add(-25 * time.Hour), Renewed: now.Add(-25 * time.Hour), Lease: 365 * 24 * time.Hour, Expires: year9999}
		}, true, "expired at 2026-01-02T02:04:05Z"},
		{"no lease, acquired an hour ago", func(now time.Time) LockInfo {
			return LockInfo{Acquired: now.Add(-time.Hour), Expires: year9999}
		}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			dir := t.TempDir()
			s := openStore(t, dir, clock)
			now := clock.Now()
			held := tc.held(now)
			held.Owner, held.Host, held.PID, held.RunID = "mallory", "h", 1, "run-1"
			writeLockFile(t, dir, held)
			l, err := s.Lock(context.Background(), "web", LockInfo{Owner: "bob", RunID: "run-2", Expires: now.Add(time.Minute)})
			if !tc.expired {
				var locked *LockedError
				if !errors.As(err, &locked) {
					t.Fatalf("Lock = %v, want a LockedError", err)
				}
				if strings.Contains(err.Error(), "9999") {
					t.Errorf("LockedError %q shows the claimed expiry, not the real one", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lock = %v, want a takeover", err)
			}
			l.Unlock()
			if evs := takeovers(t, s); len(evs) != 1 || !strings.Contains(evs[0].Reason, tc.reason) {
				t.Errorf("takeover events %+v, want one saying %q", evs, tc.reason)
			}
		})
	}
}

// A lock file that lacks what every lock has is an error naming it, never
// taken over; a lease beyond MaxLease is refused.
func TestLockFileInvalid(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	for name, held := range map[string]LockInfo{
		"no run id":      {Acquired: now, Expires: now.Add(time.Minute)},
		"no acquired":    {RunID: "r", Expires: now.Add(time.Minute)},
		"no expiry":      {RunID: "r", Acquired: now},
		"negative lease": {RunID: "r", Acquired: now, Expires: now.Add(time.Minute), Lease: -1},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, clock)
			writeLockFile(t, dir, held)
			before := readBytes(t, filepath.Join(dir, "web.lock"))
			_, err := s.Lock(context.Background(), "web", LockInfo{RunID: "run-2", Expires: now.Add(time.Minute)})
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "web.lock")) {
				t.Errorf("Lock = %v, want an error naming the lock file", err)
			}
			if got := readBytes(t, filepath.Join(dir, "web.lock")); string(got) != string(before) {
				t.Errorf("the lock file was rewritten: %s", got)
			}
		})
	}
	s := openStore(t, t.TempDir(), clock)
	if _, err := s.Lock(context.Background(), "web", LockInfo{RunID: "r", Expires: now.Add(MaxLease + time.Second)}); err == nil {
		t.Error("Lock with a lease beyond MaxLease succeeded")
	}
}

// manualTicker hands each lock's renewal ticks to the test.
type manualTicker struct {
	every   chan time.Duration
	tickers chan chan time.Time
	stopped chan struct{}
}

func newManualTicker() *manualTicker {
	return &manualTicker{every: make(chan time.Duration, 10), tickers: make(chan chan time.Time, 10), stopped: make(chan struct{}, 10)}
}

func (m *manualTicker) start(d time.Duration) (<-chan time.Time, func()) {
	c := make(chan time.Time)
	m.every <- d
	m.tickers <- c
	return c, func() { m.stopped <- struct{}{} }
}

// tick delivers one tick, and returns once the renewal it caused is done:
// the renewer takes the second tick only when back at its select. (The
// second tick renews once more, which changes nothing.) It returns false
// if the renewer stopped.
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

// A long run keeps its lock: renewed at a third of the lease, it is never
// stale, however far the clock moves past the first expiry. A run whose
// lock was taken over learns it from Lost and from Unlock.
func TestLockRenewal(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	dir := t.TempDir()
	mt := newManualTicker()
	s, err := OpenFile(dir, FileOptions{Now: clock.Now, Ticker: mt.start})
	if err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	l, err := s.Lock(ctx, "web", LockInfo{Owner: "alice", RunID: "run-1", Acquired: start, Expires: start.Add(3 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if d := <-mt.every; d != time.Minute {
		t.Errorf("renewed every %s, want a third of 3m", d)
	}
	ticks := <-mt.tickers
	for i := 1; i <= 5; i++ {
		at := start.Add(time.Duration(i) * 2 * time.Minute)
		clock.Set(at)
		if !tick(t, ticks) {
			t.Fatal("the renewer stopped")
		}
		held, err := s.readLock("web")
		if err != nil || !held.Renewed.Equal(at) || !held.Expires.Equal(at.Add(3*time.Minute)) || held.Lease != 3*time.Minute {
			t.Fatalf("lock after renewal %d: %+v, %v", i, held, err)
		}
		clock.Set(at.Add(3*time.Minute - time.Nanosecond))
		var locked *LockedError
		if _, err := s.Lock(ctx, "web", LockInfo{Owner: "bob", RunID: "run-2", Expires: clock.Now().Add(time.Minute)}); !errors.As(err, &locked) {
			t.Fatalf("Lock of a renewed lock = %v, want a LockedError", err)
		}
	}
	select {
	case <-l.(RenewedLock).Lost():
		t.Fatal("a renewed lock was lost")
	default:
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	<-mt.stopped
	if _, err := os.Stat(filepath.Join(dir, "web.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file after Unlock: %v", err)
	}

	// Not renewed (a process stopped, say): taken over after the expiry,
	// and the renewal that comes late finds it lost.
	start = clock.Now()
	l1, err := s.Lock(ctx, "web", LockInfo{Owner: "alice", RunID: "run-3", Expires: start.Add(3 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	<-mt.every
	ticks1 := <-mt.tickers
	clock.Set(start.Add(3 * time.Minute))
	l2, err := s.Lock(ctx, "web", LockInfo{Owner: "bob", RunID: "run-4", Expires: clock.Now().Add(3 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	<-mt.every
	<-mt.tickers
	select {
	case ticks1 <- time.Time{}:
	case <-time.After(10 * time.Second):
		t.Fatal("the renewer took no tick")
	}
	select {
	case <-l1.(RenewedLock).Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost not closed after the lock was taken over")
	}
	if err := l1.Unlock(); !errors.Is(err, ErrLockLost) {
		t.Errorf("Unlock of a lost lock = %v, want ErrLockLost", err)
	}
	if held, err := s.readLock("web"); err != nil || held.RunID != "run-4" {
		t.Errorf("the lost lock's renewal or Unlock touched the new holder's lock: %+v, %v", held, err)
	}
	if err := l2.Unlock(); err != nil {
		t.Fatal(err)
	}
}
