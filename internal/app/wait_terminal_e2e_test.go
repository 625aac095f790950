package app

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
)

// termWait runs `reconcile --wait` with stderr on a (pretend) terminal and
// the injected clock; hook runs in each sleep, after the clock advanced,
// with the number of sleeps so far and the context's cancel (a Ctrl-C).
func (e *e2e) termWait(hook func(n int, cancel context.CancelFunc)) (code ExitCode, stdout, stderr string) {
	return e.termWaitWith(nil, hook)
}

// termWaitWith is termWait with setup changing the Global first.
func (e *e2e) termWaitWith(setup func(g *Global, cancel context.CancelFunc), hook func(n int, cancel context.CancelFunc)) (code ExitCode, stdout, stderr string) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	g := e.global()
	g.Output = OutputText
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if setup != nil {
		setup(g, cancel)
	}
	n := 0
	g.Sleep = func(ctx context.Context, d time.Duration) error {
		n++
		e.advance(d)
		hook(n, cancel)
		return ctx.Err()
	}
	err := Reconcile(ctx, IO{Out: &out, ErrOut: &errOut, ErrTerminal: true, Width: 200},
		ReconcileOptions{Global: g, Wait: true, Timeout: time.Hour})
	return CodeOf(err), out.String(), errOut.String()
}

// screen is what a terminal shows after the stream: per line, what was
// drawn after its last carriage return, without the clear-line sequences.
// The last element is the live line ("" once cleared).
func screen(stream string) []string {
	lines := strings.Split(stream, "\n")
	for i, l := range lines {
		if j := strings.LastIndexByte(l, '\r'); j >= 0 {
			l = l[j+1:]
		}
		lines[i] = strings.ReplaceAll(l, "\033[K", "")
	}
	return lines
}

// redraws are every state the live line was drawn in, in order.
func redraws(stream string) []string {
	var out []string
	for _, l := range strings.Split(stream, "\n") {
		for _, seg := range strings.Split(l, "\r") {
			if strings.HasPrefix(seg, "\033[K[") {
				out = append(out, strings.TrimPrefix(seg, "\033[K"))
			}
		}
	}
	return out
}

// inOrder requires each pattern to match a line of lines, in order, each
// after the previous one's line.
func inOrder(t *testing.T, lines []string, patterns ...string) {
	t.Helper()
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Fatalf("no line matching %q (in order) on the screen:\n%s", p, strings.Join(lines, "\n"))
		}
		i++
	}
}

func anyMatch(lines []string, pattern string) bool {
	re := regexp.MustCompile(pattern)
	for _, l := range lines {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

// TestReconcileWaitTerminalHistory: on a terminal each change stays on the
// screen as a line of its own, in order, above the live line, which counts
// down the stabilization, the bake and the next probe from the injected
// clock; at the end the live line is gone and the final state and the exit
// code's meaning are printed.
func TestReconcileWaitTerminalHistory(t *testing.T) {
	e := newE2E(t, retryRollout)
	code, stdout, stderr := e.termWait(func(int, context.CancelFunc) {})
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	scr := screen(stderr)
	t.Logf("screen:\n%s", strings.Join(scr, "\n"))
	inOrder(t, scr,
		`^03:00:00 web: hold at 0% \(secondary\): waiting for fresh evidence`,
		`^03:00:10 web: hold at 0% \(secondary\): the primary has been healthy for 10s of the 1m0s required$`,
		`^03:01:00 web: shift 0% → 50%: the primary has been healthy for 1m0s$`,
		`^03:01:10 web: hold at 50% \(shifting\): baking at 50% until 2026-11-25T03:02:00Z$`,
		`^03:02:00 web: shift 50% → 100%: 50% baked for 1m0s with the primary healthy$`,
		`^03:02:10 web: hold at 100% \(primary\): failback complete`,
		`^web: primary at 100%: complete$`,
		`^exit 0: done, nothing left to wait for$`,
	)
	if last := scr[len(scr)-1]; last != "" {
		t.Errorf("the live line is left on the screen: %q", last)
	}
	// Each change is printed once: the rounds in between only redraw.
	if n := strings.Count(stderr, "shift 0% → 50%"); n != 1 {
		t.Errorf("the first shift is printed %d times", n)
	}
	if n := strings.Count(stderr, "(secondary): the primary has been healthy for"); n != 1 {
		t.Errorf("the stabilization hold is printed %d times", n)
	}
	live := redraws(stderr)
	for _, want := range []string{
		"[--------------------] web 0% secondary: dc1: HTTP 200, 1 of 2 successes, next probe in 10s",
		"[--------------------] web 0% secondary: stabilization 50s left, next probe in 10s",
		"[--------------------] web 0% secondary: stabilization 43s left, next probe in 3s",
		"[##########----------] web 50% shifting: bake 59s left, next probe in 9s",
		"[##########----------] web 50% shifting: bake 1s left, next probe in 1s",
	} {
		found := false
		for _, l := range live {
			found = found || l == want
		}
		if !found {
			t.Errorf("the live line never read %q; it read:\n%s", want, strings.Join(live, "\n"))
		}
	}
	if stdout != "web: primary at 100%: failback complete: the primary has all the traffic\n" {
		t.Errorf("stdout %q", stdout)
	}
}

// TestReconcileWaitTerminalFailingCheck: the first failed probe names the
// check and what it answered, with its count towards the threshold, in the
// permanent line and the live line; the second rolls back, and the final
// state says so with exit 5.
func TestReconcileWaitTerminalFailingCheck(t *testing.T) {
	e := newE2E(t, retryRollout)
	e.primaryCheck = `interval            = "10s"
    timeout             = "2s"
    healthy_threshold   = 2
    unhealthy_threshold = 2
    evidence_ttl        = "1h"`
	e.writePolicy(retryRollout, e.hap.SocketPath, "primary")
	broken := false
	code, stdout, stderr := e.termWait(func(int, context.CancelFunc) {
		if !broken && e.doc().Share == 5000 {
			e.primary.SetHealthy(false)
			broken = true
		}
	})
	scr := screen(stderr)
	t.Logf("screen:\n%s", strings.Join(scr, "\n"))
	if code != ExitUnhealthy {
		t.Fatalf("exit %d, want 5\n%s", code, stdout)
	}
	inOrder(t, scr,
		`web: shift 0% → 50%`,
		`web: hold at 50% \(shifting\): dc1: HTTP 503 \(expected 200\), 1 of 2 failures; holding at 50% until it passes again or fails enough to act$`,
		`web: rollback 50% → 0%: the primary is unhealthy \(dc1: HTTP 503 \(expected 200\)\)`,
		`^web: secondary at 0%: rolled back: the primary is unhealthy \(dc1: HTTP 503 \(expected 200\)\)`,
		`^exit 5: rolled back, or the primary is unhealthy$`,
	)
	if !anyMatch(redraws(stderr), `^\[##########----------\] web 50% shifting: dc1: HTTP 503 \(expected 200\), 1 of 2 failures, next probe in \d+s$`) {
		t.Errorf("the live line never named the failing check:\n%s", strings.Join(redraws(stderr), "\n"))
	}
	e.near(0)
}

// TestReconcileWaitTerminalApproval: a failback that stops for an approval
// ends with the command to give and exit 8's meaning.
func TestReconcileWaitTerminalApproval(t *testing.T) {
	rollout := retryRollout + "\n    approval = \"every_step\""
	e := newE2E(t, rollout)
	code, stdout, stderr := e.termWait(func(int, context.CancelFunc) {})
	scr := screen(stderr)
	t.Logf("screen:\n%s", strings.Join(scr, "\n"))
	if code != ExitWaiting {
		t.Fatalf("exit %d, want 8\n%s", code, stdout)
	}
	inOrder(t, scr,
		"web: hold at 0% \\(secondary\\): the primary is stable; the first step \\(50%\\) waits for `fbctl approve`",
		"^web: secondary at 0%: waits for a person: `fbctl approve web`: the primary is stable",
		`^exit 8: waiting for a person: an approval, or a pause or manual hold to resume$`,
	)
}

// TestReconcileWaitTerminalInterrupted: Ctrl-C while the bake runs says
// where the failback was left, what it waited for and how to go on; a
// paused failback is told to be resumed.
func TestReconcileWaitTerminalInterrupted(t *testing.T) {
	t.Run("baking", func(t *testing.T) {
		e := newE2E(t, retryRollout)
		code, _, stderr := e.termWait(func(_ int, cancel context.CancelFunc) {
			if d := e.doc(); d.Share == 5000 && e.clock().Sub(d.StepSince) >= 15*time.Second {
				cancel()
			}
		})
		scr := screen(stderr)
		t.Logf("screen:\n%s", strings.Join(scr, "\n"))
		if code != ExitFailure {
			t.Fatalf("exit %d, want 1 (the signal's 130 comes from main)", code)
		}
		inOrder(t, scr,
			`web: shift 0% → 50%`,
			`^interrupted between runs: nothing was in flight; left as it is:$`,
			`^  web: shifting at 50% \(step 1 of 2\): bake 45s left$`,
			`^to continue: fbctl reconcile --wait$`,
			`^exit 130 \(Ctrl-C\) or 143 \(SIGTERM\): interrupted$`,
		)
		e.near(50)
	})
	t.Run("paused", func(t *testing.T) {
		e := newE2E(t, retryRollout)
		code, _, stderr := e.termWait(func(_ int, cancel context.CancelFunc) {
			if d := e.doc(); d.Share == 5000 && d.Phase == "shifting" {
				e.exec(ExitOK, controlCmd(Pause))
				cancel()
			}
		})
		scr := screen(stderr)
		t.Logf("screen:\n%s", strings.Join(scr, "\n"))
		if code != ExitFailure {
			t.Fatalf("exit %d, want 1", code)
		}
		inOrder(t, scr,
			`^interrupted between runs: nothing was in flight; left as it is:$`,
			`^  web: paused at 50% \(step 1 of 2\), held by .+ since 03:01:\d\d: by hand$`,
			`^to continue: fbctl resume web$`,
		)
	})
	t.Run("during a run", func(t *testing.T) {
		e := newE2E(t, retryRollout)
		code, _, stderr := e.termWaitWith(func(g *Global, cancel context.CancelFunc) {
			// Ctrl-C as the step to 100 % is about to be written.
			g.BeforeApply = func(context.Context, string) {
				if e.doc().Share == 5000 {
					cancel()
				}
			}
		}, func(int, context.CancelFunc) {})
		scr := screen(stderr)
		t.Logf("screen:\n%s", strings.Join(scr, "\n"))
		if code != ExitFailure {
			t.Fatalf("exit %d, want 1", code)
		}
		inOrder(t, scr,
			`^03:02:00 web: shift 50% → 100% not done, at 50%: .*; error: target "lb": applying 100%: .*context canceled$`,
			`^interrupted during a run: the change in flight was settled first; left as it is:$`,
			`^  web: shifting at 50% \(step 1 of 2\): the next run would shift to 100%$`,
			`^to continue: fbctl reconcile --wait$`,
			`^exit 130 \(Ctrl-C\) or 143 \(SIGTERM\): interrupted$`,
		)
		e.near(50)
	})
}

// TestReconcileWaitTerminalLogJSON: with --log-format json on a terminal
// nothing is drawn: every stderr line is a JSON record, one per change, and
// the terminal's summary is not printed.
func TestReconcileWaitTerminalLogJSON(t *testing.T) {
	e := newE2E(t, retryRollout)
	var raw, out bytes.Buffer
	g := e.global()
	g.Output, g.LogFormat = OutputText, "json"
	logger, err := NewLogger(&raw, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	g.Logger = logger
	stderr := NewLogStream(&raw)
	stderr.SetLogger(logger)
	g.Sleep = func(ctx context.Context, d time.Duration) error {
		e.advance(d)
		return ctx.Err()
	}
	err = Reconcile(context.Background(), IO{Out: &out, ErrOut: stderr, ErrTerminal: true},
		ReconcileOptions{Global: g, Wait: true, Timeout: time.Hour})
	stderr.Flush()
	if err != nil {
		t.Fatalf("exit %d: %v\n%s", CodeOf(err), err, raw.String())
	}
	var msgs []string
	for _, l := range strings.Split(strings.TrimSpace(raw.String()), "\n") {
		var rec struct{ Msg string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not a JSON record: %q", l)
		}
		msgs = append(msgs, rec.Msg)
	}
	inOrder(t, msgs, `^web: shift 0% -> 50%`, `^web: shift 50% -> 100%`, `^web: primary at 100%`)
	if strings.Contains(raw.String(), "exit 0:") || strings.Contains(raw.String(), `\r`) || out.Len() != 0 {
		t.Errorf("terminal output with JSON logs:\nstderr:\n%s\nstdout:\n%s", raw.String(), out.String())
	}
}

// With several failbacks the live line has a part for each still waiting,
// in the order they run, cut to the terminal's width.
func TestProgressLiveLineSeveralFailbacks(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	p := newProgress(IO{ErrOut: &buf, ErrTerminal: true, Width: 80}, func() time.Time { return at })
	for _, name := range []string{"web", "api"} {
		p.retrying(&engine.Failback{Name: name}, 1, time.Second, "refused", nil)
		p.scheduled(name, at.Add(time.Second))
	}
	buf.Reset()
	p.redraw()
	want := "\r\033[K[--------------------] web 0%: transient error: refused, retry in 1s | [----..."
	if got := buf.String(); got != want {
		t.Errorf("live line\n%q, want\n%q", got, want)
	}
}
