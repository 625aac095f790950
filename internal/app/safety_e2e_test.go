package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
)

// The sequences of issue 10 that sent real traffic to a failing side,
// skipped steps or dropped holds, each replayed against a real HAProxy in
// front of two real backends. Each asserts the runtime weights or the real
// split of requests, the exit codes and the recorded history.

const fiveSteps = `steps = [5, 10, 25, 50, 100]
    bake = "1m"
    primary_healthy_for = "1m"`

// climbTo reconciles (10 s apart) until the recorded share is pct.
func (e *e2e) climbTo(pct float64) {
	e.t.Helper()
	for i := 0; i < 100; i++ {
		e.reconcile()
		if fb := e.lastJSON.Failbacks[0]; float64(fb.After.Share) == pct {
			return
		}
		e.advance(10 * time.Second)
	}
	e.t.Fatalf("never reached %g%%", pct)
}

// exec runs a command and requires its exit code.
func (e *e2e) exec(want ExitCode, f func(g *Global, s IO) error) string {
	e.t.Helper()
	code, out := e.run(f)
	if code != want {
		e.t.Fatalf("exit %d, want %d:\n%s", code, want, out)
	}
	return out
}

func reconcileCmd(g *Global, s IO) error {
	return Reconcile(context.Background(), s, ReconcileOptions{Global: g})
}

func shiftCmd(pct string) func(g *Global, s IO) error {
	return func(g *Global, s IO) error {
		return Shift(context.Background(), s, ShiftOptions{Global: g, Name: "web", Percent: pct, Reason: "by hand"})
	}
}

func controlCmd(f func(context.Context, IO, ControlOptions) error) func(g *Global, s IO) error {
	return func(g *Global, s IO) error {
		return f(context.Background(), s, ControlOptions{Global: g, Name: "web", Reason: "by hand"})
	}
}

// near requires the real split to be within 5 points of pct.
func (e *e2e) near(pct float64) {
	e.t.Helper()
	if f := e.primaryFraction(); f < pct-5 || f > pct+5 {
		e.t.Fatalf("the primary really gets %.1f%%, want about %g%%", f, pct)
	}
}

func (e *e2e) doc() *state.Document {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, "state", "web.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	var d state.Document
	if err := json.Unmarshal(b, &d); err != nil {
		e.t.Fatal(err)
	}
	return &d
}

func (e *e2e) events() []string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, "state", "web.history.jsonl"))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var ev state.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ev.Type)
	}
	return out
}

// moveAllToSecondary sets the weights by hand, as an operator would.
func (e *e2e) moveAllToSecondary() {
	e.hap.SetWeight(e.t, "app", "primary", 0)
	e.hap.SetWeight(e.t, "app", "secondary", 256)
}

func TestSafetyCorrectNeverRaisesOntoAFailingPrimary(t *testing.T) {
	t.Parallel()
	for _, onUnhealthy := range []string{"rollback", "hold"} {
		t.Run(onUnhealthy, func(t *testing.T) {
			t.Parallel()
			e := newE2E(t, fiveSteps+"\n    on_drift = \"correct\"\n    on_unhealthy = \""+onUnhealthy+"\"")
			e.climbTo(50)
			e.primary.SetHealthy(false)
			e.moveAllToSecondary()
			for i := 0; i < 5; i++ {
				e.advance(10 * time.Second)
				if code := e.reconcile(); code != ExitUnhealthy {
					t.Fatalf("run %d exited %d, want 5", i, code)
				}
				e.near(0)
			}
			if onUnhealthy == "rollback" {
				if d := e.doc(); d.Phase != state.PhaseSecondary || d.CooldownUntil.IsZero() {
					t.Fatalf("phase %s cooldown %s", d.Phase, d.CooldownUntil)
				}
				if evs := e.events(); evs[len(evs)-1] != "rollback" {
					t.Fatalf("history %v", evs)
				}
			}
		})
	}
}

func TestSafetyStaleEvidenceNeverHidesAFailingPrimary(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps)
	// No evidence_ttl: 3 intervals (30 s); runs are 10 minutes apart.
	e.primaryCheck = `interval            = "10s"
    timeout             = "2s"
    healthy_threshold   = 1
    unhealthy_threshold = 2`
	e.writePolicy(fiveSteps, e.hap.SocketPath, "primary")
	e.climbTo(5)
	e.primary.SetHealthy(false)
	e.advance(10 * time.Minute)
	var slept []time.Duration
	code, out := e.run(func(g *Global, s IO) error {
		g.Sleep = func(ctx context.Context, d time.Duration) error {
			slept = append(slept, d)
			e.advance(d)
			return nil
		}
		return reconcileCmd(g, s)
	})
	if code != ExitUnhealthy || e.lastJSON.Failbacks[0].Action != "rollback" {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if len(slept) != 1 || slept[0] != 10*time.Second {
		t.Errorf("re-probes slept %v, want one interval", slept)
	}
	e.near(0)
}

func TestSafetyDeadRollbackNeverFinishedOntoAFailingSecondary(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps)
	// Each probe is a verdict, so one run judges both sides.
	e.primaryCheck = `interval = "10s"
    healthy_threshold   = 1
    unhealthy_threshold = 1`
	e.secondaryCheck = e.primaryCheck
	e.writePolicy(fiveSteps, e.hap.SocketPath, "primary")
	e.climbTo(50)
	e.primary.SetHealthy(false)
	e.advance(10 * time.Second)
	e.dieBeforeApply = true
	e.runKilled(reconcileCmd)
	if d := e.doc(); d.Intent == nil || d.Intent.To != 0 {
		t.Fatalf("intent %+v", d.Intent)
	}
	e.primary.SetHealthy(true)
	e.second.SetHealthy(false)
	e.advance(10 * time.Second)
	e.exec(ExitOK, reconcileCmd)
	if fb := e.lastJSON.Failbacks[0]; fb.Action != "recover" || *fb.To != 50 {
		t.Fatalf("%s %v: %s", fb.Action, *fb.To, fb.Reason)
	}
	e.near(50)
	if d := e.doc(); d.Intent != nil || d.Share != 5000 {
		t.Fatalf("intent %+v share %s", d.Intent, d.Share)
	}
}

func TestSafetyLostStateNeverCorrectsOntoAFailingSecondary(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps+"\n    on_drift = \"correct\"")
	e.climbTo(50)
	if err := os.RemoveAll(filepath.Join(e.dir, "state")); err != nil {
		t.Fatal(err)
	}
	e.second.SetHealthy(false)
	e.advance(10 * time.Second)
	e.exec(ExitHalted, reconcileCmd)
	e.near(50)
}

func TestSafetyStepsEditedMidRolloutSkipNothing(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps)
	e.climbTo(10)
	e.writePolicy(`steps = [10, 50, 100]
    bake = "1m"
    primary_healthy_for = "1m"`, e.hap.SocketPath, "primary")
	e.advance(2 * time.Minute)
	e.exec(ExitOK, reconcileCmd)
	if fb := e.lastJSON.Failbacks[0]; fb.Action != "shift" || *fb.To != 50 {
		t.Fatalf("%s to %v: %s", fb.Action, *fb.To, fb.Reason)
	}
	e.near(50)
}

func TestSafetyManualShiftThenResumeSkipsNothing(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps)
	e.climbTo(25)
	e.exec(ExitOK, shiftCmd("5"))
	e.near(5)
	e.exec(ExitOK, controlCmd(Resume))
	e.advance(2 * time.Minute)
	e.exec(ExitOK, reconcileCmd)
	if fb := e.lastJSON.Failbacks[0]; fb.Action != "shift" || *fb.To != 10 {
		t.Fatalf("%s to %v: %s", fb.Action, *fb.To, fb.Reason)
	}
	e.near(10)
}

func TestSafetyAdoptNeverLiftsAPause(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps+"\n    on_drift = \"adopt\"")
	e.climbTo(10)
	e.exec(ExitOK, controlCmd(Pause))
	e.hap.SetWeight(t, "app", "primary", 128)
	e.hap.SetWeight(t, "app", "secondary", 128)
	for i := 0; i < 20; i++ {
		e.advance(time.Minute)
		e.exec(ExitOK, reconcileCmd)
		if fb := e.lastJSON.Failbacks[0]; fb.Writes || fb.After.Phase != "paused" {
			t.Fatalf("run %d: %s to %s: %s", i, fb.Action, fb.After.Phase, fb.Reason)
		}
	}
	e.near(50)
}

func TestSafetyRecoveryKeepsAPauseMadeAfterTheCrash(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps)
	e.climbTo(10)
	e.advance(2 * time.Minute)
	e.dieBeforeApply = true
	e.runKilled(reconcileCmd)
	e.exec(ExitOK, controlCmd(Pause))
	for i := 0; i < 10; i++ {
		e.advance(time.Minute)
		e.exec(ExitOK, reconcileCmd)
		if d := e.doc(); d.Phase != state.PhasePaused || d.Hold == nil {
			t.Fatalf("run %d: phase %s hold %+v", i, d.Phase, d.Hold)
		}
	}
	// The dead run's raise was finished (the primary is healthy), and
	// nothing moved after it.
	e.near(25)
}

func TestSafetyKilledAbortOrShiftKeepsItsHold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		cmd   func(g *Global, s IO) error
		phase state.Phase
		event string
	}{
		{"abort", controlCmd(Abort), state.PhasePaused, "abort"},
		{"shift 0", shiftCmd("0"), state.PhaseManual, "manual_shift"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newE2E(t, fiveSteps)
			e.climbTo(25)
			e.dieBeforeSave = true
			e.runKilled(tc.cmd)
			e.near(0)
			for i := 0; i < 6; i++ {
				e.advance(time.Hour)
				e.exec(ExitOK, reconcileCmd)
				e.near(0)
			}
			d := e.doc()
			if d.Phase != tc.phase || d.Hold == nil || d.Intent != nil {
				t.Fatalf("phase %s hold %+v intent %+v", d.Phase, d.Hold, d.Intent)
			}
			if tc.event == "abort" && d.CooldownUntil.IsZero() {
				t.Fatal("the abort's cooldown was lost")
			}
			evs := e.events()
			found := false
			for _, ev := range evs {
				found = found || ev == tc.event
			}
			if !found {
				t.Fatalf("no %s in the history: %v", tc.event, evs)
			}
		})
	}
}

func TestSafetyResumeSettlesAKilledShift(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps)
	e.climbTo(50)
	e.dieBeforeSave = true
	e.runKilled(shiftCmd("25"))
	e.near(25)
	e.exec(ExitOK, controlCmd(Resume))
	fb := e.lastJSON.Failbacks[0]
	if fb.After.Phase != "shifting" || fb.After.Share != 25 || !fb.Applied {
		t.Fatalf("resume: %+v", fb)
	}
	if len(fb.Delivered) != 1 || fb.Delivered[0].Share != 25 {
		t.Fatalf("resume reports %+v, want the 25%% read back", fb.Delivered)
	}
	e.near(25)
}
