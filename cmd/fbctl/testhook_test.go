package main

import (
	"fmt"
	"os"

	"github.com/fbctl/fbctl/internal/app"
)

// Crash-test hooks. They live in a _test.go file, so only the test binary
// (which testscript re-executes as "fbctl") has them: the release binary
// reads none of these variables. Each names a point where a run says so on
// stderr and then stops for good, so that a test can SIGKILL it exactly
// there:
//
//	FBCTL_TEST_PAUSE_BEFORE_APPLY=TARGET  the intent is recorded, TARGET is next to be written
//	FBCTL_TEST_PAUSE_BEFORE_SAVE=1        every target is written (or, for pause and approve,
//	                                      the change is made), the state is not saved yet
const (
	pauseEnv           = "FBCTL_TEST_PAUSE_BEFORE_APPLY"
	pauseBeforeSaveEnv = "FBCTL_TEST_PAUSE_BEFORE_SAVE"
)

func init() { testHooks = installTestHooks }

func installTestHooks(g *app.Global) {
	if target := os.Getenv(pauseEnv); target != "" {
		g.BeforeApply = func(name string) {
			if name != target {
				return
			}
			fmt.Fprintf(os.Stderr, "paused before applying %s\n", name)
			select {}
		}
	}
	if os.Getenv(pauseBeforeSaveEnv) != "" {
		g.BeforeSave = func() {
			fmt.Fprintln(os.Stderr, "paused before saving")
			select {}
		}
	}
}
