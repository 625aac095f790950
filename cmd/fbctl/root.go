package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fbctl/fbctl/internal/app"
)

// run builds the command tree, executes it and maps the outcome to an exit
// code. Errors cobra raises before a command runs (unknown command or flag,
// wrong arguments) are command-line errors: exit 3.
//
// With -o json (or jsonl) a failed command that printed nothing on stdout
// prints the error document (app.ErrorDoc) there: stdout is never empty.
// With --log-format json everything written to stderr is a JSON log
// record (app.LogStream), from the first line to the last.
func run(ctx context.Context, args []string, streams app.IO) app.ExitCode {
	args = terraformStyleFlags(args)
	stderr, ok := streams.ErrOut.(*app.LogStream)
	if !ok {
		stderr = app.NewLogStream(streams.ErrOut)
	}
	defer stderr.Flush()
	stdout := &countingWriter{w: streams.Out}
	streams.Out, streams.ErrOut = stdout, stderr
	output, logFormat := scanFlag(args, "o", "output"), scanFlag(args, "", "log-format")
	if strings.EqualFold(logFormat, "json") {
		// No bar redrawn in place among JSON records; the logger of
		// --log-level takes over once the flags are parsed.
		streams.ErrTerminal = false
		stderr.SetLogger(slog.New(slog.NewJSONHandler(stderr.Raw(), nil)))
	}
	root, started, g := newRootCmd(streams, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return app.ExitOK
	}
	code := app.CodeOf(err)
	var ee *app.ExitError
	if !*started && !errors.As(err, &ee) {
		code = app.ExitInvalid
	}
	msg := app.Message(err)
	if msg != "" {
		fmt.Fprintf(streams.ErrOut, "Error: %s\n", msg)
		if code == app.ExitInvalid && !*started {
			fmt.Fprintln(streams.ErrOut, "Run 'fbctl --help' for usage.")
		}
	}
	if signalled != nil && !stoppedCleanly {
		if s := signalled(); s != nil && code != app.ExitHalted {
			// The code the process exits with (Main), so that the error
			// document says it too.
			code = signalCode(s)
		}
	}
	if g.Output != "" && *started {
		output = g.Output
	}
	if (output == app.OutputJSON || output == app.OutputJSONL) && stdout.n == 0 {
		name := ""
		if cmd != nil && cmd != root {
			// "state unlock", not "unlock": the document names the
			// command as it is typed.
			name = commandPath(cmd)
		}
		_ = app.WriteErrorDoc(stdout, output, name, code, msg)
	}
	return code
}

// countingWriter counts what a command wrote on stdout.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// scanFlag finds the last value of a global string flag in the raw
// arguments (-o json, -ojson, -o=json, --output json, --output=json),
// before cobra has parsed them or when parsing fails: the format of an
// error about the command line itself.
func scanFlag(args []string, short, long string) string {
	val := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "--"+long || short != "" && a == "-"+short:
			val = next()
		case strings.HasPrefix(a, "--"+long+"="):
			val = strings.TrimPrefix(a, "--"+long+"=")
		case short != "" && strings.HasPrefix(a, "-"+short+"="):
			val = strings.TrimPrefix(a, "-"+short+"=")
		case short != "" && strings.HasPrefix(a, "-"+short) && !strings.HasPrefix(a, "--"):
			val = strings.TrimPrefix(a, "-"+short)
		}
	}
	return val
}

// singleDashFlags are the long flags that may also be spelled with one
// dash, as Terraform spells them and as the design and the help of fmt do:
// "fmt -check", "fmt -diff", "fmt -recursive", "plan -detailed-exitcode".
// pflag would read "-check" as the shorthands -c -h -e -c -k.
var singleDashFlags = map[string]string{
	"-check":             "--check",
	"-diff":              "--diff",
	"-recursive":         "--recursive",
	"-detailed-exitcode": "--detailed-exitcode",
}

// terraformStyleFlags rewrites the single-dash spellings in singleDashFlags
// to their "--" forms before cobra parses the command line. Only whole
// arguments are rewritten ("-check", not "-check=true" or "-checked"), and
// only before a "--" terminator, after which everything is an operand (so
// "fmt -- -check" still names a file called -check). The other flags keep
// pflag's rules.
func terraformStyleFlags(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if long, ok := singleDashFlags[a]; ok {
			out[i] = long
		}
	}
	return out
}

// testHooks installs the crash-test hooks; only the test binary sets it
// (testhook_test.go), so the release binary has none.
var testHooks func(*app.Global)

// processLogger makes the logger of --log-level and --log-format the
// process's slog.Default, which the standard library's log package and
// the AWS SDK write through. Only Main sets it: tests that run commands in
// one process must not race on a global.
var processLogger bool

// signalled returns the signal that interrupted the command, or nil; Main
// sets it.
var signalled func() os.Signal

func newRootCmd(streams app.IO, stderr *app.LogStream) (*cobra.Command, *bool, *app.Global) {
	g := &app.Global{}
	if testHooks != nil {
		testHooks(g)
	}
	started := false
	var actor string
	root := &cobra.Command{
		Use:   "fbctl",
		Short: "Move traffic back to a recovered primary, in health-gated steps",
		Long: `fbctl reads an HCL failback policy that names a primary and a secondary site,
the health checks that judge them and the steering points between them
(Route 53, ALB, GCP URL maps, libdns, HAProxy), and moves traffic back to the
primary in canary steps, rolling back the moment it falters.

Exit codes: 0 done, 1 error, 2 changes pending (plan --detailed-exitcode),
3 invalid policy or command line, 4 locked, 5 rolled back or primary unhealthy,
6 halted for a person to decide, 7 refused (the failback's state does not allow
the command), 8 waiting for a person (reconcile --wait).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if isCompletionRequest(cmd) {
				// The shell asks for candidates: the command line is
				// unfinished, and completion must neither fail nor print.
				return nil
			}
			if err := checkDurationFlags(cmd); err != nil {
				return err
			}
			if err := app.CheckOutput(g.Output); err != nil {
				return err
			}
			logger, err := app.NewLogger(stderr.Raw(), g.LogLevel, g.LogFormat)
			if err != nil {
				return err
			}
			g.Logger = logger
			if strings.EqualFold(g.LogFormat, "json") {
				stderr.SetLogger(logger)
			}
			if processLogger {
				slog.SetDefault(logger)
			}
			if err := g.ResolveActor(actor, cmd.Flags().Changed("actor")); err != nil {
				return err
			}
			started = true
			return nil
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return app.Invalid("%s", err)
	})

	pf := root.PersistentFlags()
	pf.StringArrayVarP(&g.Policies, "policy", "f", nil, "policy file or directory (repeatable; default ./fbctl.hcl or $FBCTL_POLICY)")
	pf.StringVarP(&g.Output, "output", "o", app.OutputText, "output format: text, json, or jsonl (JSON Lines: one object per failback or event)")
	pf.StringArrayVar(&g.Vars, "var", nil, "set a variable: NAME=VALUE (repeatable)")
	pf.StringArrayVar(&g.VarFiles, "var-file", nil, "read variables from an HCL or JSON file (repeatable)")
	// pflag takes the back-quoted word of a usage as the argument's name:
	// the help reads "--tf-outputs FILE".
	pf.StringVar(&g.TFOutputs, "tf-outputs", "", "the JSON of 'terraform output -json': a `FILE`, or - for stdin")
	pf.StringVar(&g.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&g.LogFormat, "log-format", "text", "log format on stderr: text or json")
	pf.StringVar(&actor, "actor", "", "who acts, for the history and the lock, such as \"gitlab:pipeline/123 job/456\" (default $FBCTL_ACTOR, else the OS user)")

	root.AddCommand(
		newValidateCmd(g, streams),
		newFmtCmd(g, streams),
		newVersionCmd(g, streams),
		newPlanCmd(g, streams),
		newReconcileCmd(g, streams),
		newRunCmd(g, streams),
		newShiftCmd(g, streams),
		newStatusCmd(g, streams),
		newHistoryCmd(g, streams),
		newStateCmd(g, streams),
		newDemoCmd(g, streams),
	)
	root.AddCommand(newControlCmds(g, streams)...)
	// Cobra's own completion command (bash, zsh, fish, powershell) is
	// created on first Execute; make it explicit so it is documented and
	// tested like the others.
	root.InitDefaultCompletionCmd()
	strictCompletionCmd(root)
	registerCompletions(root, g)
	return root, &started, g
}

// completionShells are the shells cobra's completion command has a
// subcommand for.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

// strictCompletionCmd makes "fbctl completion SHELL" with an unknown SHELL
// a command-line error (exit 3) naming it and the valid shells. Cobra's
// completion command is not runnable, and cobra answers any call of a
// command that is not runnable with its help and exit 0, before it checks
// the arguments. Made runnable, the command validates its arguments first;
// "fbctl completion" alone still prints the help.
func strictCompletionCmd(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			return app.Invalid("unknown shell %q for \"fbctl completion\": use one of %s", args[0], strings.Join(completionShells, ", "))
		}
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
}
