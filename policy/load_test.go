package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/policy"
)

// writeFiles writes name -> content under dir (creating subdirectories)
// and returns dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// envMap is a LookupEnv over a fixed map.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func newLoader(opts policy.Options) *policy.Loader {
	opts.Registry = kinds.Registry()
	if opts.LookupEnv == nil {
		opts.LookupEnv = noEnv
	}
	return policy.NewLoader(opts)
}

// failbackHCL is a valid failback whose haproxy target's backend and
// check's address are the given expressions.
func failbackHCL(name, backend, address string) string {
	return `
failback "` + name + `" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = ` + address + `
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = ` + backend + `
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
`
}

// summaries lists "severity: summary" of each diagnostic, in order.
func summaries(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		out = append(out, sev+": "+d.Summary)
	}
	return out
}

func mustLoad(t *testing.T, l *policy.Loader, paths ...string) *policy.Policy {
	t.Helper()
	p, diags := l.Load(paths...)
	if diags.HasErrors() || p == nil {
		t.Fatalf("load failed:\n%s", describeDiags(diags))
	}
	return p
}

// backendOf returns the backend of failback name's first target.
func backendOf(t *testing.T, p *policy.Policy, name string) cty.Value {
	t.Helper()
	fb := p.Failback(name)
	if fb == nil {
		t.Fatalf("no failback %q", name)
	}
	return attr(t, fb.Targets[0].Config, "backend")
}

func TestLoadDirectory(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{
		// Declarations in one file, used from others: one namespace.
		"a_shared.hcl": `
variable "backend" {
  default = "web"
}
provider "libdns" "dns" {
  driver = "cloudflare"
  config = { api_token = "not-a-real-token" }
}
state "file" {
  path = "state"
}
`,
		"b_web.hcl": failbackHCL("web", "var.backend", `"dc1.example.com:443"`),
		// Check and target names are scoped to their failback.
		"c_api.hcl": failbackHCL("api", `"api"`, `"dc1.example.com:443"`),
		// Not policy files: ignored.
		"notes.txt":      "not HCL at all {",
		"fbctl.hcl.bak":  "nor this {",
		"sub/other.hcl":  "nor a file in a subdirectory {",
		"vars.tfvars":    `backend = "x"`,
		"d_dns_only.hcl": `# only a comment`,
	})
	l := newLoader(policy.Options{})
	p := mustLoad(t, l, dir)

	var names []string
	for _, fb := range p.Failbacks {
		names = append(names, fb.Name)
	}
	if diff := cmp.Diff([]string{"web", "api"}, names); diff != "" {
		t.Errorf("failbacks in file order (-want +got):\n%s", diff)
	}
	if got := backendOf(t, p, "web"); !got.RawEquals(cty.StringVal("web")) {
		t.Errorf("var from another file: backend = %#v", got)
	}
	if p.Providers["libdns.dns"] == nil {
		t.Errorf("providers = %v", p.Providers)
	}
	if want := filepath.Join(dir, "state"); p.State.Path != want {
		t.Errorf("state path = %q, want %q (relative to the declaring file)", p.State.Path, want)
	}
	var files []string
	for f := range l.Files() {
		files = append(files, filepath.Base(f))
	}
	if diff := cmp.Diff([]string{"a_shared.hcl", "b_web.hcl", "c_api.hcl", "d_dns_only.hcl"}, files,
		cmp.Transformer("sort", func(s []string) []string {
			out := append([]string(nil), s...)
			for i := range out {
				for j := i + 1; j < len(out); j++ {
					if out[j] < out[i] {
						out[i], out[j] = out[j], out[i]
					}
				}
			}
			return out
		})); diff != "" {
		t.Errorf("files read (-want +got):\n%s", diff)
	}
}

func TestExpandPaths(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"b.hcl":       "",
		"a.hcl":       "",
		"c.txt":       "",
		"empty/.keep": "",
	})
	got, diags := policy.ExpandPaths([]string{dir, filepath.Join(dir, "a.hcl"), filepath.Join(dir, "c.txt")})
	if diags.HasErrors() {
		t.Fatal(describeDiags(diags))
	}
	want := []string{filepath.Join(dir, "a.hcl"), filepath.Join(dir, "b.hcl"), filepath.Join(dir, "c.txt")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ExpandPaths: sorted, duplicates dropped, a named file kept whatever its name (-want +got):\n%s", diff)
	}

	_, diags = policy.ExpandPaths([]string{filepath.Join(dir, "missing.hcl"), filepath.Join(dir, "empty")})
	if diff := cmp.Diff([]string{"error: Policy file not found", "error: No policy files"}, summaries(diags)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, d := range diags {
		if d.Detail == "" {
			t.Errorf("%q has no detail", d.Summary)
		}
	}

	p, diags := newLoader(policy.Options{}).Load(filepath.Join(dir, "missing.hcl"))
	if p != nil || !diags.HasErrors() {
		t.Errorf("Load of a missing file: %v, %v", p, diags)
	}
	p, diags = newLoader(policy.Options{}).LoadSources()
	if p != nil || cmp.Diff([]string{"error: No policy files"}, summaries(diags)) != "" {
		t.Errorf("LoadSources(): %v, %s", p, describeDiags(diags))
	}
}

func TestLoadSeveralFilesDuplicates(t *testing.T) {
	tests := []struct {
		name    string
		second  string
		summary string
		line    int // in second.hcl
	}{
		{"failback", failbackHCL("web", `"other"`, `"x:1"`), "Duplicate failback", 2},
		{"variable", "variable \"v\" {\n  default = 2\n}\n", "Duplicate variable", 1},
		{"provider", "\nprovider \"aws\" \"prod\" {\n}\n", "Duplicate provider", 2},
		{"state", "state \"file\" {}\n", "Duplicate state block", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, t.TempDir(), map[string]string{
				"first.hcl": "\n" + strings.TrimPrefix(failbackHCL("web", `"web"`, `"x:1"`), "\n") +
					"variable \"v\" {\n  default = 1\n}\nprovider \"aws\" \"prod\" {\n}\nstate \"file\" {}\n",
				"second.hcl": tt.second,
			})
			first, second := filepath.Join(dir, "first.hcl"), filepath.Join(dir, "second.hcl")
			p, diags := newLoader(policy.Options{}).Load(first, second)
			if p != nil {
				t.Error("a policy came back")
			}
			if diff := cmp.Diff([]string{"error: " + tt.summary}, summaries(diags)); diff != "" {
				t.Fatalf("(-want +got):\n%s\n%s", diff, describeDiags(diags))
			}
			d := diags[0]
			if d.Subject == nil || d.Subject.Filename != second || d.Subject.Start.Line != tt.line {
				t.Errorf("subject = %#v, want %s line %d", d.Subject, second, tt.line)
			}
			if !strings.Contains(d.Detail, first+":") {
				t.Errorf("detail %q does not name the first declaration in %s", d.Detail, first)
			}
		})
	}

	t.Run("failback location", func(t *testing.T) {
		dir := writeFiles(t, t.TempDir(), map[string]string{
			"a.hcl": failbackHCL("web", `"a"`, `"x:1"`),
			"b.hcl": "\n\n" + failbackHCL("web", `"b"`, `"x:1"`),
		})
		_, diags := newLoader(policy.Options{}).Load(dir)
		if len(diags) != 1 {
			t.Fatalf("want one diagnostic:\n%s", describeDiags(diags))
		}
		want := filepath.Join(dir, "a.hcl") + ":2,1"
		if !strings.Contains(diags[0].Detail, want) {
			t.Errorf("detail %q does not contain %q", diags[0].Detail, want)
		}
		if s := diags[0].Subject; s.Filename != filepath.Join(dir, "b.hcl") || s.Start.Line != 4 || s.Start.Column != 10 {
			t.Errorf("subject = %#v, want b.hcl:4,10 (the name label)", s)
		}
	})
}

// TestFileFunctionRelative: file() resolves against the directory of the
// policy file that calls it, whatever the working directory.
func TestFileFunctionRelative(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"one/policy.hcl":       failbackHCL("one", `trimspace(file("backend.txt"))`, `"x:1"`),
		"one/backend.txt":      "from-one\n",
		"two/policy.hcl":       failbackHCL("two", `trimspace(file("data/backend.txt"))`, `"x:1"`),
		"two/data/backend.txt": "from-two\n",
	})
	p := mustLoad(t, newLoader(policy.Options{}), filepath.Join(dir, "one"), filepath.Join(dir, "two", "policy.hcl"))
	if got := backendOf(t, p, "one"); !got.RawEquals(cty.StringVal("from-one")) {
		t.Errorf("one: %#v", got)
	}
	if got := backendOf(t, p, "two"); !got.RawEquals(cty.StringVal("from-two")) {
		t.Errorf("two: %#v", got)
	}
}

func TestVariablePrecedence(t *testing.T) {
	// The value reaches the target through a socket path: values such as
	// "a=b" are no HAProxy backend name, which the kind refuses.
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"policy.hcl": `
variable "backend" {
  type    = string
  default = "from-default"
}
` + strings.Replace(failbackHCL("web", `"web"`, `"x:1"`), `"/run/haproxy/admin.sock"`, `"/run/${var.backend}"`, 1),
		"file.hcl":      `backend = "from-hcl-file"`,
		"file.json":     `{"backend": "from-json-file"}`,
		"later.hcl":     `backend = "from-later-file"`,
		"other_var.hcl": `region = "us-east-1"`,
	})
	file := func(n string) string { return filepath.Join(dir, n) }
	env := map[string]string{"FBCTL_VAR_backend": "from-env"}
	tests := []struct {
		name     string
		env      map[string]string
		varFiles []string
		vars     []string
		want     string
	}{
		{"default", nil, nil, nil, "from-default"},
		{"env over default", env, nil, nil, "from-env"},
		{"hcl file over env", env, []string{file("file.hcl")}, nil, "from-hcl-file"},
		{"json file over env", env, []string{file("file.json")}, nil, "from-json-file"},
		{"later file over earlier", env, []string{file("file.hcl"), file("later.hcl")}, nil, "from-later-file"},
		{"file without it keeps env", env, []string{file("other_var.hcl")}, nil, "from-env"},
		{"--var over file and env", env, []string{file("file.json")}, []string{"backend=from-flag"}, "from-flag"},
		{"--var over default", nil, nil, []string{"backend=from-flag"}, "from-flag"},
		{"later --var wins", nil, nil, []string{"backend=first", "backend=second"}, "second"},
		{"--var value with =", nil, nil, []string{"backend=a=b"}, "a=b"},
		{"--var empty value", nil, nil, []string{"backend="}, ""},
		{"other env vars ignored", map[string]string{"FBCTL_VAR_BACKEND": "wrong-case", "backend": "no-prefix"}, nil, nil, "from-default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLoader(policy.Options{Vars: tt.vars, VarFiles: tt.varFiles, LookupEnv: envMap(tt.env)})
			p, diags := l.Load(file("policy.hcl"))
			if p == nil {
				t.Fatal(describeDiags(diags))
			}
			if got := p.Variables["backend"].Value; !got.RawEquals(cty.StringVal(tt.want)) {
				t.Errorf("var.backend = %#v, want %q", got, tt.want)
			}
			if got := attr(t, p.Failback("web").Targets[0].Config, "runtime_api"); !got.RawEquals(cty.StringVal("/run/" + tt.want)) {
				t.Errorf("runtime_api = %#v, want %q", got, "/run/"+tt.want)
			}
		})
	}
}

func TestVariableErrors(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"policy.hcl": `
variable "backend" {
  type    = string
  default = "web"
}
variable "weight" {
  type    = number
  default = 10
}
variable "members" {
  type    = list(string)
  default = ["dc1-a"]
}
` + failbackHCL("web", "var.backend", `"x:1"`),
		"undeclared.hcl":  "backend = \"x\"\nbakend  = \"y\"\n",
		"undeclared.json": "{\n  \"backend\": \"x\",\n  \"bakend\": \"y\"\n}\n",
		"mistyped.hcl":    "weight = \"heavy\"\n",
		"broken.hcl":      "weight = = 1\n",
	})
	file := func(n string) string { return filepath.Join(dir, n) }
	tests := []struct {
		name     string
		env      map[string]string
		varFiles []string
		vars     []string
		want     []string
		// detail, when set, must be in the first diagnostic's detail.
		detail string
		// subjectFile, when set, is the first diagnostic's subject file.
		subjectFile string
		subjectLine int
	}{
		{name: "--var undeclared", vars: []string{"bakend=x"},
			want: []string{"error: Value for undeclared variable"}, detail: `Did you mean "backend"?`},
		{name: "--var without =", vars: []string{"backend"},
			want: []string{"error: Invalid --var option"}},
		{name: "var-file undeclared (hcl)", varFiles: []string{file("undeclared.hcl")},
			want: []string{"warning: Value for undeclared variable"}, detail: `Did you mean "backend"?`,
			subjectFile: file("undeclared.hcl"), subjectLine: 2},
		{name: "var-file undeclared (json)", varFiles: []string{file("undeclared.json")},
			want:        []string{"warning: Value for undeclared variable"},
			subjectFile: file("undeclared.json"), subjectLine: 3},
		{name: "var-file missing", varFiles: []string{file("nope.hcl")},
			want: []string{"error: Cannot read variable file"}},
		{name: "var-file syntax error", varFiles: []string{file("broken.hcl")},
			want: []string{"error: Invalid expression"}, subjectFile: file("broken.hcl"), subjectLine: 1},
		{name: "var-file wrong type", varFiles: []string{file("mistyped.hcl")},
			want: []string{"error: Invalid value for variable"}, subjectFile: file("mistyped.hcl"), subjectLine: 1},
		{name: "--var number not a number", vars: []string{"weight=heavy"},
			want: []string{"error: Invalid value for variable"}, detail: "var.weight"},
		{name: "--var list not a list", vars: []string{"members=dc1-a"},
			want: []string{"error: Invalid value for variable"}, detail: "var.members"},
		{name: "--var list of the wrong element type", vars: []string{`members=[["a"]]`},
			want: []string{"error: Invalid value for variable"}, detail: "list(string)"},
		{name: "--var list with a reference", vars: []string{"members=[var.backend]"},
			want: []string{"error: Invalid value for variable"}, detail: "literal"},
		{name: "env number not a number", env: map[string]string{"FBCTL_VAR_weight": "1 +"},
			want: []string{"error: Invalid value for variable"}, detail: "FBCTL_VAR_weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLoader(policy.Options{Vars: tt.vars, VarFiles: tt.varFiles, LookupEnv: envMap(tt.env)})
			p, diags := l.Load(file("policy.hcl"))
			if diff := cmp.Diff(tt.want, summaries(diags)); diff != "" {
				t.Fatalf("(-want +got):\n%s\n%s", diff, describeDiags(diags))
			}
			if diags.HasErrors() == (p != nil) {
				t.Errorf("policy %v with errors %v", p != nil, diags.HasErrors())
			}
			d := diags[0]
			if d.Detail == "" {
				t.Errorf("no detail")
			}
			if tt.detail != "" && !strings.Contains(d.Detail, tt.detail) {
				t.Errorf("detail %q does not contain %q", d.Detail, tt.detail)
			}
			if tt.subjectFile != "" {
				if d.Subject == nil || d.Subject.Filename != tt.subjectFile || d.Subject.Start.Line != tt.subjectLine {
					t.Errorf("subject = %#v, want %s:%d", d.Subject, tt.subjectFile, tt.subjectLine)
				}
			}
		})
	}
}

// TestVariableTypes: values from --var and FBCTL_VAR_x are parsed as HCL
// expressions for non-string types and taken literally for strings.
func TestVariableTypes(t *testing.T) {
	src := `
variable "weight" {
  type = number
}
variable "members" {
  type = list(string)
}
variable "labels" {
  type    = map(string)
  default = {}
}
variable "raw" {
  type = string
}
variable "any" {
  default = "d"
}
failback "web" {
  primary   = "dc1"
  secondary = "dc2"
  check "tcp" "up" {
    address = "x:1"
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/${var.raw}.sock"
    backend     = "web"
    primary     = var.members
    secondary   = ["dc2-a"]
    max_weight  = var.weight
  }
}
`
	l := newLoader(policy.Options{
		Vars: []string{"weight=12", `members=["dc1-a", "dc1-b"]`, `raw=["not", "a", "list"]`, `labels={team = "web"}`, "any=[1]"},
	})
	p, diags := l.LoadSources(policy.Source{Filename: "policy.hcl", Bytes: []byte(src)})
	if p == nil {
		t.Fatal(describeDiags(diags))
	}
	want := map[string]cty.Value{
		"weight":  cty.NumberIntVal(12),
		"members": cty.ListVal([]cty.Value{cty.StringVal("dc1-a"), cty.StringVal("dc1-b")}),
		"labels":  cty.MapVal(map[string]cty.Value{"team": cty.StringVal("web")}),
		"raw":     cty.StringVal(`["not", "a", "list"]`),
		"any":     cty.StringVal("[1]"), // no type: taken literally, as Terraform does
	}
	for n, w := range want {
		if got := p.Variables[n].Value; !got.RawEquals(w) {
			t.Errorf("var.%s = %#v, want %#v", n, got, w)
		}
	}
	lb := p.Failback("web").Targets[0]
	if got := attr(t, lb.Config, "max_weight"); !got.RawEquals(cty.NumberIntVal(12)) {
		t.Errorf("max_weight = %#v", got)
	}

	// The same through the environment.
	l = newLoader(policy.Options{LookupEnv: envMap(map[string]string{
		"FBCTL_VAR_weight":  "7",
		"FBCTL_VAR_members": `["e1"]`,
		"FBCTL_VAR_raw":     "r",
	})})
	p, diags = l.LoadSources(policy.Source{Filename: "policy.hcl", Bytes: []byte(src)})
	if p == nil {
		t.Fatal(describeDiags(diags))
	}
	if got := p.Variables["weight"].Value; !got.RawEquals(cty.NumberIntVal(7)) {
		t.Errorf("env weight = %#v", got)
	}
	if got := p.Variables["members"].Value; !got.RawEquals(cty.ListVal([]cty.Value{cty.StringVal("e1")})) {
		t.Errorf("env members = %#v", got)
	}

	// A required variable without a value is named, once per variable.
	_, diags = newLoader(policy.Options{Mode: policy.ModeRun, Vars: []string{"raw=r"}}).LoadSources(policy.Source{Filename: "policy.hcl", Bytes: []byte(src)})
	if diff := cmp.Diff([]string{"error: No value for required variable", "error: No value for required variable"}, summaries(diags)); diff != "" {
		t.Fatalf("(-want +got):\n%s\n%s", diff, describeDiags(diags))
	}
	for i, name := range []string{"members", "weight"} {
		if !strings.Contains(diags[i].Detail, `"`+name+`"`) {
			t.Errorf("diagnostic %d does not name %s: %q", i, name, diags[i].Detail)
		}
	}
}

// A sample of `terraform output -json`, byte for byte as Terraform 1.x
// prints it.
const tfOutputsJSON = `{
  "aws_tg_arn": {
    "sensitive": false,
    "type": "string",
    "value": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/aws/0123456789abcdef"
  },
  "db_password": {
    "sensitive": true,
    "type": "string",
    "value": "hunter2-tf-secret"
  },
  "gcp_tg_arns": {
    "sensitive": false,
    "type": [
      "list",
      "string"
    ],
    "value": [
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gcp-a/0123456789abcdef",
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gcp-b/0123456789abcdef"
    ]
  },
  "listener_arn": {
    "sensitive": false,
    "type": "string",
    "value": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef"
  },
  "ports": {
    "sensitive": false,
    "type": [
      "tuple",
      [
        "number",
        "number"
      ]
    ],
    "value": [
      80,
      443
    ]
  },
  "tags": {
    "sensitive": false,
    "type": [
      "object",
      {
        "team": "string"
      }
    ],
    "value": {
      "team": "web"
    }
  }
}
`

func TestParseTFOutputs(t *testing.T) {
	outs, diags := policy.ParseTFOutputs("outputs.json", []byte(tfOutputsJSON))
	if diags.HasErrors() {
		t.Fatal(describeDiags(diags))
	}
	want := map[string]cty.Value{
		"aws_tg_arn":  cty.StringVal("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/aws/0123456789abcdef"),
		"db_password": cty.StringVal("hunter2-tf-secret").Mark(policy.Sensitive),
		"gcp_tg_arns": cty.ListVal([]cty.Value{
			cty.StringVal("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gcp-a/0123456789abcdef"),
			cty.StringVal("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gcp-b/0123456789abcdef"),
		}),
		"listener_arn": cty.StringVal("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef"),
		"ports":        cty.TupleVal([]cty.Value{cty.NumberIntVal(80), cty.NumberIntVal(443)}),
		"tags":         cty.ObjectVal(map[string]cty.Value{"team": cty.StringVal("web")}),
	}
	if len(outs) != len(want) {
		t.Errorf("got %d outputs, want %d", len(outs), len(want))
	}
	for n, w := range want {
		if got, ok := outs[n]; !ok || !got.RawEquals(w) {
			t.Errorf("%s = %#v, want %#v", n, got, w)
		}
	}
	if !policy.IsSensitive(outs["db_password"]) || policy.IsSensitive(outs["listener_arn"]) {
		t.Error("only the sensitive output is marked")
	}

	// The example shipped with fbctl parses too.
	if b, err := os.ReadFile("../examples/terraform/outputs.json"); err == nil {
		if _, diags := policy.ParseTFOutputs("outputs.json", b); diags.HasErrors() {
			t.Errorf("examples/terraform/outputs.json: %s", describeDiags(diags))
		}
	}

	empty, diags := policy.ParseTFOutputs("empty.json", []byte("{}\n"))
	if diags.HasErrors() || empty == nil || len(empty) != 0 {
		t.Errorf("{}: %v %s", empty, describeDiags(diags))
	}

	bad := map[string]string{
		"not JSON":            `{"a": {`,
		"not an object":       `["a"]`,
		"null":                `null`,
		"empty input":         ``,
		"output not object":   `{"a": "x"}`,
		"no value":            `{"a": {"sensitive": false, "type": "string"}}`,
		"no type":             `{"a": {"sensitive": false, "value": "x"}}`,
		"invalid type":        `{"a": {"type": "strang", "value": "x"}}`,
		"value not of type":   `{"a": {"type": ["list", "string"], "value": "x"}}`,
		"secret in bad value": `{"a": {"sensitive": true, "type": "number", "value": "hunter2-in-error"}}`,
	}
	for name, src := range bad {
		t.Run(name, func(t *testing.T) {
			outs, diags := policy.ParseTFOutputs("outputs.json", []byte(src))
			if outs != nil {
				t.Errorf("outputs came back: %v", outs)
			}
			if diff := cmp.Diff([]string{"error: Invalid Terraform outputs"}, summaries(diags)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if !strings.Contains(diags[0].Detail, "outputs.json") || !strings.Contains(diags[0].Detail, "terraform output -json") {
				t.Errorf("detail %q should name the source and the command", diags[0].Detail)
			}
			if strings.Contains(diags[0].Detail, "hunter2") {
				t.Errorf("detail quotes a value: %q", diags[0].Detail)
			}
		})
	}
}

const tfPolicy = `
provider "aws" "prod" {
  region = "us-east-1"
}

failback "web" {
  primary   = "aws"
  secondary = "gcp"

  check "tcp" "up" {
    address = "x:1"
  }

  target "alb_forward" "edge" {
    listener_arn = tf.listener_arn
    primary      = [tf.aws_tg_arn]
    secondary    = tf.gcp_tg_arns
  }
}
`

func TestTerraformOutputs(t *testing.T) {
	outs, diags := policy.ParseTFOutputs("outputs.json", []byte(tfOutputsJSON))
	if diags.HasErrors() {
		t.Fatal(describeDiags(diags))
	}
	src := policy.Source{Filename: "policy.hcl", Bytes: []byte(tfPolicy)}
	without := func(name string) map[string]cty.Value {
		m := map[string]cty.Value{}
		for k, v := range outs {
			if k != name {
				m[k] = v
			}
		}
		return m
	}

	t.Run("validate without outputs: unknown", func(t *testing.T) {
		p, diags := newLoader(policy.Options{Mode: policy.ModeValidate}).LoadSources(src)
		if p == nil {
			t.Fatal(describeDiags(diags))
		}
		cfg := p.Failback("web").Targets[0].Config
		for _, n := range []string{"listener_arn", "primary", "secondary"} {
			if attr(t, cfg, n).IsWhollyKnown() {
				t.Errorf("%s is known", n)
			}
		}
	})

	t.Run("run without outputs: each reference reported", func(t *testing.T) {
		p, diags := newLoader(policy.Options{Mode: policy.ModeRun}).LoadSources(src)
		if p != nil {
			t.Error("a policy came back")
		}
		want := []string{"error: Missing Terraform output", "error: Missing Terraform output", "error: Missing Terraform output"}
		if diff := cmp.Diff(want, summaries(diags)); diff != "" {
			t.Fatalf("(-want +got):\n%s\n%s", diff, describeDiags(diags))
		}
		for i, name := range []string{"tf.listener_arn", "tf.aws_tg_arn", "tf.gcp_tg_arns"} {
			if !strings.Contains(diags[i].Detail, name) {
				t.Errorf("diagnostic %d does not name %s: %q", i, name, diags[i].Detail)
			}
			if !strings.Contains(diags[i].Detail, "--tf-outputs") {
				t.Errorf("diagnostic %d does not say how to give outputs: %q", i, diags[i].Detail)
			}
			if diags[i].Subject == nil || diags[i].Subject.Filename != "policy.hcl" {
				t.Errorf("diagnostic %d has no subject in policy.hcl", i)
			}
		}
		if s := diags[0].Subject; s.Start.Line != 15 || s.Start.Column != 20 {
			t.Errorf("first subject at %d,%d, want 15,20", s.Start.Line, s.Start.Column)
		}
	})

	for _, mode := range []policy.Mode{policy.ModeValidate, policy.ModeRun} {
		modeName := map[policy.Mode]string{policy.ModeValidate: "validate", policy.ModeRun: "run"}[mode]
		t.Run(modeName+" with outputs", func(t *testing.T) {
			p, diags := newLoader(policy.Options{Mode: mode, TFOutputs: outs, TFOutputsSource: "outputs.json"}).LoadSources(src)
			if p == nil {
				t.Fatal(describeDiags(diags))
			}
			cfg := p.Failback("web").Targets[0].Config
			if got := attr(t, cfg, "listener_arn"); !got.RawEquals(outs["listener_arn"]) {
				t.Errorf("listener_arn = %#v", got)
			}
			if got := attr(t, cfg, "secondary"); !got.RawEquals(outs["gcp_tg_arns"]) {
				t.Errorf("secondary = %#v", got)
			}
		})
		t.Run(modeName+" with an output missing", func(t *testing.T) {
			p, diags := newLoader(policy.Options{Mode: mode, TFOutputs: without("aws_tg_arn"), TFOutputsSource: "outputs.json"}).LoadSources(src)
			if p != nil {
				t.Error("a policy came back")
			}
			if diff := cmp.Diff([]string{"error: Missing Terraform output"}, summaries(diags)); diff != "" {
				t.Fatalf("(-want +got):\n%s\n%s", diff, describeDiags(diags))
			}
			d := diags[0]
			for _, s := range []string{"tf.aws_tg_arn", `"aws_tg_arn"`, "outputs.json"} {
				if !strings.Contains(d.Detail, s) {
					t.Errorf("detail %q does not contain %s", d.Detail, s)
				}
			}
			if d.Subject == nil || d.Subject.Start.Line != 16 {
				t.Errorf("subject = %#v, want line 16", d.Subject)
			}
		})
	}

	t.Run("misspelled output gets a hint", func(t *testing.T) {
		bad := policy.Source{Filename: "policy.hcl", Bytes: []byte(strings.Replace(tfPolicy, "tf.listener_arn", "tf.listner_arn", 1))}
		_, diags := newLoader(policy.Options{Mode: policy.ModeRun, TFOutputs: outs}).LoadSources(bad)
		if diff := cmp.Diff([]string{"error: Missing Terraform output"}, summaries(diags)); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
		if !strings.Contains(diags[0].Detail, `Did you mean "listener_arn"?`) {
			t.Errorf("detail %q has no hint", diags[0].Detail)
		}
	})

	t.Run("sensitive output stays sensitive", func(t *testing.T) {
		srcSecret := policy.Source{Filename: "policy.hcl", Bytes: []byte(strings.Replace(tfPolicy,
			"check \"tcp\" \"up\" {", "check \"http\" \"up\" {\n    url = \"https://x/\"\n    headers = { Authorization = tf.db_password }", 1))}
		srcSecret.Bytes = []byte(strings.Replace(string(srcSecret.Bytes), "    address = \"x:1\"\n", "", 1))
		p, diags := newLoader(policy.Options{Mode: policy.ModeRun, TFOutputs: outs}).LoadSources(srcSecret)
		if p == nil {
			t.Fatal(describeDiags(diags))
		}
		if !policy.IsSensitive(p.Failback("web").Checks[0].Config.GetAttr("headers")) {
			t.Error("a value derived from a sensitive output is not sensitive")
		}
	})
}

func TestEnvFunction(t *testing.T) {
	src := policy.Source{Filename: "policy.hcl", Bytes: []byte(failbackHCL("web", `env("FB_BACKEND")`, `"x:1"`))}

	t.Run("validate: unknown, environment not read", func(t *testing.T) {
		read := false
		l := newLoader(policy.Options{Mode: policy.ModeValidate, LookupEnv: func(k string) (string, bool) {
			if k == "FB_BACKEND" {
				read = true
			}
			return "from-env", true
		}})
		p, diags := l.LoadSources(src)
		if p == nil {
			t.Fatal(describeDiags(diags))
		}
		if got := backendOf(t, p, "web"); got.IsKnown() {
			t.Errorf("backend = %#v, want unknown", got)
		}
		if read {
			t.Error("env() read the environment in ModeValidate")
		}
	})

	t.Run("run: read", func(t *testing.T) {
		l := newLoader(policy.Options{Mode: policy.ModeRun, LookupEnv: envMap(map[string]string{"FB_BACKEND": "from-env"})})
		p, diags := l.LoadSources(src)
		if p == nil {
			t.Fatal(describeDiags(diags))
		}
		if got := backendOf(t, p, "web"); !got.RawEquals(cty.StringVal("from-env")) {
			t.Errorf("backend = %#v", got)
		}
	})

	t.Run("run: missing is an error naming it", func(t *testing.T) {
		p, diags := newLoader(policy.Options{Mode: policy.ModeRun}).LoadSources(src)
		if p != nil {
			t.Error("a policy came back")
		}
		if len(diags) != 1 || diags[0].Severity != hcl.DiagError {
			t.Fatalf("want one error:\n%s", describeDiags(diags))
		}
		d := diags[0]
		if !strings.Contains(d.Detail, "FB_BACKEND") {
			t.Errorf("detail %q does not name the variable", d.Detail)
		}
		if d.Subject == nil || d.Subject.Filename != "policy.hcl" || d.Subject.Start.Line != 12 {
			t.Errorf("subject = %#v, want policy.hcl line 12", d.Subject)
		}
	})

	t.Run("run: empty value is a value", func(t *testing.T) {
		srcURL := policy.Source{Filename: "policy.hcl", Bytes: []byte(failbackHCL("web", `"web${env("SUFFIX")}"`, `"x:1"`))}
		l := newLoader(policy.Options{Mode: policy.ModeRun, LookupEnv: envMap(map[string]string{"SUFFIX": ""})})
		p, diags := l.LoadSources(srcURL)
		if p == nil {
			t.Fatal(describeDiags(diags))
		}
		if got := backendOf(t, p, "web"); !got.RawEquals(cty.StringVal("web")) {
			t.Errorf("backend = %#v", got)
		}
	})
}

// TestOverlapKnownOnlyAtRun: an overlap hidden behind a Terraform output is
// not an error at validate time, where the output is unknown, and is one
// when the run loads the policy with the outputs.
func TestOverlapKnownOnlyAtRun(t *testing.T) {
	src := []byte(`
failback "a" {
  primary   = "dc1"
  secondary = "dc2"
  check "tcp" "up" {
    address = "10.0.0.1:443"
  }
  target "haproxy_backend" "lb" {
    runtime_api = tf.sock
    backend     = "web"
    primary     = ["p"]
    secondary   = ["s"]
  }
}
failback "b" {
  primary   = "dc1"
  secondary = "dc2"
  check "tcp" "up" {
    address = "10.0.0.1:443"
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["p"]
    secondary   = ["s2"]
  }
}
`)
	_, diags := newLoader(policy.Options{Mode: policy.ModeValidate}).LoadSources(policy.Source{Filename: "p.hcl", Bytes: src})
	if diags.HasErrors() {
		t.Fatalf("validate without outputs:\n%s", describeDiags(diags))
	}
	outputs, d := policy.ParseTFOutputs("outputs.json", []byte(`{"sock": {"sensitive": false, "type": "string", "value": "/run/haproxy/admin.sock"}}`))
	if d.HasErrors() {
		t.Fatal(d)
	}
	_, diags = newLoader(policy.Options{Mode: policy.ModeRun, TFOutputs: outputs}).LoadSources(policy.Source{Filename: "p.hcl", Bytes: src})
	wantDetail(t, diags, "Targets steer the same object",
		`target "haproxy_backend" "lb" of failback "a" (p.hcl:11) and target "haproxy_backend" "lb" of failback "b" (p.hcl:24) both steer HAProxy server web/p at /run/haproxy/admin.sock. Their writes would undo each other's on every run, so that neither share holds; steer each object from one target only.`)
}

// TestRequiredVariableUnsetAtRun: validate takes a variable without a value
// as unknown (testdata/valid/required_variable_unset.hcl); a run needs it,
// and says so once, at its declaration, naming every way to give it.
func TestRequiredVariableUnsetAtRun(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "valid", "required_variable_unset.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	_, diags := newLoader(policy.Options{Mode: policy.ModeRun}).LoadSources(policy.Source{Filename: "p.hcl", Bytes: src})
	if len(diags) != 1 || diags[0].Summary != "No value for required variable" || diags[0].Subject == nil || diags[0].Subject.Start.Line != 5 ||
		!strings.Contains(diags[0].Detail, "FBCTL_VAR_backend") {
		t.Fatalf("want one No value for required variable at line 5 naming FBCTL_VAR_backend, got:\n%s", describeDiags(diags))
	}
}

// TestScheduleOnce: one file at most sets the schedule, whatever the order
// of the files; the policy carries it.
func TestScheduleOnce(t *testing.T) {
	fb := failbackHCL("web", `"web"`, `"127.0.0.1:80"`)
	p, diags := newLoader(policy.Options{}).LoadSources(policy.Source{Filename: "a.hcl", Bytes: []byte("schedule = \"5m\"\n" + fb)})
	if diags.HasErrors() || p.Schedule != 5*time.Minute {
		t.Fatalf("schedule = %v:\n%s", p, describeDiags(diags))
	}
	_, diags = newLoader(policy.Options{}).LoadSources(
		policy.Source{Filename: "a.hcl", Bytes: []byte("schedule = \"5m\"\n" + fb)},
		policy.Source{Filename: "b.hcl", Bytes: []byte("schedule = \"5m\"\n")})
	if len(diags) != 1 || diags[0].Summary != "Duplicate schedule" || diags[0].Subject.Filename != "b.hcl" || !strings.Contains(diags[0].Detail, "a.hcl:1") {
		t.Fatalf("want one Duplicate schedule in b.hcl pointing at a.hcl:1, got:\n%s", describeDiags(diags))
	}
}

// TestPolicyDirectoryVarFiles: a variable file put among a directory's
// policy files is recognised by its shape and named as such, without
// showing its values; *.auto.fbvars.hcl files are loaded with the directory
// (below --var-file and --var), and *.fbvars.hcl files are left out of it.
func TestPolicyDirectoryVarFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("fbctl.hcl", `variable "be" { type = string }
`+failbackHCL("web", "var.be", `"127.0.0.1:80"`))
	write("vars.hcl", "be = \"secret-ish-value\"\n")
	load := func(opts policy.Options) (*policy.Policy, hcl.Diagnostics, *policy.Loader) {
		opts.Mode = policy.ModeRun
		l := newLoader(opts)
		p, diags := l.Load(dir)
		return p, diags, l
	}
	// The variable is reported missing too: the file was not read as one.
	_, diags, l := load(policy.Options{})
	if len(diags) != 2 || diags[0].Summary != "Variable file among the policy files" || diags[0].Subject == nil ||
		filepath.Base(diags[0].Subject.Filename) != "vars.hcl" || !strings.Contains(diags[0].Detail, "--var-file") ||
		diags[1].Summary != "No value for required variable" {
		t.Fatalf("want Variable file among the policy files at vars.hcl, then the missing variable, got:\n%s", describeDiags(diags))
	}
	if out := renderAll(t, l, diags); strings.Contains(out, "secret-ish-value") {
		t.Errorf("the variable file's value is shown:\n%s", out)
	}

	if err := os.Rename(filepath.Join(dir, "vars.hcl"), filepath.Join(dir, "vars.auto.fbvars.hcl")); err != nil {
		t.Fatal(err)
	}
	backend := func(p *policy.Policy) string {
		v, _ := p.Failbacks[0].Targets[0].Config.GetAttr("backend").Unmark()
		return v.AsString()
	}
	p, diags, _ := load(policy.Options{})
	if diags.HasErrors() || backend(p) != "secret-ish-value" {
		t.Fatalf("auto var file not loaded:\n%s", describeDiags(diags))
	}
	write("other.fbvars.hcl", "be = \"from-var-file\"\n")
	p, diags, _ = load(policy.Options{VarFiles: []string{filepath.Join(dir, "other.fbvars.hcl")}})
	if diags.HasErrors() || backend(p) != "from-var-file" {
		t.Fatalf("--var-file does not win over the auto var file:\n%s", describeDiags(diags))
	}
	p, diags, _ = load(policy.Options{Vars: []string{"be=from-flag"}})
	if diags.HasErrors() || backend(p) != "from-flag" {
		t.Fatalf("--var does not win:\n%s", describeDiags(diags))
	}

	// A *.fbvars.hcl file is not a policy file, nor loaded by itself.
	if err := os.Remove(filepath.Join(dir, "vars.auto.fbvars.hcl")); err != nil {
		t.Fatal(err)
	}
	_, diags, _ = load(policy.Options{})
	if diff := cmp.Diff([]string{"error: No value for required variable"}, summaries(diags)); diff != "" {
		t.Fatalf("(-want +got):\n%s\n%s", diff, describeDiags(diags))
	}
}
