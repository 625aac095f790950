package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
)

// status runs `fbctl status` in output and returns what it printed.
func (e *e2e) status(output string) string {
	e.t.Helper()
	var out, errOut bytes.Buffer
	g := e.global()
	g.Output = output
	if err := Status(context.Background(), IO{Out: &out, ErrOut: &errOut}, StatusOptions{Global: g}); err != nil {
		e.t.Fatalf("status: %v\n%s%s", err, out.String(), errOut.String())
	}
	return out.String()
}

// statusJSON runs `fbctl status -o json` and returns web's entry.
func (e *e2e) statusWeb() statusJSON {
	e.t.Helper()
	out := e.status(OutputJSON)
	var doc statusDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Failbacks) != 1 {
		e.t.Fatalf("status -o json: %v\n%s", err, out)
	}
	return doc.Failbacks[0]
}

// waits is "kind: detail" of each thing the failback waits for.
func waits(j statusJSON) []string {
	var out []string
	for _, w := range j.WaitingFor {
		out = append(out, w.Kind+": "+w.Detail)
	}
	return out
}

// requireWaits requires the status to wait for exactly the kinds given,
// each detail containing its fragment, in the JSON and in the text alike.
func (e *e2e) requireWaits(want ...[2]string) statusJSON {
	e.t.Helper()
	j := e.statusWeb()
	got := waits(j)
	if len(got) != len(want) {
		e.t.Fatalf("status waits for %q; want %d things: %q", got, len(want), want)
	}
	text := e.status(OutputText)
	for i, w := range want {
		if j.WaitingFor[i].Kind != w[0] || !strings.Contains(j.WaitingFor[i].Detail, w[1]) {
			e.t.Errorf("wait %d = %q; want kind %s containing %q", i, got[i], w[0], w[1])
		}
		if line := "web: " + got[i]; !strings.Contains(text, line) {
			e.t.Errorf("text status lacks %q:\n%s", line, text)
		}
	}
	return j
}

// TestStatusSaysWhatItWaitsFor walks a failback through the states status
// must explain, on a real HAProxy with an injected clock: never probed, a
// streak short of its threshold, stabilization, bake, approval, a pause,
// a held lock, stale evidence, a rollback's cooldown and an unfinished
// change. Steps are 1-based in the text and in step_number.
func TestStatusSaysWhatItWaitsFor(t *testing.T) {
	t.Parallel()
	e := newE2E(t, `steps = [5, 10, 25, 50, 100]
    bake = "1m"
    primary_healthy_for = "1m"
    cooldown = "5m"
    approval = "every_step"`)
	e.top = `schedule = "1m"`
	e.primaryCheck = `interval          = "10s"
    timeout           = "2s"
    healthy_threshold = 2`
	e.writePolicy(`steps = [5, 10, 25, 50, 100]
    bake = "1m"
    primary_healthy_for = "1m"
    cooldown = "5m"
    approval = "every_step"`, e.hap.SocketPath, "primary")

	j := e.requireWaits([2]string{"approval", "`fbctl approve web` for the step to 5% (step 1 of 5; approval = every_step)"}, [2]string{"evidence", "dc1 (primary): never probed"})
	if j.Step != -1 || j.StepNumber != 0 || j.Steps != 5 {
		t.Errorf("on the secondary: step %d, step_number %d, steps %d; want -1, 0, 5", j.Step, j.StepNumber, j.Steps)
	}

	e.reconcile()
	e.requireWaits([2]string{"approval", "`fbctl approve web` for the step to 5% (step 1 of 5; approval = every_step)"}, [2]string{"evidence", "dc1 (primary): 1 of 2 successes needed"})

	e.advance(10 * time.Second)
	e.reconcile()
	j = e.requireWaits([2]string{"stabilization", "50s left, until 03:01:00Z (the primary has been healthy for 10s of the 1m required)"}, [2]string{"approval", "`fbctl approve web` for the step to 5% (step 1 of 5; approval = every_step)"})
	if w := j.WaitingFor[0]; w.RemainingSeconds == nil || *w.RemainingSeconds != 50 || w.Until == nil || !w.Until.Equal(e.clock().Add(50*time.Second)) {
		t.Errorf("stabilization wait %+v; want 50s left", w)
	}

	e.advance(60 * time.Second)
	e.reconcile()
	j = e.requireWaits([2]string{"approval", "`fbctl approve web` for the step to 5% (step 1 of 5; approval = every_step)"})
	if w := j.WaitingFor[0]; w.Share == nil || *w.Share != 5 {
		t.Errorf("approval wait %+v; want share 5", w)
	}

	e.exec(ExitOK, controlCmd(Approve))
	j = e.statusWeb()
	if j.Next == nil || j.Next.Action != "shift" || j.Next.To != 5 {
		t.Errorf("after approve, next = %+v; want a shift to 5%%", j.Next)
	}
	if text := e.status(OutputText); !strings.Contains(text, "web: next run: shift to 5%:") {
		t.Errorf("text status lacks the next run:\n%s", text)
	}
	e.reconcile()
	e.advance(20 * time.Second)
	j = e.requireWaits([2]string{"bake", "40s left, until 03:02:10Z (at 5%, bake 1m)"}, [2]string{"approval", "for the step to 10% (step 2 of 5"})
	if j.Step != 0 || j.StepNumber != 1 {
		t.Errorf("at 5%%: step %d, step_number %d; want 0 and 1", j.Step, j.StepNumber)
	}
	if text := e.status(OutputText); !strings.Contains(text, " 1/5 ") {
		t.Errorf("text status does not show step 1/5:\n%s", text)
	}

	// A run holding the lock comes first.
	store, err := state.OpenFile(filepath.Join(e.dir, "state"), state.FileOptions{Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	l, err := store.Lock(context.Background(), "web", state.LockInfo{Owner: "carol", Host: "ops1", PID: 4242, RunID: "run-x", Expires: e.clock().Add(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	j = e.requireWaits([2]string{"lock", "5m left, until 03:06:30Z (held by carol@ops1, pid 4242, run run-x"},
		[2]string{"bake", "40s left"}, [2]string{"approval", "for the step to 10% (step 2 of 5"})
	if j.Lock == nil || j.Lock.RunID != "run-x" || j.Lock.Stale != "" {
		t.Errorf("lock %+v; want carol's live lock", j.Lock)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}

	e.exec(ExitOK, controlCmd(Pause))
	e.requireWaits([2]string{"hold", "paused by "})
	e.exec(ExitOK, controlCmd(Resume))

	// Evidence past its TTL (2 x the 1m schedule) is stale; resume probed
	// last.
	e.advance(7 * time.Minute)
	e.requireWaits([2]string{"approval", "for the step to 10% (step 2 of 5"}, [2]string{"evidence", "dc1 (primary): stale: last probe 7m ago, limit 2m; its streak starts again at the next run (run fbctl at least every 2m)"})

	// The primary fails: rolled back, then cooling down.
	e.primary.SetHealthy(false)
	e.reconcile()
	j = e.requireWaits([2]string{"cooldown", "5m left"}, [2]string{"approval", "`fbctl approve web` for the step to 5% (step 1 of 5; approval = every_step)"}, [2]string{"unhealthy", "dc1 (primary): unhealthy for 0s, 2 failures in a row: HTTP 503"})
	if j.Next != nil {
		t.Errorf("cooling down, next = %+v; want none", j.Next)
	}

	// A lock file that cannot be read stops every run: status shows it
	// first and still shows the rest.
	if err := os.WriteFile(filepath.Join(e.dir, "state", "web.lock"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.requireWaits([2]string{"lock", "is corrupt"}, [2]string{"cooldown", "5m left"}, [2]string{"approval", "for the step to 5%"},
		[2]string{"unhealthy", "dc1 (primary)"})
}

// TestStatusShowsAnUnfinishedChange: a run killed after its intent leaves a
// change status must name, with what the next run does about it.
func TestStatusShowsAnUnfinishedChange(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps)
	e.climbTo(5)
	e.advance(2 * time.Minute)
	e.dieBeforeApply = true
	e.runKilled(reconcileCmd)
	j := e.statusWeb()
	if len(j.WaitingFor) == 0 {
		t.Fatalf("status waits for nothing with an intent left: %+v", j)
	}
	last := j.WaitingFor[len(j.WaitingFor)-1]
	if last.Kind != "intent" || !strings.Contains(last.Detail, "unfinished change 5% -> 10%") || j.Intent == nil {
		t.Errorf("waits %q; want an unfinished change 5%% -> 10%%", waits(j))
	}
}

// TestStatusWatch refreshes with an injected sleep until the context is
// cancelled, and never sleeps for real.
func TestStatusWatch(t *testing.T) {
	t.Parallel()
	e := newE2E(t, fiveSteps)
	for _, output := range []string{OutputText, OutputJSON} {
		t.Run(output, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out bytes.Buffer
			g := e.global()
			g.Output = output
			var slept []time.Duration
			g.Sleep = func(ctx context.Context, d time.Duration) error {
				slept = append(slept, d)
				if len(slept) == 3 {
					cancel()
					return ctx.Err()
				}
				return nil
			}
			err := Status(ctx, IO{Out: &out, ErrOut: &out}, StatusOptions{Global: g, Watch: true, Every: 5 * time.Second})
			if err != nil {
				t.Fatalf("status --watch ended with %v; want nil on Ctrl-C", err)
			}
			if len(slept) != 3 || slept[0] != 5*time.Second {
				t.Errorf("slept %v; want 3 sleeps of 5s", slept)
			}
			switch output {
			case OutputText:
				if n := strings.Count(out.String(), "FAILBACK"); n != 3 {
					t.Errorf("%d refreshes; want 3:\n%s", n, out.String())
				}
				if strings.Contains(out.String(), "\x1b[") {
					t.Errorf("redraw codes on a non-terminal:\n%q", out.String())
				}
			case OutputJSON:
				dec := json.NewDecoder(&out)
				n := 0
				for {
					var doc statusDoc
					if err := dec.Decode(&doc); err != nil {
						if !errors.Is(err, context.Canceled) && err.Error() != "EOF" {
							t.Fatalf("refresh %d is not a JSON document: %v", n+1, err)
						}
						break
					}
					n++
				}
				if n != 3 {
					t.Errorf("%d JSON documents; want 3", n)
				}
			}
		})
	}

	// On a terminal each refresh redraws in place.
	var out bytes.Buffer
	g := e.global()
	g.Output = OutputText
	n := 0
	g.Sleep = func(context.Context, time.Duration) error {
		if n++; n == 2 {
			return context.Canceled
		}
		return nil
	}
	if err := Status(context.Background(), IO{Out: &out, ErrOut: &out, OutTerminal: true}, StatusOptions{Global: g, Watch: true}); err != nil {
		t.Fatal(err)
	}
	if c := strings.Count(out.String(), "\x1b[H\x1b[2J"); c != 2 {
		t.Errorf("%d redraws on a terminal; want 2", c)
	}

	// --every below a second is a command-line error.
	err := Status(context.Background(), IO{Out: &out, ErrOut: &out}, StatusOptions{Global: e.global(), Watch: true, Every: time.Millisecond})
	if CodeOf(err) != ExitInvalid {
		t.Errorf("--every 1ms: %v; want exit %d", err, ExitInvalid)
	}
}
