package policy_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/policy"
	"github.com/fbctl/fbctl/providers"
)

// Fixture conventions (policy/testdata/{valid,invalid}/*.hcl):
//
//	# ERROR: <summary>     an error diagnostic with exactly this summary
//	                       starts on this line
//	# WARNING: <summary>   the same for a warning
//	# DETAIL: <text>       some diagnostic starting on this line has a
//	                       Detail that contains <text>
//	# VAR: <name>=<value>  passed to the loader as --var name=value
//
// Several markers may share a line ("# ERROR: A # ERROR: B"). The
// diagnostics of a file must match its ERROR and WARNING markers exactly,
// as a multiset of (line, severity, summary): a missing diagnostic, an
// extra one, or the same one twice is a failure. Files under valid/ must
// load into a policy and may carry WARNING markers only.

// marker is one expected diagnostic.
type marker struct {
	Line     int
	Severity string // "error" or "warning"
	Summary  string
}

// fixture is what a fixture file expects.
type fixture struct {
	diags   []marker
	details map[int][]string // line -> substrings of some Detail on it
	vars    []string
}

var markerRE = regexp.MustCompile(`#\s*(ERROR|WARNING|DETAIL|VAR):\s*`)

func parseFixture(t *testing.T, src []byte) fixture {
	t.Helper()
	fx := fixture{details: map[int][]string{}}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		locs := markerRE.FindAllStringSubmatchIndex(text, -1)
		for i, loc := range locs {
			end := len(text)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			kind := text[loc[2]:loc[3]]
			arg := strings.TrimSpace(text[loc[1]:end])
			if arg == "" {
				t.Fatalf("line %d: empty %s marker", line, kind)
			}
			switch kind {
			case "ERROR":
				fx.diags = append(fx.diags, marker{line, "error", arg})
			case "WARNING":
				fx.diags = append(fx.diags, marker{line, "warning", arg})
			case "DETAIL":
				fx.details[line] = append(fx.details[line], arg)
			case "VAR":
				fx.vars = append(fx.vars, arg)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return fx
}

func sortMarkers(ms []marker) {
	sort.Slice(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		return a.Summary < b.Summary
	})
}

// noEnv keeps the real environment out of the loader: no FBCTL_VAR_x, no
// env() values.
func noEnv(string) (string, bool) { return "", false }

func loadFixture(t *testing.T, path string, mode policy.Mode, vars []string) (*policy.Policy, hcl.Diagnostics) {
	t.Helper()
	p, diags, _ := loadFixtureWith(path, mode, vars)
	return p, diags
}

func loadFixtureWith(path string, mode policy.Mode, vars []string) (*policy.Policy, hcl.Diagnostics, *policy.Loader) {
	l := policy.NewLoader(policy.Options{
		Registry:  kinds.Registry(),
		Mode:      mode,
		Vars:      vars,
		LookupEnv: noEnv,
	})
	p, diags := l.Load(path)
	return p, diags, l
}

func describeDiags(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		where := "(no subject)"
		if d.Subject != nil {
			where = fmt.Sprintf("%s:%d,%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		fmt.Fprintf(&b, "\t%s %s: %s: %s\n", where, sev, d.Summary, d.Detail)
	}
	return b.String()
}

// checkFixture loads one fixture file alone and compares its diagnostics
// with its markers. It returns the policy (nil when there were errors).
func checkFixture(t *testing.T, path string) *policy.Policy {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fx := parseFixture(t, src)
	p, diags, l := loadFixtureWith(path, policy.ModeValidate, fx.vars)

	var got []marker
	for _, d := range diags {
		if d.Summary == "" {
			t.Errorf("diagnostic without a summary: %#v", d)
		}
		if d.Detail == "" {
			t.Errorf("diagnostic %q has no detail", d.Summary)
		}
		if d.Subject == nil {
			t.Errorf("diagnostic %q has no subject", d.Summary)
			continue
		}
		if d.Subject.Filename != path {
			t.Errorf("diagnostic %q is in %q, want %q", d.Summary, d.Subject.Filename, path)
		}
		if d.Subject.Start.Line < 1 || d.Subject.End.Byte < d.Subject.Start.Byte || d.Subject.End.Byte > len(src) {
			t.Errorf("diagnostic %q has a bad range %#v", d.Summary, *d.Subject)
		}
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		got = append(got, marker{d.Subject.Start.Line, sev, d.Summary})
	}
	want := append([]marker(nil), fx.diags...)
	sortMarkers(got)
	sortMarkers(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics differ from the markers (-want +got):\n%s\nall diagnostics:\n%s", diff, describeDiags(diags))
	}

	for line, subs := range fx.details {
		for _, sub := range subs {
			found := false
			for _, d := range diags {
				if d.Subject != nil && d.Subject.Start.Line == line && strings.Contains(d.Detail, sub) {
					found = true
				}
			}
			if !found {
				t.Errorf("line %d: no diagnostic whose detail contains %q; all diagnostics:\n%s", line, sub, describeDiags(diags))
			}
		}
	}

	if diags.HasErrors() != (p == nil) {
		t.Errorf("policy returned: %v, errors: %v; a policy must come back exactly when there are no errors", p != nil, diags.HasErrors())
	}
	// Every diagnostic renders, as text and as JSON, without trouble.
	var buf bytes.Buffer
	if err := policy.WriteText(&buf, diags, l.Files(), 0, false); err != nil {
		t.Errorf("WriteText: %v", err)
	}
	for _, jd := range policy.JSONDiagnostics(diags, l.Files()) {
		if jd.Range == nil || jd.Snippet == nil {
			t.Errorf("JSON diagnostic %q has no range or snippet", jd.Summary)
		}
	}
	return p
}

func fixtureFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestInvalidFixtures(t *testing.T) {
	files := fixtureFiles(t, "invalid")
	if len(files) < 45 {
		t.Fatalf("only %d invalid fixtures; want at least 45", len(files))
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".hcl"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fx := parseFixture(t, src)
			hasError := false
			for _, m := range fx.diags {
				hasError = hasError || m.Severity == "error"
			}
			if !hasError {
				t.Fatal("an invalid fixture needs at least one # ERROR: marker")
			}
			if p := checkFixture(t, path); p != nil {
				t.Error("an invalid fixture loaded into a policy")
			}
		})
	}
}

func TestValidFixtures(t *testing.T) {
	files := fixtureFiles(t, "valid")
	if len(files) < 8 {
		t.Fatalf("only %d valid fixtures; want at least 8", len(files))
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".hcl"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range parseFixture(t, src).diags {
				if m.Severity == "error" {
					t.Fatalf("line %d: a valid fixture cannot expect an error", m.Line)
				}
			}
			if p := checkFixture(t, path); p == nil {
				t.Error("no policy came back")
			}
		})
	}
}

// TestMarkerParsing pins the marker conventions the fixtures rely on.
func TestMarkerParsing(t *testing.T) {
	src := []byte(`# VAR: a=b=c
x = 1 # ERROR: First # ERROR: Second
y = 2   #   WARNING:   Spaced out   
z = 3 # ERROR: Unknown thing # DETAIL: Did you mean "zz"?
`)
	fx := parseFixture(t, src)
	want := []marker{
		{2, "error", "First"},
		{2, "error", "Second"},
		{3, "warning", "Spaced out"},
		{4, "error", "Unknown thing"},
	}
	if diff := cmp.Diff(want, fx.diags); diff != "" {
		t.Errorf("markers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int][]string{4: {`Did you mean "zz"?`}}, fx.details); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a=b=c"}, fx.vars); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
}

// loadValid loads a valid fixture and fails the test on any error.
func loadValid(t *testing.T, name string) *policy.Policy {
	t.Helper()
	path := filepath.Join("testdata", "valid", name)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, diags := loadFixture(t, path, policy.ModeValidate, parseFixture(t, src).vars)
	if diags.HasErrors() || p == nil {
		t.Fatalf("loading %s:\n%s", path, describeDiags(diags))
	}
	return p
}

func shares(pcts ...int) []providers.Share {
	out := make([]providers.Share, len(pcts))
	for i, p := range pcts {
		out[i] = providers.Share(p)
	}
	return out
}

// TestValidFixtureValues asserts what valid fixtures decode to: steps in
// basis points, durations, defaults and provider resolution.
func TestValidFixtureValues(t *testing.T) {
	type checkWant struct {
		name                                 string
		of                                   policy.Side
		interval, timeout                    time.Duration
		healthyThreshold, unhealthyThreshold int
		samples                              int
		provider                             string // address, "" for none
	}
	type targetWant struct {
		name, kind, provider string
	}
	tests := []struct {
		file, failback string
		primary        string
		secondary      string
		rollout        policy.Rollout
		checks         []checkWant
		targets        []targetWant
	}{
		{
			file: "minimal_defaults.hcl", failback: "web",
			primary: "dc1", secondary: "dc2",
			rollout: policy.Rollout{
				Steps: shares(500, 1000, 2500, 5000, 10000), Bake: 10 * time.Minute,
				PrimaryHealthyFor: 15 * time.Minute, OnUnhealthy: "rollback", Cooldown: 30 * time.Minute,
				OnDrift: "halt", Approval: "none",
			},
			checks:  []checkWant{{"up", policy.Primary, 30 * time.Second, 5 * time.Second, 3, 2, 1, ""}},
			targets: []targetWant{{"lb", "haproxy_backend", ""}},
		},
		{
			file: "design_example.hcl", failback: "checkout",
			primary: "aws-use1", secondary: "gcp-usc1",
			rollout: policy.Rollout{
				Steps: shares(500, 1000, 2500, 5000, 10000), Bake: 10 * time.Minute,
				PrimaryHealthyFor: 15 * time.Minute, OnUnhealthy: "rollback", Cooldown: 30 * time.Minute,
				OnDrift: "halt", Approval: "none",
			},
			checks: []checkWant{
				{"aws-healthz", policy.Primary, 10 * time.Second, 2 * time.Second, 3, 2, 1, ""},
				{"gcp-healthz", policy.Secondary, 30 * time.Second, 5 * time.Second, 3, 2, 1, ""},
			},
			targets: []targetWant{{"dns", "route53_weighted", "aws.prod"}, {"edge", "alb_forward", "aws.prod"}},
		},
		{
			file: "fractional_steps.hcl", failback: "api",
			primary: "blue", secondary: "green",
			rollout: policy.Rollout{
				Steps: shares(1, 50, 1234, 3333, 9999, 10000), Bake: 90 * time.Minute,
				PrimaryHealthyFor: 90 * time.Second, OnUnhealthy: "step_back", Cooldown: 2 * time.Hour,
				OnDrift: "correct", Approval: "every_step",
			},
			checks: []checkWant{
				{"ping", policy.Primary, time.Minute, 10 * time.Second, 5, 4, 3, ""},
				{"standby", policy.Secondary, 30 * time.Second, 5 * time.Second, 3, 2, 1, ""},
			},
			targets: []targetWant{{"lb", "haproxy_backend", ""}},
		},
		{
			file: "multi_provider.hcl", failback: "shop",
			primary: "aws", secondary: "gcp",
			rollout: policy.Rollout{
				Steps: shares(2500, 5000, 10000), Bake: 20 * time.Minute,
				PrimaryHealthyFor: 15 * time.Minute, OnUnhealthy: "hold", Cooldown: 30 * time.Minute,
				OnDrift: "adopt", Approval: "first_step",
			},
			checks: []checkWant{
				{"east-tg", policy.Primary, 30 * time.Second, 5 * time.Second, 3, 2, 1, "aws.east"},
				{"gcp-backends", policy.Secondary, 30 * time.Second, 5 * time.Second, 3, 2, 1, "gcp.prod"},
			},
			targets: []targetWant{
				{"dns", "route53_weighted", "aws.west"},
				{"edge", "alb_forward", "aws.east"},
				{"gclb", "gcp_url_map", "gcp.prod"},
			},
		},
		{
			file: "implicit_provider.hcl", failback: "billing",
			primary: "dc1", secondary: "dr",
			rollout: policy.Rollout{
				Steps: shares(2500, 5000, 10000), Bake: 5 * time.Minute,
				PrimaryHealthyFor: 15 * time.Minute, OnUnhealthy: "rollback", Cooldown: 30 * time.Minute,
				OnDrift: "halt", Approval: "none",
			},
			checks:  []checkWant{{"db", policy.Primary, 30 * time.Second, 5 * time.Second, 3, 2, 1, ""}},
			targets: []targetWant{{"www", "dns_rrset", "libdns.onprem"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := loadValid(t, tt.file)
			fb := p.Failback(tt.failback)
			if fb == nil {
				t.Fatalf("no failback %q", tt.failback)
			}
			if fb.PrimaryName != tt.primary || fb.SecondaryName != tt.secondary {
				t.Errorf("sides = %q/%q, want %q/%q", fb.PrimaryName, fb.SecondaryName, tt.primary, tt.secondary)
			}
			if diff := cmp.Diff(tt.rollout, fb.Rollout); diff != "" {
				t.Errorf("rollout (-want +got):\n%s", diff)
			}
			var checks []checkWant
			for _, c := range fb.Checks {
				cw := checkWant{c.Name, c.Of, c.Interval, c.Timeout, c.HealthyThreshold, c.UnhealthyThreshold, c.Samples, ""}
				if c.Provider != nil {
					cw.provider = c.Provider.Addr()
					if p.Providers[cw.provider] != c.Provider {
						t.Errorf("check %q: provider is not the policy's %s", c.Name, cw.provider)
					}
				}
				checks = append(checks, cw)
			}
			if diff := cmp.Diff(tt.checks, checks, cmp.AllowUnexported(checkWant{})); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
			var targets []targetWant
			for _, tg := range fb.Targets {
				tw := targetWant{tg.Name, tg.Kind, ""}
				if tg.Provider != nil {
					tw.provider = tg.Provider.Addr()
					if p.Providers[tw.provider] != tg.Provider {
						t.Errorf("target %q: provider is not the policy's %s", tg.Name, tw.provider)
					}
				}
				targets = append(targets, tw)
			}
			if diff := cmp.Diff(tt.targets, targets, cmp.AllowUnexported(targetWant{})); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
		})
	}
}

// attr returns the (unmarked) attribute of a decoded config.
func attr(t *testing.T, cfg cty.Value, name string) cty.Value {
	t.Helper()
	if !cfg.Type().IsObjectType() || !cfg.Type().HasAttribute(name) {
		t.Fatalf("config has no attribute %q: %#v", name, cfg)
	}
	v, _ := cfg.GetAttr(name).UnmarkDeep()
	return v
}

func TestValidFixtureConfigs(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		p := loadValid(t, "minimal_defaults.hcl")
		if p.State == nil || p.State.Type != "file" || p.State.Path != filepath.Join("testdata", "valid", policy.DefaultStatePath) {
			t.Errorf("state = %#v, want the file store next to the policy", p.State)
		}
		lb := p.Failback("web").Targets[0]
		if got := attr(t, lb.Config, "max_weight"); !got.RawEquals(cty.NumberIntVal(256)) {
			t.Errorf("max_weight = %#v, want the default 256", got)
		}
	})
	t.Run("design example", func(t *testing.T) {
		p := loadValid(t, "design_example.hcl")
		fb := p.Failback("checkout")
		dns := fb.Targets[0]
		if got := attr(t, dns.Config, "zone_id"); !got.RawEquals(cty.StringVal("Z0123456789ABC")) {
			t.Errorf("zone_id = %#v, want the --var value", got)
		}
		if got := attr(t, dns.Config, "zone"); !got.IsNull() {
			t.Errorf("zone = %#v, want null", got)
		}
		// tf.* is unknown in ModeValidate without outputs.
		edge := fb.Targets[1]
		if got := attr(t, edge.Config, "listener_arn"); got.IsKnown() {
			t.Errorf("listener_arn = %#v, want unknown", got)
		}
		// The libdns config holds a sensitive variable: the whole map is
		// sensitive (the attribute is a secret).
		lib := p.Providers["libdns.onprem"]
		if lib == nil || !policy.IsSensitive(lib.Config.GetAttr("config")) {
			t.Errorf("libdns config is not sensitive: %#v", lib)
		}
		if v := p.Variables["tsig_key"]; v == nil || !v.Sensitive || !policy.IsSensitive(v.Value) {
			t.Errorf("tsig_key is not sensitive: %#v", v)
		}
		if got := attr(t, p.Providers["gcp.prod"].Config, "project"); !got.RawEquals(cty.StringVal("acme-prod")) {
			t.Errorf("gcp project = %#v", got)
		}
		if got := attr(t, p.Providers["aws.prod"].Config, "requests_per_second"); !got.RawEquals(cty.NumberIntVal(10)) {
			t.Errorf("requests_per_second = %#v, want the default 10", got)
		}
	})
	t.Run("all kinds", func(t *testing.T) {
		// Every registered kind appears in all_kinds.hcl exactly once, so a
		// new kind's schema is exercised as soon as it is registered.
		p := loadValid(t, "all_kinds.hcl")
		fb := p.Failback("everything")
		reg := kinds.Registry()
		var checks, targets []string
		for _, c := range fb.Checks {
			checks = append(checks, c.Kind)
		}
		for _, tg := range fb.Targets {
			targets = append(targets, tg.Kind)
		}
		sort.Strings(checks)
		sort.Strings(targets)
		if diff := cmp.Diff(reg.KindNames(providers.ClassCheck), checks); diff != "" {
			t.Errorf("check kinds (-registered +used):\n%s", diff)
		}
		if diff := cmp.Diff(reg.KindNames(providers.ClassTarget), targets); diff != "" {
			t.Errorf("target kinds (-registered +used):\n%s", diff)
		}
		for _, tg := range fb.Targets {
			if tg.Provider == nil && tg.Kind != "haproxy_backend" {
				t.Errorf("target %q has no provider", tg.Name)
			}
		}
		if got := attr(t, p.Providers["aws.prod"].Config, "endpoint_url"); !got.RawEquals(cty.StringVal("http://127.0.0.1:5000")) {
			t.Errorf("endpoint_url = %#v", got)
		}
	})
	t.Run("functions", func(t *testing.T) {
		p := loadValid(t, "functions.hcl")
		fb := p.Failback("fn")
		checks := map[string]*policy.Check{}
		for _, c := range fb.Checks {
			checks[c.Name] = c
		}
		if got := attr(t, checks["formatted"].Config, "url"); !got.RawEquals(cty.StringVal("https://eu-west-1.api.example.com:8443/healthz")) {
			t.Errorf("format/lower url = %#v", got)
		}
		if got := attr(t, checks["formatted"].Config, "method"); !got.RawEquals(cty.StringVal("HEAD")) {
			t.Errorf("upper method = %#v", got)
		}
		if got := attr(t, checks["from-json"].Config, "expect_status"); !got.RawEquals(cty.ListVal([]cty.Value{cty.NumberIntVal(200), cty.NumberIntVal(204)})) {
			t.Errorf("jsondecode expect_status = %#v", got)
		}
		if got := attr(t, checks["from-file"].Config, "body_regex"); !got.RawEquals(cty.StringVal("^ok$")) {
			t.Errorf("file() body_regex = %#v", got)
		}
		if !policy.IsSensitive(checks["secret-header"].Config.GetAttr("headers")) {
			t.Error("sensitive() did not mark the headers")
		}
		if got := attr(t, checks["env-url"].Config, "url"); got.IsKnown() {
			t.Errorf("env() in ModeValidate = %#v, want unknown", got)
		}
		lb := fb.Targets[0]
		if got := attr(t, lb.Config, "primary"); !got.RawEquals(cty.ListVal([]cty.Value{cty.StringVal("a-1"), cty.StringVal("a-2"), cty.StringVal("a-3")})) {
			t.Errorf("concat/replace primary = %#v", got)
		}
		if got := attr(t, lb.Config, "max_weight"); !got.RawEquals(cty.NumberIntVal(3)) {
			t.Errorf("length max_weight = %#v", got)
		}
	})
	t.Run("typed variables", func(t *testing.T) {
		p := loadValid(t, "typed_variables.hcl")
		if got := p.Variables["weights"].Type; !got.Equals(cty.Map(cty.Number)) {
			t.Errorf("weights type = %#v", got)
		}
		lb := p.Failback("typed").Targets[0]
		if got := attr(t, lb.Config, "secondary"); !got.RawEquals(cty.ListVal([]cty.Value{cty.StringVal("s1"), cty.StringVal("s2")})) {
			t.Errorf("secondary from list(string) = %#v", got)
		}
		if got := attr(t, lb.Config, "max_weight"); !got.RawEquals(cty.NumberIntVal(128)) {
			t.Errorf("max_weight from map(number) = %#v", got)
		}
		if got := attr(t, lb.Config, "runtime_api"); !got.RawEquals(cty.StringVal("10.0.0.5:9999")) {
			t.Errorf("runtime_api from object = %#v", got)
		}
		if got := p.Failback("typed").Rollout.Steps; !cmp.Equal(got, shares(2000, 10000)) {
			t.Errorf("steps from list(number) = %v", got)
		}
	})
}
