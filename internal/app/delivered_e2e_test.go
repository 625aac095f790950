package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/testenv"
)

// Issue 11, item 1: a server in MAINT, DRAIN or DOWN delivers nothing. A
// real HAProxy, each server put out by hand at several phases; every run
// must report the real split as the observed share, fail no request, and
// never leave a side that delivers nothing as the only one with weight.

// serverOut puts a server out of service by the runtime API, as an
// operator would, and returns the command that puts it back.
func serverOut(t *testing.T, h *testenv.HAProxy, server, how string) (back string) {
	t.Helper()
	var cmd string
	switch how {
	case "MAINT":
		cmd, back = "set server app/%s state maint", "set server app/%s state ready"
	case "DRAIN":
		cmd, back = "set server app/%s state drain", "set server app/%s state ready"
	case "DOWN":
		// Without health checks, HAProxy keeps a forced health as is.
		cmd, back = "set server app/%s health down", "set server app/%s health up"
	}
	if out := h.Command(t, fmt.Sprintf(cmd, server)); strings.TrimSpace(out) != "" {
		t.Fatalf("%s: %s", fmt.Sprintf(cmd, server), out)
	}
	return fmt.Sprintf(back, server)
}

// spread sends 400 requests and returns the primary's part in percent,
// failing the test on any answer other than 200 from a backend.
func (e *e2e) spread() float64 {
	e.t.Helper()
	counts, err := testenv.Spread(e.hap.FrontendURL, 400)
	if err != nil {
		e.t.Fatal(err)
	}
	if counts["primary"]+counts["secondary"] != 400 {
		e.t.Fatalf("requests failed: %v", counts)
	}
	return float64(counts["primary"]) * 100 / 400
}

// runChecked reconciles once and checks what the brief of issue 11 asks:
// exit 0, 5 or 6, the observed share equal to the real split, no failed
// request, and the side that is out never the only one with weight.
func (e *e2e) runChecked(outSide string) ExitCode {
	e.t.Helper()
	code, out := e.run(reconcileCmd)
	if code != ExitOK && code != ExitUnhealthy && code != ExitHalted {
		e.t.Fatalf("reconcile exited %d:\n%s", code, out)
	}
	real := e.spread()
	fb := e.lastJSON.Failbacks[0]
	if len(fb.Observed) != 1 {
		e.t.Fatalf("observed %v:\n%s", fb.Observed, out)
	}
	if got := float64(fb.Observed[0].Share); got < real-5 || got > real+5 {
		e.t.Fatalf("observed share %g%%, but the primary really gets %.1f%%:\n%s", got, real, out)
	}
	if len(fb.Delivered) == 1 {
		if got := float64(fb.Delivered[0].Share); got < real-5 || got > real+5 {
			e.t.Fatalf("delivered share %g%%, but the primary really gets %.1f%%:\n%s", got, real, out)
		}
	}
	w := e.hap.Weights(e.t)
	other := map[string]string{"primary": "secondary", "secondary": "primary"}[outSide]
	if w["app/"+other] == 0 {
		e.t.Fatalf("the %s was set to weight 0 while the %s delivers nothing (weights %v):\n%s", other, outSide, w, out)
	}
	return code
}

func TestDeliveredServerOut(t *testing.T) {
	t.Parallel()
	type tc struct {
		side, how, onDrift string
		at                 float64 // the share to climb to before the server goes out
	}
	var cases []tc
	for _, how := range []string{"MAINT", "DRAIN", "DOWN"} {
		for _, onDrift := range []string{"halt", "adopt", "correct"} {
			cases = append(cases, tc{"primary", how, onDrift, 10}, tc{"secondary", how, onDrift, 10})
		}
		cases = append(cases, tc{"primary", how, "halt", 0}, tc{"secondary", how, "correct", 50},
			tc{"primary", how, "adopt", 50})
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%s_at_%g_%s", c.side, c.how, c.at, c.onDrift), func(t *testing.T) {
			t.Parallel()
			e := newE2E(t, fiveSteps+"\n    on_drift = \""+c.onDrift+"\"")
			if c.at > 0 {
				e.climbTo(c.at)
				e.near(c.at)
			}
			back := serverOut(t, e.hap, c.side, c.how)
			want := 100.0 // all traffic to the primary when the secondary is out
			if c.side == "primary" {
				want = 0
			}
			if f := e.spread(); f != want {
				t.Fatalf("with the %s %s, the primary really gets %.1f%%, want %g%%", c.side, c.how, f, want)
			}
			halted := false
			for i := 0; i < 6; i++ {
				if e.runChecked(c.side) == ExitHalted {
					halted = true
				}
				fb := e.lastJSON.Failbacks[0]
				if fb.Observed[0].Share != percent(want) {
					t.Fatalf("run %d observed %g%%, want %g%%", i, float64(fb.Observed[0].Share), want)
				}
				out := map[string]string{"primary": fb.Observed[0].PrimaryOut, "secondary": fb.Observed[0].SecondaryOut}
				if out[c.side] == "" || !strings.Contains(out[c.side], c.how) {
					t.Fatalf("run %d: the %s is not reported out (%+v)", i, c.side, fb.Observed[0])
				}
				if !strings.Contains(strings.Join(fb.Warnings, "\n"), "every "+c.side+" server is in MAINT, DRAIN or DOWN") {
					t.Fatalf("run %d: no warning of the %s being out: %q", i, c.side, fb.Warnings)
				}
				e.advance(time.Minute)
			}
			// Moving towards the side that is out is refused: the
			// rollout can never finish (primary out) or roll back
			// (secondary out) by itself, and says so with exit 6.
			if c.side == "primary" && c.onDrift != "halt" && !halted {
				t.Fatalf("never halted with the primary %s", c.how)
			}
			// Back in service, the failback carries on from the real split.
			if out := e.hap.Command(t, back); strings.TrimSpace(out) != "" {
				t.Fatalf("%s: %s", back, out)
			}
			code, out := e.run(reconcileCmd)
			if code != ExitOK && code != ExitHalted {
				t.Fatalf("after %s: exit %d:\n%s", back, code, out)
			}
			e.spread()
		})
	}
}

// TestDeliveredPrimaryMaintNeverCompletes replays the report of issue 11:
// a primary server put in MAINT by hand at 10 %, the rollout adopting what
// it sees. fbctl must never go on to 100 % and zero the secondary.
func TestDeliveredPrimaryMaintNeverCompletes(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps+"\n    on_drift = \"adopt\"")
	e.climbTo(10)
	serverOut(t, e.hap, "primary", "MAINT")
	sawRefusal := false
	for i := 0; i < 30; i++ {
		code := e.runChecked("primary")
		fb := e.lastJSON.Failbacks[0]
		if fb.After.Share == 100 || fb.After.Phase == "primary" {
			t.Fatalf("run %d reached %v with the primary in MAINT", i, fb.After)
		}
		if code == ExitHalted {
			sawRefusal = true
			if !strings.Contains(fb.Reason, `target "lb"`) || !strings.Contains(fb.Reason, "primary server is in MAINT") {
				t.Fatalf("the hold's reason does not name the target and side: %q", fb.Reason)
			}
		}
		e.advance(2 * time.Minute)
	}
	if !sawRefusal {
		t.Fatal("never held with exit 6")
	}
	if w := e.hap.Weights(t); w["app/secondary"] == 0 {
		t.Fatalf("the secondary was zeroed: %v", w)
	}
}
