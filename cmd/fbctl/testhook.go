package main

import (
	"fmt"
	"os"

	"github.com/fbctl/fbctl/internal/app"
)

// pauseEnv names a test-only hook: when set to a target's name, a run that
// is about to apply that target (its intent already recorded) says so on
// stderr and stops there for good, so a crash test can SIGKILL it at that
// exact point. Nothing else reads it.
const pauseEnv = "FBCTL_TEST_PAUSE_BEFORE_APPLY"

func installTestHooks(g *app.Global) {
	target := os.Getenv(pauseEnv)
	if target == "" {
		return
	}
	g.BeforeApply = func(name string) {
		if name != target {
			return
		}
		fmt.Fprintf(os.Stderr, "paused before applying %s\n", name)
		select {}
	}
}
