package main

import (
	"io"
	"strings"
	"testing"

	"github.com/fbctl/fbctl/internal/app"
)

// TestFailbackCommandsComplete keeps failbackArgs in step with the
// commands: every command whose usage takes a FAILBACK completes names,
// with the right count, and failbackArgs names no command that is gone.
func TestFailbackCommandsComplete(t *testing.T) {
	root, _, _ := newRootCmd(app.IO{}, app.NewLogStream(io.Discard))
	seen := map[string]bool{}
	for _, c := range allCommands(root) {
		path := commandPath(c)
		takes := strings.Contains(c.Use, "FAILBACK")
		n, listed := failbackArgs[path]
		seen[path] = listed
		switch {
		case takes && c.ValidArgsFunction == nil:
			t.Errorf("%s takes a FAILBACK (%q) but does not complete failback names: add it to failbackArgs", path, c.Use)
		case !takes && listed:
			t.Errorf("%s is in failbackArgs but its usage %q takes no FAILBACK", path, c.Use)
		case takes && n == 0 && !strings.Contains(c.Use, "..."):
			t.Errorf("%s takes one FAILBACK (%q) but failbackArgs says any number", path, c.Use)
		case takes && n != 0 && strings.Contains(c.Use, "..."):
			t.Errorf("%s takes several FAILBACKs (%q) but failbackArgs says %d", path, c.Use, n)
		}
	}
	for name := range failbackArgs {
		if _, ok := seen[name]; !ok {
			t.Errorf("failbackArgs names %q, which is not a command", name)
		}
	}
}
