package main

import (
	"context"
	"fmt"
	"os"

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
