package main

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startMarked starts fbctl with extra environment and waits (polling its
// output) until it prints marker; it returns the running command and its
// output.
func (r *procRig) startMarked(env []string, marker string, args ...string) (*exec.Cmd, *syncBuf, chan error) {
	r.t.Helper()
	c := r.cmd(append([]string{"GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")}, env...), args...)
	out := &syncBuf{}
	c.Stdout, c.Stderr = out, out
	if err := c.Start(); err != nil {
		r.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), marker) {
		select {
		case err := <-done:
			r.t.Fatalf("%v exited (%d) before %q:\n%s", args, exitCode(err), marker, out.String())
		case <-time.After(10 * time.Millisecond): // polling the child's output
		}
		if time.Now().After(deadline) {
			_ = c.Process.Kill()
			r.t.Fatalf("%v never printed %q:\n%s", args, marker, out.String())
		}
	}
	return c, out, done
}

func (r *procRig) mustRun(args ...string) string {
	r.t.Helper()
	code, out := r.run(args...)
	if code != 0 {
		r.t.Fatalf("%v exited %d:\n%s", args, code, out)
	}
	return out
}

// at25 brings the failback to shifting at 25 % (a shift handed back to the
// rollout, which bakes there for an hour).
func (r *procRig) at25() {
	r.t.Helper()
	r.mustRun("reconcile")
	r.mustRun("shift", "web", "--percent", "25")
	r.mustRun("resume", "web")
	if w1, w2 := r.primaryWeights(); w1 != 64 || w2 != 64 {
		r.t.Fatalf("setup: weights %d %d", w1, w2)
	}
}

// stable0 brings the failback to the point where the next reconcile
// shifts to 25 %.
func (r *procRig) stable0() {
	r.t.Helper()
	r.mustRun("reconcile")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if out := r.mustRun("plan", "-o", "json"); strings.Contains(out, `"writes": true`) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatal("setup: the primary never became stable")
		}
		time.Sleep(50 * time.Millisecond) // polling the stabilization window
	}
}

// TestSignalsSettleUnlockAndLetAbortThrough interrupts reconcile --wait,
// shift and abort with SIGINT or SIGTERM at fixed moments: between two
// targets' writes, and between rounds of --wait. Each must make no new
// decision, put back what it wrote, save, release the lock and exit 130
// (SIGINT) or 143 (SIGTERM); an abort right after proceeds at once. A
// second signal exits at once.
func TestSignalsSettleUnlockAndLetAbortThrough(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(*procRig)
		env    string // FBCTL_TEST_HOLD_BEFORE_APPLY target, or "" to signal between rounds
		marker string
		args   []string
		sig    syscall.Signal
		code   int
		// weights after the interrupted command: what was written is put back.
		w1, w2 int
	}{
		{"reconcile-wait/SIGINT/between-writes", (*procRig).stable0, "lb2", "holding before applying lb2",
			[]string{"reconcile", "--wait"}, syscall.SIGINT, 130, 0, 0},
		{"shift-down/SIGTERM/between-writes", (*procRig).at25, "lb1", "holding before applying lb1",
			[]string{"shift", "web", "--percent", "0"}, syscall.SIGTERM, 143, 64, 64},
		{"abort/SIGINT/between-writes", (*procRig).at25, "lb1", "holding before applying lb1",
			[]string{"abort", "web"}, syscall.SIGINT, 130, 64, 64},
		{"reconcile-wait/SIGTERM/between-rounds", (*procRig).at25, "", "baking at 25%",
			[]string{"reconcile", "--wait"}, syscall.SIGTERM, 143, 64, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newProcRigWith(t, "", procRigOptions{SecondaryCheck: true})
			tc.setup(r)
			var env []string
			if tc.env != "" {
				env = []string{holdEnv + "=" + tc.env}
			}
			c, out, done := r.startMarked(env, tc.marker, tc.args...)
			if err := c.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			var code int
			select {
			case err := <-done:
				code = exitCode(err)
			case <-time.After(30 * time.Second):
				_ = c.Process.Kill()
				t.Fatalf("no exit 30 s after %s:\n%s", tc.sig, out.String())
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.code, out.String())
			}
			if w1, w2 := r.primaryWeights(); w1 != tc.w1 || w2 != tc.w2 {
				t.Fatalf("weights %d %d after the interruption, want %d %d:\n%s", w1, w2, tc.w1, tc.w2, out.String())
			}
			if d := r.state(); d.Intent != nil {
				t.Fatalf("intent left behind: %+v", d.Intent)
			}
			// The lock was released: an abort right after proceeds at once.
			if code, aout := r.run("abort", "web", "--lock-wait", "0"); code != 0 {
				t.Fatalf("abort after the interruption exited %d:\n%s", code, aout)
			}
			if w1, w2 := r.primaryWeights(); w1 != 0 || w2 != 0 {
				t.Fatalf("weights %d %d after abort", w1, w2)
			}
		})
	}
}

// TestSecondSignalExitsAtOnce: a command stuck after its writes (the
// before-save hook stops it for good) ignores nothing: the first SIGINT asks
// it to settle, the second exits at once with 130. The lock is left until
// its lease ends; abort waits for it by default and then proceeds.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	r := newProcRigWith(t, "", procRigOptions{SecondaryCheck: true})
	r.at25()
	c, out, done := r.startMarked([]string{pauseBeforeSaveEnv + "=1"}, "paused before saving",
		"shift", "web", "--percent", "0", "--lock-lease", "1s")
	_ = c.Process.Signal(syscall.SIGINT)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "send it again to exit at once") {
		if time.Now().After(deadline) {
			t.Fatalf("no notice of the first signal:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the child's output
	}
	_ = c.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		if code := exitCode(err); code != 130 {
			t.Fatalf("exit %d after the second signal:\n%s", code, out.String())
		}
	case <-time.After(10 * time.Second):
		_ = c.Process.Kill()
		t.Fatalf("the second signal did not exit at once:\n%s", out.String())
	}
	code, aout := r.run("abort", "web")
	if code != 0 {
		t.Fatalf("abort exited %d:\n%s", code, aout)
	}
	if w1, w2 := r.primaryWeights(); w1 != 0 || w2 != 0 {
		t.Fatalf("weights %d %d after abort", w1, w2)
	}
}

// On a terminal the signal's message clears the line first, so that it
// does not run on from the live line `reconcile --wait` draws there.
func TestInterruptibleClearsTheLineOnATerminal(t *testing.T) {
	for _, tty := range []bool{true, false} {
		var buf syncBuf
		ctx, got, stop := interruptible(&buf, tty)
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			stop()
			t.Fatal(err)
		}
		<-ctx.Done() // the message is written before the cancel
		stop()
		if got() != os.Interrupt {
			t.Errorf("got %v", got())
		}
		prefix := "fbctl: interrupt: making no new decision"
		if tty {
			prefix = "\r\033[K" + prefix
		}
		if !strings.HasPrefix(buf.String(), prefix) {
			t.Errorf("tty %v: %q", tty, buf.String())
		}
	}
}
