package policy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/safeio"
	"github.com/fbctl/fbctl/providers"
)

// Mode says what the policy is loaded for.
type Mode int

const (
	// ModeValidate checks everything that can be checked without the
	// run-time inputs: env(), missing Terraform outputs and variables
	// without a value are unknown.
	ModeValidate Mode = iota
	// ModeRun needs every value: a missing Terraform output or environment
	// variable is an error that names it.
	ModeRun
	// ModeState is for the commands that read or write only fbctl's own
	// state (status, history, pause, approve): they talk to no provider, so
	// they must not need a provider's secrets. Values that are not given
	// (variables, Terraform outputs, unset environment variables) are
	// unknown, as in ModeValidate; what the state needs (the state path)
	// must resolve, and a rollout whose steps are unknown says so
	// (Rollout.StepsUnknown).
	ModeState
)

// lenient says whether values that are not given are unknown rather than
// errors.
func (m Mode) lenient() bool { return m != ModeRun }

// Options configure a Loader.
type Options struct {
	// Registry holds the kinds and provider types the policy may use.
	Registry *providers.Registry
	Mode     Mode
	// Vars are NAME=VALUE assignments from --var, in order; later wins.
	Vars []string
	// VarFiles are --var-file paths (HCL, or JSON when named *.json).
	VarFiles []string
	// TFOutputs are the parsed outputs of `terraform output -json` (see
	// ParseTFOutputs), or nil when none were given.
	TFOutputs map[string]cty.Value
	// TFOutputsSource names where TFOutputs came from, for messages.
	TFOutputsSource string
	// LookupEnv reads environment variables, for FBCTL_VAR_name and env().
	// nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// VarEnvPrefix prefixes environment variables that set policy variables.
const VarEnvPrefix = "FBCTL_VAR_"

// Input size limits. Each input is read through its limit (never trusting
// the size a file reports, which is 0 for a /proc file) and refused when
// larger, so an endless or huge input fails at once instead of exhausting
// memory. They are far above any real file: the largest policies are tens
// of KiB.
const (
	// MaxPolicyFileSize bounds each policy file (-f, or a *.hcl file in an
	// -f directory).
	MaxPolicyFileSize = 4 << 20
	// MaxVarFileSize bounds each --var-file.
	MaxVarFileSize = 4 << 20
)

// Source is one policy file's name and content.
type Source struct {
	Filename string
	Bytes    []byte
}

// Loader loads policies. A Loader is for one load; its files stay
// available afterwards for rendering diagnostics with source snippets.
type Loader struct {
	opts Options
	// parser holds the policy files, whose source Files hands out for
	// snippets in diagnostics.
	parser *hclparse.Parser
	// varParser holds the --var-file files, apart from parser so that no
	// snippet of them is ever printed: their lines may hold secrets.
	varParser *hclparse.Parser
	secrets   secretSet

	vars      map[string]*Variable
	providers map[string]*Provider
	// badProviders holds the addresses of provider blocks whose type is
	// unknown: already reported, so references to them are not.
	badProviders map[string]bool
	// masks holds, per policy file, the ranges of literals that are
	// sensitive (a sensitive variable's default, the argument of
	// sensitive(), a sensitive attribute): Files hands out copies of the
	// files with those bytes masked, so no snippet shows them.
	masks    map[string][]hcl.Range
	fileCtx  map[string]*hcl.EvalContext
	rootCtx  *hcl.EvalContext
	firstDir string
	// schedule is the policy's schedule, once decoded, for the checks'
	// warnings.
	schedule time.Duration
	// unknownSettings collects the engine settings of the block being
	// decoded whose values are not known (see noteUnknown).
	unknownSettings []string
	sourceDirs      map[string]string
}

// NewLoader returns a loader with the given options.
func NewLoader(opts Options) *Loader {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Registry == nil {
		opts.Registry = providers.NewRegistry()
	}
	return &Loader{
		opts:       opts,
		parser:     hclparse.NewParser(),
		varParser:  hclparse.NewParser(),
		fileCtx:    map[string]*hcl.EvalContext{},
		masks:      map[string][]hcl.Range{},
		sourceDirs: map[string]string{},
	}
}

// Files returns every policy file the loader parsed, by name, for the
// source snippets of diagnostics. Variable files are not among them: their
// diagnostics name the place but never show the source, which may hold
// secrets. In the files returned, every sensitive literal (a sensitive
// variable's default, the argument of sensitive(), the value of a sensitive
// attribute) is masked with '*', byte for byte, so ranges stay valid.
func (l *Loader) Files() map[string]*hcl.File {
	out := map[string]*hcl.File{}
	for name, f := range l.parser.Files() {
		ranges := l.masks[name]
		if len(ranges) == 0 || f == nil {
			out[name] = f
			continue
		}
		masked := bytes.Clone(f.Bytes)
		for _, r := range ranges {
			for i := max(r.Start.Byte, 0); i < min(r.End.Byte, len(masked)); i++ {
				if masked[i] != '\n' && masked[i] != '\r' {
					masked[i] = '*'
				}
			}
		}
		cp := *f
		cp.Bytes = masked
		out[name] = &cp
	}
	return out
}

// mask records the literals inside expr as sensitive source text.
func (l *Loader) mask(expr hcl.Expression) {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return
	}
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		if lit, ok := n.(*hclsyntax.LiteralValueExpr); ok {
			r := lit.Range()
			l.masks[r.Filename] = append(l.masks[r.Filename], r)
		}
		return nil
	})
}

// maskSensitiveCalls masks the literal arguments of every sensitive() call
// in body, wherever it appears, whether or not it is ever evaluated.
func (l *Loader) maskSensitiveCalls(body hcl.Body) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return
	}
	hclsyntax.VisitAll(sb, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok && call.Name == "sensitive" {
			for _, arg := range call.Args {
				l.mask(arg)
			}
		}
		return nil
	})
}

// Redact replaces every sensitive value the loader has seen in s with
// "(sensitive value)". It is the last line of defence for text that may
// have picked up such a value, such as an error message from a function.
func (l *Loader) Redact(s string) string { return l.secrets.redact(s) }

// Variable files in a policy directory are named *.fbvars.hcl (or .json),
// as Terraform names its *.tfvars, so that the directory's *.hcl glob does
// not take them for policy files. The *.auto.fbvars.* ones are loaded with
// the directory, as Terraform loads *.auto.tfvars; the others need
// --var-file.
const (
	varFileSuffix  = ".fbvars.hcl"
	autoVarSuffix  = ".auto.fbvars.hcl"
	autoJSONSuffix = ".auto.fbvars.json"
)

// ExpandPaths turns the -f arguments into the policy files to read: a file
// stands for itself, a directory for every *.hcl file directly in it, in
// name order, except variable files (*.fbvars.hcl). Duplicates are
// dropped.
func ExpandPaths(paths []string) ([]string, hcl.Diagnostics) {
	files, _, diags := expandPaths(paths)
	return files, diags
}

// expandPaths is ExpandPaths that also returns the variable files the
// directories load automatically (*.auto.fbvars.hcl, *.auto.fbvars.json),
// in name order per directory.
func expandPaths(paths []string) (files, autoVars []string, diags hcl.Diagnostics) {
	seen := map[string]bool{}
	add := func(list *[]string, p string) {
		key := filepath.Clean(p)
		if !seen[key] {
			seen[key] = true
			*list = append(*list, p)
		}
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Policy file not found",
				Detail:   fmt.Sprintf("Cannot read %s: %s.", p, unwrapPathError(err)),
			})
			continue
		}
		if !fi.IsDir() {
			add(&files, p)
			continue
		}
		matches, _ := filepath.Glob(filepath.Join(p, "*.hcl"))
		sort.Strings(matches)
		n := 0
		for _, m := range matches {
			if strings.HasSuffix(m, varFileSuffix) {
				continue
			}
			add(&files, m)
			n++
		}
		if n == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No policy files",
				Detail:   fmt.Sprintf("The directory %s holds no policy files (*.hcl other than *%s).", p, varFileSuffix),
			})
		}
		auto, _ := filepath.Glob(filepath.Join(p, "*"+autoVarSuffix))
		autoJSON, _ := filepath.Glob(filepath.Join(p, "*"+autoJSONSuffix))
		auto = append(auto, autoJSON...)
		sort.Strings(auto)
		for _, m := range auto {
			add(&autoVars, m)
		}
	}
	return files, autoVars, diags
}

func unwrapPathError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// readError says why an input could not be read, without its path (the
// caller names it) and, for one over its limit, which limit: what is an
// input of what.
func readError(err error, what string) string {
	msg := unwrapPathError(err)
	if errors.Is(err, safeio.ErrTooLarge) {
		msg += ", the limit for a " + what
	}
	return msg
}

// Load reads the policy files and directories in paths (see ExpandPaths)
// and returns the validated policy.
func (l *Loader) Load(paths ...string) (*Policy, hcl.Diagnostics) {
	files, autoVars, diags := expandPaths(paths)
	if diags.HasErrors() {
		return nil, diags
	}
	// Below every --var-file, as Terraform's *.auto.tfvars.
	l.opts.VarFiles = append(autoVars, l.opts.VarFiles...)
	var srcs []Source
	for _, f := range files {
		b, err := safeio.ReadFile(f, MaxPolicyFileSize)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read policy file",
				Detail:   fmt.Sprintf("Cannot read %s: %s.", f, readError(err, "policy file")),
			})
			continue
		}
		srcs = append(srcs, Source{Filename: f, Bytes: b})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	p, more := l.LoadSources(srcs...)
	return p, append(diags, more...)
}

// LoadSources is Load for policy files already in memory.
func (l *Loader) LoadSources(srcs ...Source) (*Policy, hcl.Diagnostics) {
	p, diags := l.load(srcs)
	for _, d := range diags {
		d.Summary = l.secrets.redact(d.Summary)
		d.Detail = l.secrets.redact(d.Detail)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return p, diags
}

func (l *Loader) load(srcs []Source) (*Policy, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if len(srcs) == 0 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No policy files",
			Detail:   "No policy file was given.",
		}}
	}
	var bodies []hcl.Body
	for i, src := range srcs {
		if d := bareCR(src); d != nil {
			diags = append(diags, d)
			continue
		}
		f, d := l.parser.ParseHCL(src.Bytes, src.Filename)
		diags = append(diags, d...)
		dir := filepath.Dir(src.Filename)
		l.sourceDirs[src.Filename] = dir
		if i == 0 {
			l.firstDir = dir
		}
		if f != nil && f.Body != nil {
			l.maskSensitiveCalls(f.Body)
			if sb, ok := f.Body.(*hclsyntax.Body); ok && looksLikeVarFile(sb) != "" {
				// A variable file among the policy files: its values may
				// be secrets, and it is shown only to say what it is.
				for _, a := range sb.Attributes {
					l.mask(a.Expr)
				}
			}
			bodies = append(bodies, f.Body)
		}
	}
	if diags.HasErrors() {
		// Syntax errors make every later message a guess.
		return nil, diags
	}

	top := &topLevel{}
	for _, body := range bodies {
		diags = append(diags, top.collect(body)...)
	}

	p := &Policy{Providers: map[string]*Provider{}}
	diags = append(diags, l.resolveVariables(top.variables)...)
	p.Variables = l.vars
	l.buildContext()

	diags = append(diags, l.decodeProviders(top.providers)...)
	p.Providers = l.providers

	st, d := l.decodeState(top.states)
	diags = append(diags, d...)
	p.State = st

	p.Schedule, d = l.decodeSchedule(top.schedules)
	diags = append(diags, d...)
	l.schedule = p.Schedule
	p.ScheduleUnknown = len(l.unknownSettings) > 0
	l.unknownSettings = nil

	p.Notify, d = l.decodeNotifies(top.notifies)
	diags = append(diags, d...)

	seen := map[string]*hcl.Block{}
	for _, b := range top.failbacks {
		name := b.Labels[0]
		if prev, dup := seen[name]; dup {
			diags = append(diags, duplicate("failback", name, b.LabelRanges[0], prev.DefRange))
			continue
		}
		seen[name] = b
		fb, d := l.decodeFailback(b)
		diags = append(diags, d...)
		if fb != nil {
			fb.UnknownSettings = l.unknownSettings
			p.Failbacks = append(p.Failbacks, fb)
		}
		l.unknownSettings = nil
	}
	diags = append(diags, l.overlaps(p.Failbacks)...)
	if len(top.failbacks) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "No failbacks",
			Detail:   "The policy declares no failback block, so fbctl has nothing to do.",
			Subject:  rangePtr(hcl.Range{Filename: srcs[0].Filename, Start: hcl.InitialPos, End: hcl.InitialPos}),
		})
	}
	return p, diags
}

// bareCR reports a carriage return not followed by a line feed. HCL ends
// lines at LF only, so a file saved with CR-only line endings would be one
// line: every message about it would point at line 1, and its snippet would
// be the whole file. The diagnostic points at the physical line and shows no
// source.
func bareCR(src Source) *hcl.Diagnostic {
	b := src.Bytes
	i := bytes.IndexByte(b, '\r')
	for i >= 0 && i+1 < len(b) && b[i+1] == '\n' {
		j := bytes.IndexByte(b[i+1:], '\r')
		if j < 0 {
			return nil
		}
		i += 1 + j
	}
	if i < 0 {
		return nil
	}
	line := 1 + bytes.Count(b[:i], []byte("\n")) + bytes.Count(b[:i], []byte("\r")) - bytes.Count(b[:i], []byte("\r\n"))
	col := i - bytes.LastIndexAny(b[:i], "\r\n")
	pos := hcl.Pos{Line: line, Column: col, Byte: i}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Unsupported line ending",
		Detail: fmt.Sprintf("%s has a carriage return without a line feed at line %d: fbctl reads policy files with LF or CRLF line endings. Convert the file, e.g. with `tr '\\r' '\\n'`.",
			src.Filename, line),
		Subject: &hcl.Range{Filename: src.Filename, Start: pos, End: pos},
	}
}

func duplicate(what, name string, at, first hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s", what),
		Detail:   fmt.Sprintf("A %s named %q was already declared at %s. Names must be unique.", what, name, shortRange(first)),
		Subject:  rangePtr(at),
	}
}

func shortRange(r hcl.Range) string {
	return fmt.Sprintf("%s:%d,%d", r.Filename, r.Start.Line, r.Start.Column)
}

func rangePtr(r hcl.Range) *hcl.Range { return &r }

// didYouMean returns ` Did you mean "x"?` for the closest candidate, or "".
func didYouMean(given string, candidates []string) string {
	if s := nameSuggestion(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
