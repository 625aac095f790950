package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fbctl/fbctl/internal/app"
	"github.com/fbctl/fbctl/internal/state"
)

// isCompletionRequest reports whether cmd is cobra's hidden command that
// answers the shell's completion scripts ("fbctl __complete ...").
func isCompletionRequest(cmd *cobra.Command) bool {
	n := cmd.Name()
	return n == cobra.ShellCompRequestCmd || n == cobra.ShellCompNoDescRequestCmd
}

// failbackArgs is how many failback names each command that takes them
// accepts, by its path under fbctl ("state show"); 0 means any number.
// TestFailbackCommandsComplete keeps it in step with the commands whose
// usage names a FAILBACK.
var failbackArgs = map[string]int{
	"plan": 0, "reconcile": 0, "status": 0, "history": 0,
	"shift": 1, "pause": 1, "resume": 1, "abort": 1, "approve": 1,
	"state show": 1, "state unlock": 1,
}

// commandPath is c's path under the root: "state show", "plan".
func commandPath(c *cobra.Command) string {
	if !c.HasParent() {
		return ""
	}
	if p := commandPath(c.Parent()); p != "" {
		return p + " " + c.Name()
	}
	return c.Name()
}

// allCommands returns the commands under c, depth first.
func allCommands(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		out = append(out, sub)
		out = append(out, allCommands(sub)...)
	}
	return out
}

// registerCompletions teaches cobra's completion the failback names of the
// policy and the values of the flags that take a fixed set.
func registerCompletions(root *cobra.Command, g *app.Global) {
	for _, c := range allCommands(root) {
		if n, ok := failbackArgs[commandPath(c)]; ok {
			c.ValidArgsFunction = completeFailbacks(g, n)
		}
		if c.Name() == "history" {
			mustRegister(c, "type", fixedValues(state.EventTypes...))
		}
	}
	mustRegister(root, "output", fixedValues(app.OutputText, app.OutputJSON))
	mustRegister(root, "log-level", fixedValues("debug", "info", "warn", "error"))
	mustRegister(root, "log-format", fixedValues("text", "json"))
	// The shells offer directories too, since -f takes one.
	_ = root.MarkPersistentFlagFilename("policy", "hcl")
	_ = root.MarkPersistentFlagFilename("var-file", "hcl", "json")
	_ = root.MarkPersistentFlagFilename("tf-outputs", "json")
}

func mustRegister(c *cobra.Command, flag string, f cobra.CompletionFunc) {
	if err := c.RegisterFlagCompletionFunc(flag, f); err != nil {
		// Only a misspelt flag gets here: a programming error.
		panic(err)
	}
}

// fixedValues completes a flag that takes one of values.
func fixedValues(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, v := range values {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeFailbacks completes the names of the policy's failbacks that
// are not on the command line yet, for a command that takes up to most of
// them (0: any number). Cobra has parsed the flags typed so far into g, so
// -f and --var steer which policy is read. A policy that does not load
// completes nothing, quietly: the shell shows no errors.
func completeFailbacks(g *app.Global, most int) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if most > 0 && len(args) >= most {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, n := range app.FailbackNames(*g) {
			if strings.HasPrefix(n, toComplete) && !slices.Contains(args, n) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
