package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestKillAtEveryCrashPoint SIGKILLs every command that writes (reconcile,
// shift, abort, resume: before the first target, before the second, after
// both before the save; pause and approve: before the save) in a fixed
// table of cases, makes a side unhealthy after the kill when the case says
// so, and then runs `fbctl reconcile` four times (and for some cases `fbctl
// resume` and one more reconcile) against the real HAProxy. Whatever the
// case, the runs after the kill must:
//
//   - keep every hold: a killed shift or abort whose intent was recorded
//     leaves the failback manual or paused (so does a pause made after the
//     crash, and a resume killed while paused), and three more reconciles
//     change no weight and no phase; a killed abort keeps its cooldown and,
//     when finished, records its "abort" event; a pause or approval killed
//     before its save never happened (no hold, no approval, no event; the
//     next reconcile does what it does without them);
//   - never skip a step: no primary weight above 25 % of 256 = 64 (the bake
//     is an hour, so the failback is never recorded as primary here);
//   - never move traffic onto a failing side: with the primary made
//     unhealthy no run raises a primary weight, with the secondary made
//     unhealthy none lowers one; with both unhealthy a dead change that can
//     be neither finished nor reverted is held for a person: every
//     reconcile exits 6 and moves nothing, resume refuses (exit 6), the
//     intent stays, and once both sides are healthy again a reconcile
//     settles it, keeping the hold it carries;
//   - exit 0, 5 or 6 (4 only while the dead run's lock has not expired): the
//     first reconcile exits 6 when held for a person, else 5 while the
//     primary is unhealthy, else 0; and leave no intent in the state unless
//     the change is held for a person.
//
// Each case has its own rig (HAProxy, backends, state) and runs in parallel.
func TestKillAtEveryCrashPoint(t *testing.T) {
	for _, c := range crashCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			newCrashRun(t, c).run()
		})
	}
}

// Where a failback is put before the kill.
type crashSetup int

const (
	// setupFresh: one reconcile, so the primary is healthy on fresh
	// evidence but not yet stable; share 0.
	setupFresh crashSetup = iota
	// setupStable0: share 0, and the primary has been healthy long enough
	// that the next reconcile shifts to 25 (`plan` says so).
	setupStable0
	// setupAt25: shifting at 25, unheld (bake 1h: reconcile holds there).
	setupAt25
	// setupAwaitApproval: share 0, the primary stable, the first step
	// waiting for `fbctl approve` (rig with approval = first_step).
	setupAwaitApproval
)

// Which side is made unhealthy after the kill.
type crashFlip int

const (
	flipNone crashFlip = iota
	flipPrimary
	flipSecondary
	flipBoth
)

func (f crashFlip) primaryDown() bool   { return f == flipPrimary || f == flipBoth }
func (f crashFlip) secondaryDown() bool { return f == flipSecondary || f == flipBoth }

// crashKill is one command killed at one crash point.
type crashKill struct {
	args []string // without --lock-lease
	// at is the target the run is stopped before (FBCTL_TEST_PAUSE_BEFORE_APPLY),
	// or "save" (FBCTL_TEST_PAUSE_BEFORE_SAVE).
	at string
}

func (k crashKill) String() string { return strings.Join(k.args, " ") + "@" + k.at }

var (
	cmdReconcile = []string{"reconcile"}
	cmdShiftDown = []string{"shift", "web", "--percent", "0"}
	cmdShiftUp   = []string{"shift", "web", "--percent", "25"}
	cmdAbort     = []string{"abort", "web"}
	cmdPause     = []string{"pause", "web"}
	cmdApprove   = []string{"approve", "web"}
	cmdResume    = []string{"resume", "web"}
)

func killAt(args []string, at string) crashKill { return crashKill{args: args, at: at} }

// crashWant is where the first reconcile after the kill must leave the
// failback.
type crashWant struct {
	phase string // the phase recorded
	w     [2]int // the primary weights (app/primary, edge/p2)
	// halt: neither finishing nor reverting the dead change is safe: every
	// reconcile exits 6, nothing moves, the intent stays (w is then the
	// weights the kill left).
	halt bool
	// abortEvent: a finished abort's "abort" event is in the history.
	abortEvent bool
	// healPhase and healW are where a reconcile leaves a change held for a
	// person once both sides are healthy again.
	healPhase string
	healW     [2]int
}

type crashCase struct {
	name  string
	setup crashSetup
	// dead are kills before the one under test, leaving a dead change for
	// the command under test (resume) to settle; pauseDead pauses after them.
	dead      []crashKill
	pauseDead bool
	kill      crashKill
	flip      crashFlip
	// pauseAfter runs `fbctl pause` after the kill, before any reconcile.
	pauseAfter bool
	// resume runs `fbctl resume` after the reconciles, then one reconcile.
	resume bool
	want   crashWant
}

// crashCases is the fixed table. Raising writes lb1 then lb2; lowering
// writes lb2 then lb1. Shares: 25 % is a primary weight of 64 out of 256.
var crashCases = []crashCase{
	// reconcile 0 -> 25 (a raise: lb1 first).
	{name: "reconcile/lb1/none", setup: setupStable0, kill: killAt(cmdReconcile, "lb1"),
		want: crashWant{phase: "shifting", w: [2]int{64, 64}}},
	{name: "reconcile/lb1/primary", setup: setupStable0, kill: killAt(cmdReconcile, "lb1"), flip: flipPrimary, resume: true,
		want: crashWant{phase: "secondary", w: [2]int{0, 0}}},
	{name: "reconcile/lb1/both", setup: setupStable0, kill: killAt(cmdReconcile, "lb1"), flip: flipBoth,
		want: crashWant{phase: "secondary", w: [2]int{0, 0}}},
	{name: "reconcile/lb2/none", setup: setupStable0, kill: killAt(cmdReconcile, "lb2"),
		want: crashWant{phase: "shifting", w: [2]int{64, 64}}},
	{name: "reconcile/lb2/primary", setup: setupStable0, kill: killAt(cmdReconcile, "lb2"), flip: flipPrimary,
		want: crashWant{phase: "secondary", w: [2]int{0, 0}}},
	{name: "reconcile/lb2/secondary", setup: setupStable0, kill: killAt(cmdReconcile, "lb2"), flip: flipSecondary,
		want: crashWant{phase: "shifting", w: [2]int{64, 64}}},
	// lb1 raised, lb2 not, both sides failing: finishing raises lb2 onto
	// the failing primary, reverting lowers lb1 onto the failing secondary.
	{name: "reconcile/lb2/both", setup: setupStable0, kill: killAt(cmdReconcile, "lb2"), flip: flipBoth, resume: true,
		want: crashWant{halt: true, w: [2]int{64, 0}, healPhase: "shifting", healW: [2]int{64, 64}}},
	{name: "reconcile/save/primary", setup: setupStable0, kill: killAt(cmdReconcile, "save"), flip: flipPrimary,
		want: crashWant{phase: "shifting", w: [2]int{64, 64}}},
	{name: "reconcile/save/secondary", setup: setupStable0, kill: killAt(cmdReconcile, "save"), flip: flipSecondary,
		want: crashWant{phase: "shifting", w: [2]int{64, 64}}},
	// A pause made after the crash is kept by the recovery.
	{name: "reconcile/lb2/none/paused-after", setup: setupStable0, kill: killAt(cmdReconcile, "lb2"), pauseAfter: true, resume: true,
		want: crashWant{phase: "paused", w: [2]int{64, 64}}},
	{name: "reconcile/lb2/primary/paused-after", setup: setupStable0, kill: killAt(cmdReconcile, "lb2"), flip: flipPrimary, pauseAfter: true, resume: true,
		want: crashWant{phase: "paused", w: [2]int{0, 0}}},

	// shift 25 -> 0 (a lowering: lb2 first).
	{name: "shift-down/lb2/none", setup: setupAt25, kill: killAt(cmdShiftDown, "lb2"), resume: true,
		want: crashWant{phase: "manual", w: [2]int{0, 0}}},
	{name: "shift-down/lb2/secondary", setup: setupAt25, kill: killAt(cmdShiftDown, "lb2"), flip: flipSecondary,
		want: crashWant{phase: "manual", w: [2]int{64, 64}}},
	{name: "shift-down/lb1/none", setup: setupAt25, kill: killAt(cmdShiftDown, "lb1"),
		want: crashWant{phase: "manual", w: [2]int{0, 0}}},
	{name: "shift-down/lb1/primary", setup: setupAt25, kill: killAt(cmdShiftDown, "lb1"), flip: flipPrimary,
		want: crashWant{phase: "manual", w: [2]int{0, 0}}},
	{name: "shift-down/lb1/secondary", setup: setupAt25, kill: killAt(cmdShiftDown, "lb1"), flip: flipSecondary, resume: true,
		want: crashWant{phase: "manual", w: [2]int{64, 64}}},
	{name: "shift-down/lb1/both", setup: setupAt25, kill: killAt(cmdShiftDown, "lb1"), flip: flipBoth, resume: true,
		want: crashWant{halt: true, w: [2]int{64, 0}, healPhase: "manual", healW: [2]int{0, 0}}},
	// Every target written, then the secondary fails: finishing moves
	// nothing, and a person's shift is finished where the gate allows
	// (fbctl never raises against it on its own), held.
	{name: "shift-down/save/secondary", setup: setupAt25, kill: killAt(cmdShiftDown, "save"), flip: flipSecondary,
		want: crashWant{phase: "manual", w: [2]int{0, 0}}},

	// shift 0 -> 25 (a raise: lb1 first).
	{name: "shift-up/lb1/primary", setup: setupFresh, kill: killAt(cmdShiftUp, "lb1"), flip: flipPrimary,
		want: crashWant{phase: "manual", w: [2]int{0, 0}}},
	{name: "shift-up/lb2/none", setup: setupFresh, kill: killAt(cmdShiftUp, "lb2"),
		want: crashWant{phase: "manual", w: [2]int{64, 64}}},
	{name: "shift-up/lb2/primary", setup: setupFresh, kill: killAt(cmdShiftUp, "lb2"), flip: flipPrimary, resume: true,
		want: crashWant{phase: "manual", w: [2]int{0, 0}}},
	{name: "shift-up/lb2/both", setup: setupFresh, kill: killAt(cmdShiftUp, "lb2"), flip: flipBoth,
		want: crashWant{halt: true, w: [2]int{64, 0}, healPhase: "manual", healW: [2]int{64, 64}}},
	{name: "shift-up/save/primary", setup: setupFresh, kill: killAt(cmdShiftUp, "save"), flip: flipPrimary,
		want: crashWant{phase: "manual", w: [2]int{64, 64}}},

	// abort 25 -> 0 (a lowering: lb2 first), pause and cooldown.
	{name: "abort/lb2/none", setup: setupAt25, kill: killAt(cmdAbort, "lb2"),
		want: crashWant{phase: "paused", w: [2]int{0, 0}, abortEvent: true}},
	{name: "abort/lb2/secondary", setup: setupAt25, kill: killAt(cmdAbort, "lb2"), flip: flipSecondary,
		want: crashWant{phase: "paused", w: [2]int{64, 64}}},
	{name: "abort/lb1/none", setup: setupAt25, kill: killAt(cmdAbort, "lb1"),
		want: crashWant{phase: "paused", w: [2]int{0, 0}, abortEvent: true}},
	{name: "abort/lb1/primary", setup: setupAt25, kill: killAt(cmdAbort, "lb1"), flip: flipPrimary,
		want: crashWant{phase: "paused", w: [2]int{0, 0}, abortEvent: true}},
	{name: "abort/lb1/secondary", setup: setupAt25, kill: killAt(cmdAbort, "lb1"), flip: flipSecondary, resume: true,
		want: crashWant{phase: "paused", w: [2]int{64, 64}}},
	{name: "abort/lb1/both", setup: setupAt25, kill: killAt(cmdAbort, "lb1"), flip: flipBoth, resume: true,
		want: crashWant{halt: true, w: [2]int{64, 0}, healPhase: "paused", healW: [2]int{0, 0}, abortEvent: true}},
	{name: "abort/save/none", setup: setupAt25, kill: killAt(cmdAbort, "save"), resume: true,
		want: crashWant{phase: "paused", w: [2]int{0, 0}, abortEvent: true}},
	{name: "abort/save/secondary", setup: setupAt25, kill: killAt(cmdAbort, "save"), flip: flipSecondary,
		want: crashWant{phase: "paused", w: [2]int{0, 0}, abortEvent: true}},

	// pause and approve killed before their save never happened.
	{name: "pause/save/none@0", setup: setupStable0, kill: killAt(cmdPause, "save"),
		want: crashWant{phase: "shifting", w: [2]int{64, 64}}},
	{name: "pause/save/primary@25", setup: setupAt25, kill: killAt(cmdPause, "save"), flip: flipPrimary,
		want: crashWant{phase: "secondary", w: [2]int{0, 0}}},
	{name: "approve/save/none", setup: setupAwaitApproval, kill: killAt(cmdApprove, "save"),
		want: crashWant{phase: "secondary", w: [2]int{0, 0}}},
	{name: "approve/save/primary", setup: setupAwaitApproval, kill: killAt(cmdApprove, "save"), flip: flipPrimary,
		want: crashWant{phase: "secondary", w: [2]int{0, 0}}},

	// resume writes only when it settles a dead change. Here: a reconcile
	// died raising 0 -> 25 after lb1, the failback was paused, and resume
	// (finishing the raise: lb1 first) is killed.
	{name: "resume/lb1/none/dead-raise", setup: setupStable0, dead: []crashKill{killAt(cmdReconcile, "lb2")}, pauseDead: true,
		kill: killAt(cmdResume, "lb1"), resume: true,
		want: crashWant{phase: "paused", w: [2]int{64, 64}}},
	{name: "resume/lb2/primary/dead-raise", setup: setupStable0, dead: []crashKill{killAt(cmdReconcile, "lb2")}, pauseDead: true,
		kill: killAt(cmdResume, "lb2"), flip: flipPrimary,
		want: crashWant{phase: "paused", w: [2]int{0, 0}}},
	{name: "resume/lb2/both/dead-raise", setup: setupStable0, dead: []crashKill{killAt(cmdReconcile, "lb2")}, pauseDead: true,
		kill: killAt(cmdResume, "lb2"), flip: flipBoth,
		want: crashWant{halt: true, w: [2]int{64, 0}, healPhase: "paused", healW: [2]int{64, 64}}},
	{name: "resume/save/none/dead-raise", setup: setupStable0, dead: []crashKill{killAt(cmdReconcile, "lb2")}, pauseDead: true,
		kill: killAt(cmdResume, "save"),
		want: crashWant{phase: "paused", w: [2]int{64, 64}}},
	// Here: a shift 25 -> 0 died after lb2, and resume (finishing it: lb2
	// first) is killed. The resume lifts the shift's hold.
	{name: "resume/lb2/none/dead-shift", setup: setupAt25, dead: []crashKill{killAt(cmdShiftDown, "lb1")},
		kill: killAt(cmdResume, "lb2"),
		want: crashWant{phase: "secondary", w: [2]int{0, 0}}},
	{name: "resume/lb1/secondary/dead-shift", setup: setupAt25, dead: []crashKill{killAt(cmdShiftDown, "lb1")},
		kill: killAt(cmdResume, "lb1"), flip: flipSecondary,
		want: crashWant{phase: "shifting", w: [2]int{64, 64}}},
	{name: "resume/save/secondary/dead-shift", setup: setupAt25, dead: []crashKill{killAt(cmdShiftDown, "lb1")},
		kill: killAt(cmdResume, "save"), flip: flipSecondary,
		want: crashWant{phase: "secondary", w: [2]int{0, 0}}},
}

// Every writing command's lock lasts crashLockTimeout, a killed one's
// deadLockTimeout, so that it expires soon and the next run takes it over.
const (
	crashLockTimeout = "1s"
	deadLockTimeout  = "300ms"
)

// maxStepWeight is the primary weight of the first step, 25 % of 256: no
// reconcile may go past it while the failback is not recorded as primary.
const maxStepWeight = 64

// crashRun is one case in progress.
type crashRun struct {
	t  *testing.T
	r  *procRig
	c  crashCase
	mu sync.Mutex
	// log is every command run and what came of it, shown on failure.
	log strings.Builder
	// steps summarise the runs after the kill, logged at the end.
	steps []string
	// killed are the primary weights the kill left.
	killed [2]int
	// healed: both sides are healthy again.
	healed bool
}

func newCrashRun(t *testing.T, c crashCase) *crashRun {
	opts := procRigOptions{SecondaryCheck: true}
	if c.setup == setupAwaitApproval {
		opts.Approval = "first_step"
	}
	x := &crashRun{t: t, r: newProcRigWith(t, "", opts), c: c}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("commands run:\n%s", x.log.String())
		}
	})
	return x
}

func (x *crashRun) logf(format string, args ...any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	fmt.Fprintf(&x.log, format+"\n", args...)
}

// crashEnv is the environment of a child fbctl: a race-instrumented binary
// otherwise sleeps a second at exit.
func crashEnv(extra ...string) []string {
	return append([]string{"GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")}, extra...)
}

// exec runs fbctl once and returns its exit code, stdout and stderr.
func (x *crashRun) exec(args ...string) (int, string, string) {
	x.t.Helper()
	c := x.r.cmd(crashEnv(), args...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	code := exitCode(c.Run())
	x.logf("$ fbctl %s  -> exit %d\n%s%s", strings.Join(args, " "), code, indent(summarize(stdout.String())), indent(stderr.String()))
	return code, stdout.String(), stderr.String()
}

// summarize shortens a run's JSON document to what a failure needs.
func summarize(out string) string {
	var doc struct {
		Failbacks []struct {
			Before, After *struct {
				Phase string  `json:"phase"`
				Share float64 `json:"share"`
			}
			Action    string                  `json:"action"`
			Reason    string                  `json:"reason"`
			Writes    bool                    `json:"writes"`
			Error     string                  `json:"error"`
			Primary   *struct{ State string } `json:"primary"`
			Secondary *struct{ State string } `json:"secondary"`
		} `json:"failbacks"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Failbacks) != 1 {
		return out
	}
	f := doc.Failbacks[0]
	if f.Before == nil || f.After == nil {
		return "error: " + f.Error
	}
	side := func(s *struct{ State string }) string {
		if s == nil {
			return "-"
		}
		return s.State
	}
	line := fmt.Sprintf("%s %v%% -> %s %v%%: %s (writes %v; primary %s, secondary %s): %s",
		f.Before.Phase, f.Before.Share, f.After.Phase, f.After.Share, f.Action, f.Writes, side(f.Primary), side(f.Secondary), f.Reason)
	if f.Error != "" {
		line += "\nerror: " + f.Error
	}
	return line
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

// locked runs a writing command, polling while it exits 4 (the lock of a
// killed run has not expired yet), and returns its first other exit.
func (x *crashRun) locked(args ...string) (int, string, string) {
	x.t.Helper()
	args = append(args, "--lock-lease", crashLockTimeout)
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, stdout, stderr := x.exec(args...)
		if code != 4 {
			return code, stdout, stderr
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("fbctl %s: still locked after 15s:\n%s", strings.Join(args, " "), stderr)
		}
		time.Sleep(50 * time.Millisecond) // polling the dead lock's expiry
	}
}

// mustRun runs a setup command that must exit 0.
func (x *crashRun) mustRun(args ...string) string {
	x.t.Helper()
	code, stdout, stderr := x.locked(args...)
	if code != 0 {
		x.t.Fatalf("setup: fbctl %s exited %d:\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// kill starts k's command with its crash hook, waits until it says it is
// stopped there, and SIGKILLs it.
func (x *crashRun) kill(k crashKill) {
	x.t.Helper()
	env := []string{pauseBeforeSaveEnv + "=1"}
	if k.at != "save" {
		env = []string{pauseEnv + "=" + k.at}
	}
	args := append(append([]string{}, k.args...), "--lock-lease", deadLockTimeout)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c := x.r.cmd(crashEnv(env...), args...)
		out := &syncBuf{}
		c.Stdout, c.Stderr = out, out
		if err := c.Start(); err != nil {
			x.t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		tick := time.NewTicker(5 * time.Millisecond)
		killed, code := false, 0
	wait:
		for {
			select {
			case err := <-done:
				code = exitCode(err)
				break wait
			case <-tick.C:
				if strings.Contains(out.String(), "paused before") {
					_ = c.Process.Signal(syscall.SIGKILL)
					<-done
					killed = true
					break wait
				}
			}
		}
		tick.Stop()
		if killed {
			x.logf("$ %s fbctl %s  -> SIGKILL\n%s", strings.Join(env, " "), strings.Join(args, " "), indent(out.String()))
			return
		}
		x.logf("$ %s fbctl %s  -> exit %d (not stopped)\n%s", strings.Join(env, " "), strings.Join(args, " "), code, indent(out.String()))
		if code != 4 || time.Now().After(deadline) {
			x.t.Fatalf("%s exited %d without reaching its crash point:\n%s", k, code, out.String())
		}
		time.Sleep(50 * time.Millisecond) // polling a dead lock's expiry
	}
}

// crashDoc is the part of the state file the test looks at.
type crashDoc struct {
	Phase         string    `json:"phase"`
	Share         int       `json:"share"`
	CooldownUntil time.Time `json:"cooldown_until"`
	Hold          *struct {
		By     string `json:"by"`
		Resume string `json:"resume"`
	} `json:"hold"`
	Intent *struct {
		Command       string    `json:"command"`
		Event         string    `json:"event"`
		Phase         string    `json:"phase"`
		From          int       `json:"from"`
		To            int       `json:"to"`
		CooldownUntil time.Time `json:"cooldown_until"`
		Hold          *struct {
			By string `json:"by"`
		} `json:"hold"`
	} `json:"intent"`
	Approvals []json.RawMessage `json:"approvals"`
}

func (x *crashRun) doc() crashDoc {
	x.t.Helper()
	b, err := os.ReadFile(filepath.Join(x.r.dir, "state", "web.json"))
	if err != nil {
		x.t.Fatal(err)
	}
	var d crashDoc
	if err := json.Unmarshal(b, &d); err != nil {
		x.t.Fatalf("state file: %v\n%s", err, b)
	}
	return d
}

// status is `fbctl status -o json`'s phase and whether it shows an intent.
func (x *crashRun) status() (phase string, intent bool) {
	x.t.Helper()
	code, stdout, stderr := x.exec("status", "web", "-o", "json")
	if code != 0 {
		x.t.Fatalf("status exited %d:\n%s%s", code, stdout, stderr)
	}
	var st struct {
		Failbacks []struct {
			Phase  string          `json:"phase"`
			Intent json.RawMessage `json:"intent"`
		} `json:"failbacks"`
	}
	if err := json.Unmarshal([]byte(stdout), &st); err != nil || len(st.Failbacks) != 1 {
		x.t.Fatalf("status -o json: %v\n%s", err, stdout)
	}
	return st.Failbacks[0].Phase, len(st.Failbacks[0].Intent) > 0 && string(st.Failbacks[0].Intent) != "null"
}

type crashEvent struct {
	Type string   `json:"type"`
	From *float64 `json:"from"`
	To   *float64 `json:"to"`
}

func (x *crashRun) history() []crashEvent {
	x.t.Helper()
	code, stdout, stderr := x.exec("history", "web", "-o", "json")
	if code != 0 {
		x.t.Fatalf("history exited %d:\n%s%s", code, stdout, stderr)
	}
	var h struct {
		Events []crashEvent `json:"events"`
	}
	if err := json.Unmarshal([]byte(stdout), &h); err != nil {
		x.t.Fatalf("history -o json: %v\n%s", err, stdout)
	}
	return h.Events
}

func countEvents(evs []crashEvent, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func (x *crashRun) weights() [2]int {
	w1, w2 := x.r.primaryWeights()
	return [2]int{w1, w2}
}

// setup puts the failback where the case starts.
func (x *crashRun) setup() {
	x.t.Helper()
	// First run: evidence only (the primary is not yet stable for 1s).
	x.mustRun("reconcile", "-o", "json")
	deadline := time.Now().Add(15 * time.Second)
	switch x.c.setup {
	case setupFresh:
	case setupStable0, setupAwaitApproval:
		// Poll plan (no lock, no write) until the stable primary makes the
		// next reconcile shift, or wait for approval.
		for {
			code, stdout, _ := x.exec("plan", "web", "-o", "json")
			if code != 0 {
				x.t.Fatalf("setup: plan exited %d:\n%s", code, stdout)
			}
			if x.c.setup == setupStable0 && strings.Contains(stdout, `"writes": true`) ||
				x.c.setup == setupAwaitApproval && strings.Contains(stdout, `"needs_approval": true`) {
				break
			}
			if time.Now().After(deadline) {
				x.t.Fatalf("setup: the primary never became stable:\n%s", stdout)
			}
			time.Sleep(50 * time.Millisecond) // polling the stabilization
		}
	case setupAt25:
		// The rollout's own way to 25 % is the kill of setupStable0's
		// cases; here the shortest: a shift to 25 % (the primary is healthy
		// on fresh evidence) handed back to the rollout, which bakes there.
		x.mustRun("shift", "web", "--percent", "25")
		x.mustRun("resume", "web")
		if d, w := x.doc(), x.weights(); d.Phase != "shifting" || d.Share != 2500 || d.Hold != nil || w != [2]int{64, 64} {
			x.t.Fatalf("setup: not shifting at 25 %%: phase %q, share %d, weights %v", d.Phase, d.Share, w)
		}
	}
	for _, k := range x.c.dead {
		x.kill(k)
	}
	if x.c.pauseDead {
		x.mustRun("pause", "web", "--reason", "after a dead run")
	}
}

// checkKilled asserts what the kill left in the state.
func (x *crashRun) checkKilled(before crashDoc) {
	x.t.Helper()
	d := x.doc()
	cmd := x.c.kill.args[0]
	switch cmd {
	case "pause", "approve":
		// Killed before its save: it never happened.
		if d.Phase != before.Phase || (d.Hold == nil) != (before.Hold == nil) || len(d.Approvals) != len(before.Approvals) || d.Intent != nil {
			x.t.Fatalf("a %s killed before its save changed the state: before %+v, after %+v", cmd, before, d)
		}
		return
	}
	if d.Intent == nil {
		x.t.Fatalf("no intent recorded before the kill of %s: %+v", x.c.kill, d)
	}
	if d.Intent.Command != cmd {
		x.t.Errorf("the intent's command is %q, want %q", d.Intent.Command, cmd)
	}
	switch cmd {
	case "shift":
		if d.Intent.Hold == nil || d.Intent.Phase != "manual" {
			x.t.Errorf("a shift's intent carries no manual hold: %+v", *d.Intent)
		}
	case "abort":
		if d.Intent.Hold == nil || d.Intent.Phase != "paused" || d.Intent.CooldownUntil.IsZero() || d.Intent.Event != "abort" {
			x.t.Errorf("an abort's intent carries no pause, cooldown or event: %+v", *d.Intent)
		}
	}
}

// heldPhase reports whether a phase is a hold only resume lifts.
func heldPhase(p string) bool { return p == "manual" || p == "paused" || p == "halted" }

// checkRun asserts the invariants of one run after the kill: its exit code,
// no step skipped, no traffic moved onto a side made unhealthy (prev is the
// weights before the run: since every run is checked, the weights never pass
// what the kill left either).
func (x *crashRun) checkRun(what string, code int, prev, now [2]int) {
	x.t.Helper()
	d := x.doc()
	x.logf("# %s: exit %d, primary weights %v -> %v, phase %s, intent %v", what, code, prev, now, d.Phase, d.Intent != nil)
	x.steps = append(x.steps, fmt.Sprintf("%s: exit %d, %v, %s", what, code, now, d.Phase))
	if code != 0 && code != 5 && code != 6 {
		x.t.Errorf("%s exited %d: not one of 0, 5, 6", what, code)
	}
	if d.Phase == "primary" {
		x.t.Errorf("%s: phase primary, with a bake of 1h", what)
	}
	for i, name := range []string{"app/primary", "edge/p2"} {
		if now[i] > maxStepWeight {
			x.t.Errorf("%s: %s at weight %d, past the first step (%d): a step skipped", what, name, now[i], maxStepWeight)
		}
		if x.healed {
			continue
		}
		if x.c.flip.primaryDown() && now[i] > prev[i] {
			x.t.Errorf("%s (exit %d) raised %s's primary weight %d -> %d (%d after the kill) with the primary unhealthy",
				what, code, name, prev[i], now[i], x.killed[i])
		}
		if x.c.flip.secondaryDown() && now[i] < prev[i] {
			x.t.Errorf("%s (exit %d) lowered %s's primary weight %d -> %d (%d after the kill) onto the unhealthy secondary",
				what, code, name, prev[i], now[i], x.killed[i])
		}
	}
}

// reconcile runs one reconcile and checks it.
func (x *crashRun) reconcile(what string) (int, [2]int) {
	x.t.Helper()
	prev := x.weights()
	code, _, _ := x.locked("reconcile", "-o", "json")
	now := x.weights()
	x.checkRun(what, code, prev, now)
	return code, now
}

func (x *crashRun) run() {
	t, c := x.t, x.c
	x.setup()
	before := x.doc()
	x.kill(c.kill)
	x.killed = x.weights()
	x.checkKilled(before)
	x.logf("# weights after the kill: %v", x.killed)
	x.steps = append(x.steps, fmt.Sprintf("after the kill: %v", x.killed))
	defer func() { t.Logf("%s", strings.Join(x.steps, "; ")) }()

	switch c.flip {
	case flipPrimary:
		x.r.primary.SetHealthy(false)
	case flipSecondary:
		x.r.second.SetHealthy(false)
	case flipBoth:
		x.r.primary.SetHealthy(false)
		x.r.second.SetHealthy(false)
	}
	if c.pauseAfter {
		if code, stdout, stderr := x.locked("pause", "web", "--reason", "after the crash"); code != 0 {
			t.Fatalf("pause after the kill exited %d:\n%s%s", code, stdout, stderr)
		}
		if now := x.weights(); now != x.killed {
			t.Fatalf("pause moved traffic: %v -> %v", x.killed, now)
		}
	}

	// The first reconcile after the kill settles it.
	code, now := x.reconcile("reconcile 1")
	d := x.doc()
	phase, intent := x.status()
	if phase != d.Phase {
		t.Errorf("status says phase %q, the state file %q", phase, d.Phase)
	}
	// Exit 6 when the change is held for a person, else 5 while the
	// primary is unhealthy, else 0.
	wantCode := 0
	switch {
	case c.want.halt:
		wantCode = 6
	case c.flip.primaryDown():
		wantCode = 5
	}
	if code != wantCode {
		t.Errorf("reconcile 1 exited %d, want %d", code, wantCode)
	}
	if now != c.want.w {
		t.Errorf("after reconcile 1: primary weights %v, want %v", now, c.want.w)
	}
	if c.want.halt {
		// Held for a person: the dead change and the hold it carries stay.
		if !intent || d.Intent == nil {
			t.Errorf("neither finishing nor reverting is safe: the intent must stay (exit %d)", code)
		} else if cmd := c.kill.args[0]; (cmd == "shift" || cmd == "abort") && d.Intent.Hold == nil {
			t.Errorf("the dead %s's hold is lost from its intent", cmd)
		}
	} else {
		if intent || d.Intent != nil {
			t.Errorf("reconcile 1 (exit %d) left an intent", code)
		}
		if d.Phase != c.want.phase {
			t.Errorf("after reconcile 1: phase %q, want %q", d.Phase, c.want.phase)
		}
		if heldPhase(c.want.phase) && d.Hold == nil {
			t.Errorf("phase %s without a hold", d.Phase)
		}
	}

	// Three more reconciles: a hold, or a change held for a person, stays
	// exactly as it is.
	holding := c.want.halt || heldPhase(c.want.phase)
	for i := 2; i <= 4; i++ {
		what := fmt.Sprintf("reconcile %d", i)
		prev, prevDoc := now, x.doc()
		code, now = x.reconcile(what)
		if !holding {
			continue
		}
		dd := x.doc()
		switch {
		case now != prev:
			t.Errorf("%s (exit %d) moved a held failback: %v -> %v", what, code, prev, now)
		case dd.Phase != prevDoc.Phase || (dd.Intent == nil) != (prevDoc.Intent == nil) || (dd.Hold == nil) != (prevDoc.Hold == nil):
			t.Errorf("%s (exit %d) changed a held failback: phase %q -> %q, intent %v -> %v, hold %v -> %v", what, code,
				prevDoc.Phase, dd.Phase, prevDoc.Intent != nil, dd.Intent != nil, prevDoc.Hold != nil, dd.Hold != nil)
		case c.want.halt && code != 6:
			t.Errorf("%s exited %d, want 6 while the dead change is held for a person", what, code)
		default:
			continue
		}
		holding = false // reported once
	}

	switch {
	case c.want.halt:
		if c.resume {
			prev := now
			code, stdout, _ := x.locked("resume", "web", "-o", "json")
			now = x.weights()
			x.checkRun("resume", code, prev, now)
			if dd := x.doc(); code != 6 || now != prev || dd.Intent == nil {
				t.Errorf("resume of a change neither finishable nor revertible: exit %d, weights %v -> %v, intent kept %v; want exit 6, nothing changed\n%s",
					code, prev, now, dd.Intent != nil, summarize(stdout))
			}
		}
		if d := x.doc(); d.Intent == nil {
			t.Errorf("the change held for a person was settled by no one: no intent left")
		}
		// Both sides healthy again: the next reconcile settles the change,
		// keeping the hold it carries.
		x.r.primary.SetHealthy(true)
		x.r.second.SetHealthy(true)
		x.healed = true
		code, now = x.reconcile("reconcile after healing")
		if d := x.doc(); code != 0 || d.Intent != nil || d.Phase != c.want.healPhase || now != c.want.healW {
			t.Errorf("after healing: exit %d, intent %v, phase %q, weights %v; want exit 0, no intent, phase %q, weights %v",
				code, d.Intent != nil, d.Phase, now, c.want.healPhase, c.want.healW)
		}
	case c.resume:
		prev := now
		code, stdout, _ := x.locked("resume", "web", "-o", "json")
		now = x.weights()
		x.checkRun("resume", code, prev, now)
		dd := x.doc()
		if code != 0 || now != prev || heldPhase(dd.Phase) || dd.Hold != nil {
			t.Errorf("resume: exit %d, weights %v -> %v, phase %q, hold %v; want exit 0, unchanged, no hold\n%s",
				code, prev, now, dd.Phase, dd.Hold != nil, summarize(stdout))
		}
		_, now = x.reconcile("reconcile after resume")
		if c.kill.args[0] == "abort" && prev == [2]int{0, 0} && now != prev {
			t.Errorf("the reconcile after resuming an abort ignored its cooldown: weights %v", now)
		}
	}

	var evs []crashEvent
	if cmd := c.kill.args[0]; cmd == "abort" || cmd == "pause" || cmd == "approve" {
		evs = x.history()
	}
	d = x.doc()
	switch c.kill.args[0] {
	case "abort":
		if n := countEvents(evs, "abort"); c.want.abortEvent && n != 1 || !c.want.abortEvent && n != 0 {
			t.Errorf("%d abort events in the history, want finished=%v", n, c.want.abortEvent)
		}
		if !d.CooldownUntil.After(time.Now()) {
			t.Errorf("the killed abort's cooldown is lost: cooldown_until %v", d.CooldownUntil)
		}
	case "pause":
		if n := countEvents(evs, "pause"); n != 0 {
			t.Errorf("a pause killed before its save left %d pause events", n)
		}
		if heldPhase(d.Phase) || d.Hold != nil {
			t.Errorf("a pause killed before its save holds: phase %q", d.Phase)
		}
	case "approve":
		if n := countEvents(evs, "approve"); n != 0 || len(d.Approvals) != 0 {
			t.Errorf("an approval killed before its save was recorded: %d events, %d approvals", n, len(d.Approvals))
		}
		// A real approval now lets the first step through (the primary
		// permitting).
		x.mustRun("approve", "web")
		_, now = x.reconcile("reconcile after approve")
		if want := [2]int{64, 64}; !c.flip.primaryDown() && now != want {
			t.Errorf("approved with a healthy primary: weights %v, want %v", now, want)
		}
	}

	if d := x.doc(); d.Intent != nil {
		t.Errorf("the final state has an intent: %+v", *d.Intent)
	}
}
