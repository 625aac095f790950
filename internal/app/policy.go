package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/internal/safeio"
	"github.com/fbctl/fbctl/policy"
	"github.com/fbctl/fbctl/providers"
)

// DefaultPolicyPath is read when neither -f nor FBCTL_POLICY says otherwise.
const DefaultPolicyPath = "fbctl.hcl"

// PolicyEnv names the environment variable that replaces the default policy
// path (a path list separated like PATH is not supported: one file or
// directory).
const PolicyEnv = "FBCTL_POLICY"

// MaxTFOutputsSize bounds --tf-outputs, a file or stdin: larger than a
// policy file's limit because `terraform output -json` of a big root module
// carries every output, but still a bound, so `--tf-outputs /dev/zero` or an
// endless pipe fails at once instead of exhausting memory.
const MaxTFOutputsSize = 16 << 20

// Global are the options every command shares.
type Global struct {
	Policies  []string
	Output    string
	Vars      []string
	VarFiles  []string
	TFOutputs string // a file, "-" for stdin, or "" for none
	LogLevel  string
	LogFormat string
	// Actor is who the events and the lock name (--actor, FBCTL_ACTOR or
	// the OS user; see ResolveActor).
	Actor string
	// LookupEnv reads the environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Registry overrides the built-in kinds, for tests.
	Registry *providers.Registry
	// Logger receives logs; nil discards them.
	Logger *slog.Logger

	// Now and Sleep replace the clock, for tests; nil means real time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// ScheduleGap is the deprecated --schedule: zero unless given. The
	// policy's schedule is what counts; the flag is accepted only when it
	// agrees with it (see scheduleOf).
	ScheduleGap time.Duration
	// BeforeApply and BeforeSave are the engine's crash-test hooks (see
	// engine.Options); only tests set them.
	BeforeApply func(ctx context.Context, target string)
	BeforeSave  func()
	// CompensateTimeout bounds putting targets back after a failed write
	// (--compensate-timeout); zero for the engine's default.
	CompensateTimeout time.Duration
	// LockTTL is how long a run's lock lasts (--lock-lease); zero for
	// the engine's default. LockWait is how long to wait for a lock another
	// run holds (--lock-wait); zero fails at once.
	LockWait time.Duration
	LockTTL  time.Duration
	// Propagate waits for changes to propagate (--wait).
	Propagate bool
}

func (g *Global) logger() *slog.Logger {
	if g.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return g.Logger
}

func (g *Global) lookupEnv(k string) (string, bool) {
	if g.LookupEnv != nil {
		return g.LookupEnv(k)
	}
	return os.LookupEnv(k)
}

// PolicyPaths returns -f, else FBCTL_POLICY, else ./fbctl.hcl.
func (g *Global) PolicyPaths() []string {
	if len(g.Policies) > 0 {
		return g.Policies
	}
	if p, ok := g.lookupEnv(PolicyEnv); ok && p != "" {
		return []string{p}
	}
	return []string{DefaultPolicyPath}
}

// loaded is a policy load's outcome: the policy (nil on errors), every
// diagnostic, and the loader that knows the files and the secrets.
type loaded struct {
	policy *policy.Policy
	diags  hcl.Diagnostics
	loader *policy.Loader
}

// loadPolicy reads the Terraform outputs (if any) and the policy files.
func (g *Global) loadPolicy(streams IO, mode policy.Mode) loaded {
	reg := g.Registry
	if reg == nil {
		reg = kinds.Registry()
	}
	opts := policy.Options{
		Registry:  reg,
		Mode:      mode,
		Vars:      g.Vars,
		VarFiles:  g.VarFiles,
		LookupEnv: g.LookupEnv,
	}
	if g.TFOutputs != "" {
		var data []byte
		var err error
		source := g.TFOutputs
		if g.TFOutputs == "-" {
			source = "stdin"
			if streams.In == nil {
				err = fmt.Errorf("no standard input")
			} else {
				data, err = safeio.ReadAll(streams.In, MaxTFOutputsSize)
			}
		} else {
			data, err = safeio.ReadFile(g.TFOutputs, MaxTFOutputsSize)
		}
		if err != nil {
			why := unwrapPathErr(err)
			if errors.Is(err, safeio.ErrTooLarge) {
				why += ", the limit for Terraform outputs"
			}
			return loaded{loader: policy.NewLoader(opts), diags: hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Cannot read Terraform outputs",
				Detail:   fmt.Sprintf("--tf-outputs %s: %s.", source, why),
			}}}
		}
		outs, diags := policy.ParseTFOutputs(source, data)
		if diags.HasErrors() {
			return loaded{loader: policy.NewLoader(opts), diags: diags}
		}
		opts.TFOutputs = outs
		opts.TFOutputsSource = source
	}
	log := g.logger()
	log.Debug("loading policy", "paths", g.PolicyPaths(), "vars", len(g.Vars), "var_files", g.VarFiles, "tf_outputs", opts.TFOutputsSource)
	l := policy.NewLoader(opts)
	p, diags := l.Load(g.PolicyPaths()...)
	for _, d := range diags {
		// Diagnostics are already redacted; Redact again because logs
		// leave the machine more often than terminals do.
		attrs := []any{"summary", l.Redact(d.Summary), "detail", l.Redact(d.Detail)}
		if d.Subject != nil {
			attrs = append(attrs, "at", d.Subject.String())
		}
		log.Debug("diagnostic", attrs...)
	}
	if p != nil {
		log.Debug("policy loaded", "failbacks", len(p.Failbacks), "state", stateLocation(p.State))
	}
	return loaded{policy: p, diags: diags, loader: l}
}

func unwrapPathErr(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// printDiagnostics writes diagnostics for people to ErrOut, or, with
// --log-format json, logs each as one record (its summary, detail and
// place) rather than as the lines of a source snippet.
func printDiagnostics(g *Global, streams IO, diags hcl.Diagnostics, files map[string]*hcl.File) {
	if len(diags) == 0 {
		return
	}
	if g.logJSON() {
		for _, d := range policy.JSONDiagnostics(diags, files) {
			level := slog.LevelError
			if d.Severity != "error" {
				level = slog.LevelWarn
			}
			attrs := []slog.Attr{slog.String("detail", d.Detail)}
			if d.Range != nil {
				attrs = append(attrs, slog.String("file", d.Range.Filename),
					slog.Int("line", d.Range.Start.Line), slog.Int("column", d.Range.Start.Column))
			}
			g.logger().LogAttrs(context.Background(), level, d.Summary, attrs...)
		}
		return
	}
	_ = policy.WriteText(streams.ErrOut, diags, files, streams.Width, streams.ErrTerminal)
}

// diagnosticsDoc is the JSON document of a command that only reports
// diagnostics (a policy that failed to load, a fmt of a broken file).
type diagnosticsDoc struct {
	FormatVersion string              `json:"format_version"`
	Valid         bool                `json:"valid"`
	ErrorCount    int                 `json:"error_count"`
	WarningCount  int                 `json:"warning_count"`
	Diagnostics   []policy.Diagnostic `json:"diagnostics"`
}

func newDiagnosticsDoc(diags hcl.Diagnostics, files map[string]*hcl.File) diagnosticsDoc {
	d := diagnosticsDoc{
		FormatVersion: FormatVersion,
		Valid:         !diags.HasErrors(),
		Diagnostics:   policy.JSONDiagnostics(diags, files),
	}
	for _, x := range diags {
		if x.Severity == hcl.DiagError {
			d.ErrorCount++
		} else {
			d.WarningCount++
		}
	}
	return d
}

// scheduleOf returns the time between scheduled runs that every command
// judges evidence by: the policy's top-level schedule. The deprecated
// --schedule is accepted for one release only when it says the same, with
// a warning; one that disagrees, or one without a schedule in the policy,
// is a command-line error, since a cadence that depends on who typed the
// command is what made hand-run commands break cron's streaks.
func (g *Global) scheduleOf(streams IO, p *policy.Policy) (time.Duration, error) {
	flag := g.ScheduleGap
	switch {
	case flag == 0:
		return p.Schedule, nil
	case p.Schedule == 0:
		return 0, Invalid("--schedule is replaced by the policy's schedule: add `schedule = %q` at the top level of the policy, so that every command on every machine judges evidence alike, and drop the flag", flag.String())
	case flag != p.Schedule:
		return 0, Invalid("--schedule %s disagrees with the policy's schedule = %q: the policy's schedule applies to every command; drop the flag", flag, p.Schedule.String())
	}
	fmt.Fprintf(streams.ErrOut, "Warning: --schedule is deprecated and will be removed: the policy's schedule (%s) applies to every command; drop the flag.\n", p.Schedule)
	return p.Schedule, nil
}
