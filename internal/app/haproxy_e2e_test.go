package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/testenv"
)

// e2e is a real HAProxy in front of two real HTTP backends, a policy on
// disk, and fbctl's commands run in-process with an injected clock.
type e2e struct {
	t        testing.TB
	hap      *testenv.HAProxy
	primary  *testenv.HTTPBackend
	second   *testenv.HTTPBackend
	dir      string
	policy   string
	mu       sync.Mutex
	now      time.Time
	lastJSON runsDoc
	// primaryCheck and secondaryCheck are the bodies of the sides' check
	// blocks; empty for the defaults.
	primaryCheck, secondaryCheck string
	// top is put at the top level of the policy (e.g. a schedule).
	top string
	// inFailback is put inside the failback block (e.g. a gate).
	inFailback string
	// stateBlock replaces the policy's `state "file" { path = "state" }`.
	stateBlock string
	// dieBeforeApply and dieBeforeSave, when set, make the next command
	// die (panic) at that point, as a kill would: after its intent, or
	// after its writes and before its save.
	dieBeforeApply bool
	dieBeforeSave  bool
}

func newE2E(t testing.TB, rollout string) *e2e {
	t.Helper()
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	e := &e2e{t: t, primary: be[0], second: be[1], dir: t.TempDir(),
		now: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)}
	e.hap = testenv.StartHAProxy(t, testenv.HAProxyConfig{
		Servers: []testenv.HAProxyServer{e.primary.Server(0), e.second.Server(256)},
		ExtraBackends: []testenv.HAProxyBackend{{Name: "other", Servers: []testenv.HAProxyServer{
			{Name: "x", Addr: e.primary.Addr, Weight: 7}}}},
	})
	e.policy = filepath.Join(e.dir, "fbctl.hcl")
	e.writePolicy(rollout, e.hap.SocketPath, "primary")
	return e
}

func (e *e2e) writePolicy(rollout, runtimeAPI, primaryServer string) {
	primaryCheck := e.primaryCheck
	if primaryCheck == "" {
		primaryCheck = `interval            = "10s"
    timeout             = "2s"
    healthy_threshold   = 2
    unhealthy_threshold = 1
    evidence_ttl        = "1h"`
	}
	secondaryCheck := e.secondaryCheck
	if secondaryCheck == "" {
		secondaryCheck = `interval          = "10s"
    timeout           = "2s"
    healthy_threshold = 1
    evidence_ttl      = "1h"`
	}
	stateBlock := e.stateBlock
	if stateBlock == "" {
		stateBlock = `state "file" { path = "state" }`
	}
	src := e.top + "\n" + stateBlock + fmt.Sprintf(`

failback "web" {
  primary   = "dc1"
  secondary = "dr"

  check "http" "dc1" {
    url = "%s/healthz"
    %s
  }
  check "http" "dr" {
    of  = "secondary"
    url = "%s/healthz"
    %s
  }
%s
  target "haproxy_backend" "lb" {
    runtime_api = %q
    backend     = "app"
    primary     = [%q]
    secondary   = ["secondary"]
  }

  rollout {
    %s
  }
}
`, e.primary.URL, primaryCheck, e.second.URL, secondaryCheck, e.inFailback, runtimeAPI, primaryServer, rollout)
	if err := os.WriteFile(e.policy, []byte(src), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *e2e) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *e2e) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func (e *e2e) global() *Global {
	g := &Global{Policies: []string{e.policy}, Output: OutputJSON, Now: e.clock,
		LookupEnv: func(string) (string, bool) { return "", false }}
	if e.dieBeforeApply {
		g.BeforeApply = func(context.Context, string) { panic(killed{}) }
	}
	if e.dieBeforeSave {
		g.BeforeSave = func() { panic(killed{}) }
	}
	return g
}

// killed is the panic that stands for a kill in in-process crash tests.
type killed struct{}

// runKilled runs one command that is expected to die at the armed point.
func (e *e2e) runKilled(f func(g *Global, streams IO) error) {
	e.t.Helper()
	defer func() {
		e.dieBeforeApply, e.dieBeforeSave = false, false
		v := recover()
		if _, ok := v.(killed); !ok {
			if v != nil {
				panic(v)
			}
			e.t.Fatal("the command was not killed at the armed point")
		}
	}()
	e.run(f)
}

// run executes one command and returns its exit code, decoding the JSON
// document of run-like commands.
func (e *e2e) run(f func(g *Global, streams IO) error) (ExitCode, string) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	err := f(e.global(), IO{Out: &out, ErrOut: &errOut})
	e.lastJSON = runsDoc{}
	_ = json.Unmarshal(out.Bytes(), &e.lastJSON)
	return CodeOf(err), out.String() + errOut.String() + Message(err)
}

func (e *e2e) reconcile() ExitCode {
	e.t.Helper()
	code, out := e.run(func(g *Global, s IO) error {
		return Reconcile(context.Background(), s, ReconcileOptions{Global: g})
	})
	if code != ExitOK && code != ExitUnhealthy {
		e.t.Fatalf("reconcile exited %d:\n%s", code, out)
	}
	return code
}

// primaryFraction sends 400 requests through HAProxy and returns the
// primary's part in percent.
func (e *e2e) primaryFraction() float64 {
	e.t.Helper()
	counts, err := testenv.Spread(e.hap.FrontendURL, 400)
	if err != nil {
		e.t.Fatal(err)
	}
	if counts["primary"]+counts["secondary"] != 400 {
		e.t.Fatalf("unexpected answers: %v", counts)
	}
	return float64(counts["primary"]) * 100 / 400
}

func (e *e2e) stateBytes() map[string]string {
	out := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(e.dir, "state", "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		out[filepath.Base(f)] = string(b)
	}
	return out
}

// TestHAProxyEndToEnd drives a failback through every step on a real
// HAProxy and measures the real traffic split at each one, then makes the
// primary fail mid-rollout and measures the rollback.
func TestHAProxyEndToEnd(t *testing.T) {
	e := newE2E(t, `steps = [5, 10, 25, 50, 100]
    bake = "1m"
    primary_healthy_for = "2m"`)
	if f := e.primaryFraction(); f != 0 {
		t.Fatalf("before: primary gets %.1f%%", f)
	}
	var measured []string
	for i := 0; i < 60; i++ {
		e.reconcile()
		fb := e.lastJSON.Failbacks[0]
		if fb.Applied {
			want := float64(*fb.To) // percent
			got := e.primaryFraction()
			measured = append(measured, fmt.Sprintf("%g%%->%.1f%%", want, got))
			if d := got - want; d > 5 || d < -5 {
				t.Fatalf("step %g%%: the primary really gets %.1f%%", want, got)
			}
		}
		if fb.After.Phase == "primary" {
			break
		}
		e.advance(10 * time.Second)
	}
	t.Logf("real split per step: %s", strings.Join(measured, " "))
	if len(measured) != 5 {
		t.Fatalf("applied %d steps: %v", len(measured), measured)
	}
	if w := e.hap.Weights(t); w["other/x"] != 7 {
		t.Errorf("a backend the policy does not name changed: %v", w)
	}
}

// TestHAProxyRollback: the primary fails its check at 25 %; the rollback
// brings the real traffic back to the secondary and exits 5.
func TestHAProxyRollback(t *testing.T) {
	e := newE2E(t, `steps = [5, 25, 100]
    bake = "1m"
    primary_healthy_for = "1m"`)
	for i := 0; i < 40; i++ {
		e.reconcile()
		if fb := e.lastJSON.Failbacks[0]; fb.After.Share == 25 {
			break
		}
		e.advance(10 * time.Second)
	}
	if f := e.primaryFraction(); f < 20 || f > 30 {
		t.Fatalf("setup: primary at %.1f%%", f)
	}
	e.primary.SetHealthy(false)
	e.advance(10 * time.Second)
	if code := e.reconcile(); code != ExitUnhealthy {
		t.Fatalf("rollback exited %d, want 5", code)
	}
	if fb := e.lastJSON.Failbacks[0]; fb.Action != "rollback" {
		t.Fatalf("action %q: %s", fb.Action, fb.Reason)
	}
	if f := e.primaryFraction(); f != 0 {
		t.Fatalf("after rollback the primary still gets %.1f%%", f)
	}
}

// TestHAProxyManualShift: `shift --percent 25` sets the real split and
// holds it across reconciles until `resume`.
func TestHAProxyManualShift(t *testing.T) {
	e := newE2E(t, `bake = "1m"
    primary_healthy_for = "1m"`)
	e.reconcile() // first evidence
	e.advance(10 * time.Second)
	code, out := e.run(func(g *Global, s IO) error {
		return Shift(context.Background(), s, ShiftOptions{Global: g, Name: "web", Percent: "25", Reason: "cutover"})
	})
	if code != ExitOK {
		t.Fatalf("shift exited %d: %s", code, out)
	}
	if f := e.primaryFraction(); f < 20 || f > 30 {
		t.Fatalf("after shift 25: primary at %.1f%%", f)
	}
	for i := 0; i < 20; i++ {
		e.advance(time.Minute)
		e.reconcile()
		if fb := e.lastJSON.Failbacks[0]; fb.Writes || fb.After.Phase != "manual" {
			t.Fatalf("manual share moved: %+v", fb)
		}
	}
	if f := e.primaryFraction(); f < 20 || f > 30 {
		t.Fatalf("after 20 reconciles: primary at %.1f%%", f)
	}
	code, out = e.run(func(g *Global, s IO) error {
		return Resume(context.Background(), s, ControlOptions{Global: g, Name: "web"})
	})
	if code != ExitOK {
		t.Fatalf("resume exited %d: %s", code, out)
	}
	e.advance(2 * time.Minute)
	e.reconcile()
	if fb := e.lastJSON.Failbacks[0]; fb.Action != "shift" || *fb.To != 50 {
		t.Fatalf("after resume: %+v", fb)
	}
}

// TestBadInputChangesNothing: each bad input gets its documented exit code
// and leaves the weights and the state files as they were.
func TestBadInputChangesNothing(t *testing.T) {
	e := newE2E(t, `bake = "1m"`)
	e.reconcile()
	weights, files := e.hap.Weights(t), e.stateBytes()
	check := func(name string, want ExitCode, f func(g *Global, s IO) error) {
		t.Helper()
		code, out := e.run(f)
		if code != want {
			t.Errorf("%s: exit %d, want %d\n%s", name, code, want, out)
		}
		if strings.TrimSpace(out) == "" {
			t.Errorf("%s: no message", name)
		}
		if w := e.hap.Weights(t); fmt.Sprint(w) != fmt.Sprint(weights) {
			t.Errorf("%s: weights changed: %v -> %v", name, weights, w)
		}
		if s := e.stateBytes(); fmt.Sprint(s) != fmt.Sprint(files) {
			t.Errorf("%s: state files changed", name)
		}
	}
	shift := func(name, pct string) func(g *Global, s IO) error {
		return func(g *Global, s IO) error {
			return Shift(context.Background(), s, ShiftOptions{Global: g, Name: name, Percent: pct})
		}
	}
	check("unknown failback", ExitInvalid, shift("nope", "25"))
	check("percent 150", ExitInvalid, shift("web", "150"))
	check("percent -1", ExitInvalid, shift("web", "-1"))
	check("percent abc", ExitInvalid, shift("web", "abc"))
	check("percent 12.345", ExitInvalid, shift("web", "12.345"))

	e.writePolicy(`bake = "1m"`, filepath.Join(e.dir, "no-such.sock"), "primary")
	check("refused socket", ExitFailure, func(g *Global, s IO) error {
		return Reconcile(context.Background(), s, ReconcileOptions{Global: g})
	})
	e.writePolicy(`bake = "1m"`, e.hap.SocketPath, "ghost")
	check("server not in backend", ExitFailure, func(g *Global, s IO) error {
		return Reconcile(context.Background(), s, ReconcileOptions{Global: g})
	})
}

// TestReconcileWait runs `reconcile --wait` to completion with an injected
// clock (the sleeps advance it), on a terminal and off one: a redrawn bar
// on a terminal, one plain line per change otherwise.
func TestReconcileWait(t *testing.T) {
	for _, tty := range []bool{true, false} {
		t.Run(fmt.Sprintf("terminal=%v", tty), func(t *testing.T) {
			e := newE2E(t, `steps = [50, 100]
    bake = "1m"
    primary_healthy_for = "1m"`)
			var out, errOut bytes.Buffer
			g := e.global()
			g.Output = OutputText
			sleeps := 0
			g.Sleep = func(ctx context.Context, d time.Duration) error {
				sleeps++
				e.advance(d)
				return ctx.Err()
			}
			err := Reconcile(context.Background(), IO{Out: &out, ErrOut: &errOut, ErrTerminal: tty},
				ReconcileOptions{Global: g, Wait: true, Timeout: time.Minute})
			if err != nil {
				t.Fatalf("exit %d: %v\n%s%s", CodeOf(err), err, out.String(), errOut.String())
			}
			if f := e.primaryFraction(); f != 100 {
				t.Fatalf("after --wait the primary gets %.1f%%", f)
			}
			if !strings.Contains(out.String(), "web: primary at 100%") {
				t.Errorf("stdout: %q", out.String())
			}
			bar := strings.Contains(errOut.String(), "\r\033[K[##########----------]")
			if bar != tty {
				t.Errorf("progress bar drawn = %v on terminal = %v:\n%q", bar, tty, errOut.String())
			}
			if !tty && strings.Count(errOut.String(), "\n") < 3 {
				t.Errorf("expected one line per change:\n%s", errOut.String())
			}
			if sleeps == 0 {
				t.Error("--wait never waited")
			}
		})
	}
}
