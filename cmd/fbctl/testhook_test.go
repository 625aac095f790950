package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/app"
)

// Crash-test hooks. They live in a _test.go file, so only the test binary
// (which testscript re-executes as "fbctl") has them: the release binary
// reads none of these variables. Each names a point where a run says so on
// stderr and then stops, so that a test can kill or signal it exactly
// there:
//
//	FBCTL_TEST_PAUSE_BEFORE_APPLY=TARGET  the intent is recorded, TARGET is next to be written; stops for good
//	FBCTL_TEST_HOLD_BEFORE_APPLY=TARGET   the same, but goes on once the command is interrupted (a signal)
//	FBCTL_TEST_PAUSE_BEFORE_SAVE=1        every target is written (or, for pause and approve,
//	                                      the change is made), the state is not saved yet; stops for good
const (
	pauseEnv           = "FBCTL_TEST_PAUSE_BEFORE_APPLY"
	holdEnv            = "FBCTL_TEST_HOLD_BEFORE_APPLY"
	pauseBeforeSaveEnv = "FBCTL_TEST_PAUSE_BEFORE_SAVE"
)

func init() { testHooks = installTestHooks }

func installTestHooks(g *app.Global) {
	pause, hold := os.Getenv(pauseEnv), os.Getenv(holdEnv)
	if pause != "" || hold != "" {
		g.BeforeApply = func(ctx context.Context, name string) {
			switch name {
			case pause:
				fmt.Fprintf(os.Stderr, "paused before applying %s\n", name)
				select {}
			case hold:
				fmt.Fprintf(os.Stderr, "holding before applying %s\n", name)
				<-ctx.Done()
			}
		}
	}
	if os.Getenv(pauseBeforeSaveEnv) != "" {
		g.BeforeSave = func() {
			fmt.Fprintln(os.Stderr, "paused before saving")
			select {}
		}
	}
}

// More test-binary hooks, for the process tests that need a shared clock
// or a run held at a point and then let go on (twohosts_test.go):
//
//	FBCTL_TEST_CLOCK_FILE=PATH            the clock: every reading of "now" is the RFC 3339
//	                                      time in PATH (frozen until the test rewrites it);
//	                                      a missing or bad file makes the command panic
//	FBCTL_TEST_GATE_BEFORE_APPLY=TARGET   the intent is recorded, TARGET is next to be
//	                                      written: says so on stderr, reads one line from
//	                                      stdin, and goes on (the test lets it go)
const (
	clockFileEnv = "FBCTL_TEST_CLOCK_FILE"
	gateEnv      = "FBCTL_TEST_GATE_BEFORE_APPLY"
)

func init() {
	installed := testHooks
	testHooks = func(g *app.Global) {
		installed(g)
		installTestClockAndGate(g)
	}
}

func installTestClockAndGate(g *app.Global) {
	if path := os.Getenv(clockFileEnv); path != "" {
		g.Now = func() time.Time { return readTestClock(path) }
	}
	if gate := os.Getenv(gateEnv); gate != "" {
		before := g.BeforeApply
		g.BeforeApply = func(ctx context.Context, name string) {
			if name == gate {
				fmt.Fprintf(os.Stderr, "gated before applying %s\n", name)
				if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
					panic(fmt.Sprintf("gate before %s: reading stdin: %v", name, err))
				}
			}
			if before != nil {
				before(ctx, name)
			}
		}
	}
}

// readTestClock reads the test clock file. The test replaces it atomically
// (a rename), so a reader sees the old time or the new one, never half.
func readTestClock(path string) time.Time {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", clockFileEnv, err))
	}
	now, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		panic(fmt.Sprintf("%s: %v", clockFileEnv, err))
	}
	return now
}
