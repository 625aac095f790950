package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
)

// flakyAPI is a runtime API socket in front of a real HAProxy's that can
// be taken down and brought up: while down, its socket file stays and
// connections to it are refused (what HAProxy restarting looks like); while
// up, each connection is relayed to the real runtime API.
type flakyAPI struct {
	t      *testing.T
	path   string
	target string

	mu sync.Mutex
	ln net.Listener
}

// newFlakyAPI returns a flakyAPI for the runtime API at target, down.
func newFlakyAPI(t *testing.T, target string) *flakyAPI {
	a := &flakyAPI{t: t, path: filepath.Join(t.TempDir(), "flaky.sock"), target: target}
	a.up()
	a.down()
	t.Cleanup(a.down)
	return a
}

func (a *flakyAPI) up() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ln != nil {
		return
	}
	if err := os.Remove(a.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.t.Fatal(err)
	}
	ln, err := net.Listen("unix", a.path)
	if err != nil {
		a.t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	a.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go a.relay(c)
		}
	}()
}

func (a *flakyAPI) relay(c net.Conn) {
	defer c.Close()
	u, err := net.Dial("unix", a.target)
	if err != nil {
		return
	}
	defer u.Close()
	go io.Copy(u, c)
	io.Copy(c, u) // the API closes after its answer
}

// down stops accepting; the socket file stays, so connections are refused.
func (a *flakyAPI) down() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ln != nil {
		a.ln.Close()
		a.ln = nil
	}
}

// waitRun runs `reconcile --wait` with the injected clock; hook runs in
// each sleep, after the clock advanced, with the sleeps so far.
func (e *e2e) waitRun(output string, hook func(sleeps []time.Duration) error) (code ExitCode, sleeps []time.Duration, stdout, stderr, logs string) {
	e.t.Helper()
	var out, errOut, logBuf bytes.Buffer
	g := e.global()
	g.Output = output
	g.Logger = slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	g.Sleep = func(ctx context.Context, d time.Duration) error {
		sleeps = append(sleeps, d)
		e.advance(d)
		if err := hook(sleeps); err != nil {
			return err
		}
		return ctx.Err()
	}
	err := Reconcile(context.Background(), IO{Out: &out, ErrOut: &errOut},
		ReconcileOptions{Global: g, Wait: true, Timeout: time.Minute})
	return CodeOf(err), sleeps, out.String(), errOut.String(), logBuf.String()
}

const retryRollout = `steps = [50, 100]
    bake = "1m"
    primary_healthy_for = "1m"`

// TestReconcileWaitRetriesTransientErrors: the runtime API refuses the
// first two runs (a transient error): `reconcile --wait` retries after 1s
// and 2s, then carries on; refused again after a good run, it backs off
// from 1s again. The failback ends at 100 % of the real traffic, exit 0,
// and stdout is what it is without retries.
func TestReconcileWaitRetriesTransientErrors(t *testing.T) {
	e := newE2E(t, retryRollout)
	api := newFlakyAPI(t, e.hap.SocketPath)
	e.writePolicy(retryRollout, api.path, "primary")
	code, sleeps, stdout, stderr, logs := e.waitRun(OutputText, func(sleeps []time.Duration) error {
		switch len(sleeps) {
		case 2: // after the second refused run
			api.up()
		case 3: // after the first good run
			api.down()
		case 4:
			api.up()
		}
		return nil
	})
	t.Logf("sleeps: %v\nstderr:\n%s", sleeps, stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if len(sleeps) < 5 {
		t.Fatalf("sleeps %v: want the retries and the rollout's waits", sleeps)
	}
	if sleeps[0] != time.Second || sleeps[1] != 2*time.Second {
		t.Errorf("backoff %v, want 1s then 2s", sleeps[:2])
	}
	if sleeps[2] != 10*time.Second {
		t.Errorf("the wait after a good run is %v, want the check interval (10s)", sleeps[2])
	}
	if sleeps[3] != time.Second {
		t.Errorf("backoff after a good run %v, want 1s again", sleeps[3])
	}
	for _, want := range []string{
		"web: transient error, retry 1 in 1s: ",
		"web: transient error, retry 2 in 2s: ",
		"connection refused",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	// Three refused runs: three retries, each told once and logged once.
	if n := strings.Count(stderr, "transient error, retry"); n != 3 {
		t.Errorf("%d retry lines, want 3", n)
	}
	if n := strings.Count(logs, "level=WARN msg=\"transient error; retrying the failback\""); n != 3 {
		t.Errorf("%d warnings logged, want 3:\n%s", n, logs)
	}
	if !strings.Contains(logs, "retry=2 backoff=2s") {
		t.Errorf("log lacks the second retry:\n%s", logs)
	}
	if !strings.HasPrefix(stdout, "web: primary at 100%: ") || strings.Count(stdout, "\n") != 1 || strings.Contains(stdout, "transient") {
		t.Errorf("stdout %q: want the one line of the final state", stdout)
	}
	if f := e.primaryFraction(); f != 100 {
		t.Errorf("after --wait the primary gets %.1f%%", f)
	}
}

// TestReconcileWaitTransientUntilTimeout: a runtime API that never comes
// back is retried with a backoff that doubles up to 30s, until the wait
// times out (the injected sleep says so): exit 1, and the failback's
// error says both.
func TestReconcileWaitTransientUntilTimeout(t *testing.T) {
	e := newE2E(t, retryRollout)
	api := newFlakyAPI(t, e.hap.SocketPath)
	e.writePolicy(retryRollout, api.path, "primary")
	code, sleeps, stdout, stderr, _ := e.waitRun(OutputJSON, func(sleeps []time.Duration) error {
		if len(sleeps) == 8 {
			return context.DeadlineExceeded
		}
		return nil
	})
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i := range want {
		want[i] *= time.Second
	}
	if len(sleeps) != len(want) {
		t.Fatalf("sleeps %v, want %v", sleeps, want)
	}
	for i := range want {
		if sleeps[i] != want[i] {
			t.Fatalf("sleeps %v, want %v", sleeps, want)
		}
	}
	if n := strings.Count(stderr, "transient error, retry"); n != 8 {
		t.Errorf("%d retry lines, want 8 (one per refused run):\n%s", n, stderr)
	}
	var doc runsDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("stdout is not a runs document: %v\n%s", err, stdout)
	}
	fb := doc.Failbacks[0]
	if doc.ExitCode != ExitFailure || fb.ExitCode != ExitFailure || fb.Outcome != "error" ||
		!strings.Contains(fb.Error, "timed out waiting") || !strings.Contains(fb.Error, "connection refused") {
		t.Errorf("document: exit %d, failback %+v", doc.ExitCode, fb)
	}
}

// TestReconcileWaitFatalErrorSettles: a fatal error settles the failback
// at once, as before: exit 1, no retry, no sleep.
func TestReconcileWaitFatalErrorSettles(t *testing.T) {
	for _, c := range []struct {
		name, api, server, want string
	}{
		{"missing socket", "", "primary", "no such socket"},
		{"server not in backend", "real", "ghost", `server "ghost" is not in backend "app"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newE2E(t, retryRollout)
			api := filepath.Join(e.dir, "no-such.sock")
			if c.api == "real" {
				api = e.hap.SocketPath
			}
			e.writePolicy(retryRollout, api, c.server)
			code, sleeps, stdout, stderr, logs := e.waitRun(OutputText, func([]time.Duration) error { return nil })
			if code != ExitFailure {
				t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
			}
			if len(sleeps) != 0 || strings.Contains(stderr, "retry") || strings.Contains(logs, "retrying") {
				t.Errorf("a fatal error was retried: sleeps %v\nstderr:\n%s\nlogs:\n%s", sleeps, stderr, logs)
			}
			if !strings.Contains(stdout, c.want) {
				t.Errorf("stdout lacks %q:\n%s", c.want, stdout)
			}
		})
	}
}

func TestRetryBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second,
		5: 16 * time.Second, 6: 30 * time.Second, 7: 30 * time.Second, 100: 30 * time.Second} {
		if got := retryBackoff(n); got != want {
			t.Errorf("retryBackoff(%d) = %v, want %v", n, got, want)
		}
	}
}

// On a terminal, a retry line is printed above the live line and stays;
// the live line is drawn again under it with the retry's countdown.
func TestProgressRetryingOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	now := func() time.Time { return time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC) }
	fb := &engine.Failback{Name: "web"}
	p := newProgress(IO{ErrOut: &buf, ErrTerminal: true}, now)
	p.drew = true
	p.retrying(fb, 1, time.Second, "connection refused", nil)
	p.scheduled("web", now().Add(time.Second))
	p.redraw()
	want := "\r\033[K03:00:00 web: transient error, retry 1 in 1s: connection refused\n" +
		"\r\033[K[--------------------] web 0%: transient error: connection refused, retry in 1s"
	if got := buf.String(); got != want {
		t.Errorf("terminal:\n%q\nwant\n%q", got, want)
	}
	if !p.drew {
		t.Error("the live line is not marked drawn")
	}
	buf.Reset()
	p = newProgress(IO{ErrOut: &buf}, now)
	p.retrying(fb, 2, 2*time.Second, "connection refused", nil)
	if got, want := buf.String(), "03:00:00 web: transient error, retry 2 in 2s: connection refused\n"; got != want {
		t.Errorf("not a terminal: %q, want %q", got, want)
	}
}
