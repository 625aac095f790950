package app

import (
	"context"
	"strings"
	"testing"
	"time"
)

// scheduleE2E is a failback on a real HAProxy whose checks take their
// evidence TTL from the policy's schedule (1m: evidence lasts 2m), with a
// primary that must be healthy for 2m before the first step.
func scheduleE2E(t *testing.T) *e2e {
	e := newE2E(t, "")
	e.top = "schedule = \"1m\"\n"
	e.primaryCheck = `interval            = "10s"
    timeout             = "2s"
    healthy_threshold   = 1
    unhealthy_threshold = 1`
	e.secondaryCheck = e.primaryCheck
	e.writePolicy(`steps = [50, 100]
    bake = "1m"
    primary_healthy_for = "2m"`, e.hap.SocketPath, "primary")
	return e
}

// TestScheduleHandRunsKeepCronStreak: cron runs every minute; an operator
// runs plan, reconcile and shift by hand in between. Every command judges
// evidence by the policy's schedule, so the hand-run commands add to the
// primary's streak instead of restarting it (with a flag, a command typed
// without --schedule judged the minute-old evidence stale and reset it),
// and the first step comes when the primary has been healthy for 2m.
func TestScheduleHandRunsKeepCronStreak(t *testing.T) {
	t.Parallel()
	e := scheduleE2E(t)
	e.exec(ExitOK, reconcileCmd) // cron, t0
	if r := e.lastJSON.Failbacks[0].Reason; !strings.Contains(r, "healthy for 0s of the 2m0s required") {
		t.Fatalf("t0: %s", r)
	}
	e.advance(50 * time.Second)
	e.exec(ExitOK, planCmd) // by hand
	e.exec(ExitOK, reconcileCmd)
	e.advance(10 * time.Second)
	e.exec(ExitOK, reconcileCmd) // cron, t0+1m
	e.advance(45 * time.Second)
	e.exec(ExitOK, reconcileCmd) // by hand
	if r := e.lastJSON.Failbacks[0].Reason; !strings.Contains(r, "healthy for 1m45s of the 2m0s required") {
		t.Fatalf("t0+1m45s: the streak did not survive the hand-run commands: %s", r)
	}
	e.advance(15 * time.Second)
	e.exec(ExitOK, reconcileCmd) // cron, t0+2m
	if fb := e.lastJSON.Failbacks[0]; fb.Action != "shift" || *fb.To != 50 {
		t.Fatalf("t0+2m: %s to %v: %s", fb.Action, fb.To, fb.Reason)
	}
	e.near(50)
}

// TestScheduleStaleEvidenceSaysSo: runs further apart than the evidence
// lasts never progress, and the hold says why, with the age, the limit and
// the fix, instead of only "healthy for 0s".
func TestScheduleStaleEvidenceSaysSo(t *testing.T) {
	t.Parallel()
	e := scheduleE2E(t)
	for i := 0; i < 3; i++ {
		e.exec(ExitOK, reconcileCmd)
		e.advance(5 * time.Minute)
	}
	e.exec(ExitOK, reconcileCmd)
	r := e.lastJSON.Failbacks[0].Reason
	for _, want := range []string{"healthy for 0s of the 2m0s required", "dc1: its evidence was 5m0s old, past its 2m0s limit, so its streak started again", "set the policy's schedule"} {
		if !strings.Contains(r, want) {
			t.Errorf("reason %q does not say %q", r, want)
		}
	}
}

// TestScheduleFlagMustAgree: the deprecated --schedule is accepted only
// when it says what the policy says.
func TestScheduleFlagMustAgree(t *testing.T) {
	t.Parallel()
	e := scheduleE2E(t)
	for _, tc := range []struct {
		flag time.Duration
		code ExitCode
		want string
	}{
		{time.Minute, ExitOK, "Warning: --schedule is deprecated"},
		{5 * time.Minute, ExitInvalid, `--schedule 5m0s disagrees with the policy's schedule = "1m0s"`},
	} {
		code, out := e.run(func(g *Global, s IO) error {
			g.ScheduleGap = tc.flag
			return planCmd(g, s)
		})
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("--schedule %s: exit %d, want %d with %q:\n%s", tc.flag, code, tc.code, tc.want, out)
		}
	}
	e.top = ""
	e.writePolicy(`steps = [50, 100]`, e.hap.SocketPath, "primary")
	code, out := e.run(func(g *Global, s IO) error {
		g.ScheduleGap = time.Minute
		return planCmd(g, s)
	})
	if code != ExitInvalid || !strings.Contains(out, "add `schedule = \"1m0s\"` at the top level of the policy") {
		t.Errorf("--schedule without a schedule in the policy: exit %d:\n%s", code, out)
	}
}

func planCmd(g *Global, s IO) error {
	return Reconcile(context.Background(), s, ReconcileOptions{Global: g, DryRun: true})
}
