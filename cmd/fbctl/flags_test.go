package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fbctl/fbctl/internal/app"
)

// runIn runs fbctl in this process with stdin in (nil for none) and
// returns its exit code and stderr.
func runIn(t *testing.T, in io.Reader, args ...string) (app.ExitCode, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, app.IO{In: in, Out: &out, ErrOut: &errOut})
	return code, errOut.String()
}

// commandPaths returns every command of the tree under c, c included.
func commandPaths(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		out = append(out, commandPaths(sub)...)
	}
	return out
}

// TestDurationFlagsRefuseNegative enumerates every command and every
// duration flag it has, its own or inherited, so that a duration flag added
// later is covered without a new test: a negative value is exit 3 naming the
// flag; 0 too, unless the flag documents 0 in its help and allows it.
func TestDurationFlagsRefuseNegative(t *testing.T) {
	root, _, _ := newRootCmd(app.IO{Out: io.Discard, ErrOut: io.Discard}, app.NewLogStream(io.Discard))
	// A policy path that does not exist: a value that passes the check
	// ends in "Policy file not found", never in a run.
	nopolicy := filepath.Join(t.TempDir(), "none.hcl")
	seen := 0
	for _, c := range commandPaths(root) {
		var durations []*pflag.Flag
		visit := func(f *pflag.Flag) {
			if f.Value.Type() == "duration" {
				durations = append(durations, f)
			}
		}
		c.LocalFlags().VisitAll(visit)
		c.InheritedFlags().VisitAll(visit)
		path := strings.Fields(c.CommandPath())[1:]
		// A command that needs an argument gets one: cobra checks the
		// arguments before any flag is looked at.
		if c.Args != nil && c.Args(c, nil) != nil {
			path = append(path, "web")
		}
		for _, f := range durations {
			seen++
			zero := f.Annotations[zeroMeans]
			name := strings.Join(path, " ") + " --" + f.Name
			t.Run(name, func(t *testing.T) {
				args := append(append([]string{}, path...), "-f", nopolicy)
				if c.Name() == "shift" {
					args = append(args, "--percent", "10")
				}
				for _, v := range []string{"-1s", "-5m", "-1ns"} {
					code, stderr := runIn(t, nil, append(args, "--"+f.Name, v)...)
					if code != app.ExitInvalid || !strings.Contains(stderr, "--"+f.Name+" must be") {
						t.Errorf("--%s %s: exit %d, stderr %q; want exit 3 naming --%s", f.Name, v, code, stderr, f.Name)
					}
				}
				code, stderr := runIn(t, nil, append(args, "--"+f.Name+"=0")...)
				passed := !strings.Contains(stderr, "--"+f.Name+" must be")
				switch {
				case len(zero) == 0 && (code != app.ExitInvalid || passed):
					t.Errorf("--%s=0: exit %d, stderr %q; want exit 3 naming --%s", f.Name, code, stderr, f.Name)
				case len(zero) > 0 && !passed:
					t.Errorf("--%s=0, documented as %q: refused: %q", f.Name, zero[0], stderr)
				case len(zero) > 0 && !strings.Contains(f.Usage, "0: "+zero[0]) && !strings.Contains(f.Usage, "(0: "+zero[0]):
					t.Errorf("--%s allows 0 (%s), but its help %q does not say so", f.Name, zero[0], f.Usage)
				}
				// A positive value passes, and the command goes on to find no
				// policy.
				if code, stderr := runIn(t, nil, append(args, "--"+f.Name, "1s")...); !strings.Contains(stderr, "Policy file not found") {
					t.Errorf("--%s 1s: exit %d, refused: %q", f.Name, code, stderr)
				}
			})
		}
	}
	// The commands that have them today: plan and reconcile --schedule,
	// reconcile --timeout, the lock and compensate flags of the commands
	// that write. Fewer means the walk above missed some.
	if seen < 20 {
		t.Errorf("found only %d duration flags", seen)
	}
}

// TestPercentIsPlainDecimal: --percent takes digits, an optional fraction
// and an optional "%"; ParseFloat's other spellings are refused.
func TestPercentIsPlainDecimal(t *testing.T) {
	nopolicy := filepath.Join(t.TempDir(), "none.hcl")
	for _, v := range []string{"0x1p-2", "0x10", "1e1", "1E1", "NaN", "nan", "Inf", "+Inf", "-5", "+5", "", " ", "25%%", "%", "1_0", ".5", "5.", "٣"} {
		code, stderr := runIn(t, nil, "shift", "web", "-f", nopolicy, "--percent", v)
		if code != app.ExitInvalid || !strings.Contains(stderr, fmt.Sprintf("invalid --percent %q", v)) {
			t.Errorf("--percent %q: exit %d, stderr %q; want exit 3, invalid --percent", v, code, stderr)
		}
	}
	for _, v := range []string{"25%", "12.5", "0", "100", "100.00", "007"} {
		code, stderr := runIn(t, nil, "shift", "web", "-f", nopolicy, "--percent", v)
		if strings.Contains(stderr, "--percent") || !strings.Contains(stderr, "Policy file not found") {
			t.Errorf("--percent %q: exit %d, stderr %q; want it accepted (and then no policy)", v, code, stderr)
		}
	}
	for v, why := range map[string]string{"150": "outside 0-100", "12.345": "more than two decimals"} {
		if code, stderr := runIn(t, nil, "shift", "web", "-f", nopolicy, "--percent", v); code != app.ExitInvalid || !strings.Contains(stderr, why) {
			t.Errorf("--percent %q: exit %d, stderr %q; want %q", v, code, stderr, why)
		}
	}
}
