package policy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/fbctl/fbctl/policy"
)

// secretDecls declares the sensitive variables the tests below use: s and
// long are strings, n a number.
const secretDecls = `
variable "s" {
  type      = string
  sensitive = true
}
variable "long" {
  type      = string
  default   = "long-enough-secret"
  sensitive = true
}
variable "n" {
  type      = number
  default   = 10
  sensitive = true
}
`

// loadSecrets loads src (after secretDecls) with the given --var options.
func loadSecrets(t *testing.T, src string, vars ...string) (*policy.Loader, hcl.Diagnostics) {
	t.Helper()
	l := newLoader(policy.Options{Vars: vars})
	_, diags := l.LoadSources(policy.Source{Filename: "p.hcl", Bytes: []byte(secretDecls + src)})
	return l, diags
}

// details maps each diagnostic's summary to its details, in order.
func details(diags hcl.Diagnostics) map[string][]string {
	out := map[string][]string{}
	for _, d := range diags {
		out[d.Summary] = append(out[d.Summary], d.Detail)
	}
	return out
}

// wantDetail fails unless some diagnostic with summary has exactly detail.
func wantDetail(t *testing.T, diags hcl.Diagnostics, summary, detail string) {
	t.Helper()
	for _, d := range diags {
		if d.Summary == summary && d.Detail == detail {
			return
		}
	}
	t.Errorf("no %q diagnostic with detail\n\t%s\ngot:\n%s", summary, detail, describeDiags(diags))
}

// noneContains fails when a summary or detail contains any of secrets.
func noneContains(t *testing.T, diags hcl.Diagnostics, secrets ...string) {
	t.Helper()
	for _, d := range diags {
		for _, s := range secrets {
			if strings.Contains(d.Summary, s) || strings.Contains(d.Detail, s) {
				t.Errorf("%q printed in %s: %s", s, d.Summary, d.Detail)
			}
		}
	}
}

// TestVarFileDiagnosticsShowNoSource: a variable file's lines may hold
// secrets, so its diagnostics keep their place but neither renderer finds
// its source for a snippet.
func TestVarFileDiagnosticsShowNoSource(t *testing.T) {
	const secret = "s3cr3t-in-var-file"
	dir := writeFiles(t, t.TempDir(), map[string]string{
		"p.hcl": `
variable "tsig" {
  type      = string
  sensitive = true
}
` + failbackHCL("web", `"web"`, `"dc1.example.com:443"`),
		"secret.fbvars.hcl": "tsig = [\"" + secret + "\"]\nunused = \"" + secret + "-2\"\n",
		"secret.json":       "{\n\"tsig\": [\"" + secret + "\"],\n\"unused\": \"" + secret + "-2\"\n}\n",
	})
	for _, name := range []string{"secret.fbvars.hcl", "secret.json"} {
		t.Run(name, func(t *testing.T) {
			varFile := filepath.Join(dir, name)
			l := newLoader(policy.Options{VarFiles: []string{varFile}})
			_, diags := l.Load(filepath.Join(dir, "p.hcl"))
			if got := summaries(diags); len(got) != 2 ||
				!strings.Contains(strings.Join(got, "\n"), "error: Invalid value for variable") ||
				!strings.Contains(strings.Join(got, "\n"), "warning: Value for undeclared variable") {
				t.Fatalf("diagnostics:\n%s", describeDiags(diags))
			}
			for _, d := range diags {
				if d.Subject == nil || d.Subject.Filename != varFile || d.Subject.Start.Line < 1 || d.Subject.Start.Column < 1 {
					t.Errorf("%s: subject %v, want a place in %s", d.Summary, d.Subject, varFile)
				}
			}
			noneContains(t, diags, secret)
			if _, ok := l.Files()[varFile]; ok {
				t.Errorf("Files() holds the variable file %s", varFile)
			}
			if _, ok := l.Files()[filepath.Join(dir, "p.hcl")]; !ok {
				t.Errorf("Files() lacks the policy file")
			}

			var text bytes.Buffer
			if err := policy.WriteText(&text, diags, l.Files(), 0, false); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(text.String(), secret) {
				t.Errorf("the text diagnostics print the secret:\n%s", text.String())
			}
			if !strings.Contains(text.String(), "on "+varFile+" line ") || !strings.Contains(text.String(), "(source code not available)") {
				t.Errorf("the text diagnostics do not name the place without source:\n%s", text.String())
			}

			jds := policy.JSONDiagnostics(diags, l.Files())
			for _, jd := range jds {
				if jd.Range == nil || jd.Range.Filename != varFile {
					t.Errorf("%s: range %+v, want one in %s", jd.Summary, jd.Range, varFile)
				}
				if jd.Snippet != nil {
					t.Errorf("%s: snippet %+v of a variable file", jd.Summary, jd.Snippet)
				}
			}
			b, err := json.Marshal(jds)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("the JSON diagnostics print the secret: %s", b)
			}
		})
	}
}

// TestShortSecretsNotQuoted: secrets shorter than redaction's minimum are
// kept out of messages at the source, where the value would be quoted.
func TestShortSecretsNotQuoted(t *testing.T) {
	src := `
failback "web" {
  primary   = "a"
  secondary = "b"
  check "http" "up" {
    url    = "https://a.example.com/healthz"
    method = var.s
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = [var.s, var.s, "b1"]
    secondary   = ["b1", var.s]
  }
  rollout {
    steps = [var.n, 5, 100]
  }
}

failback "plain-first" {
  primary   = "a"
  secondary = "b"
  check "tcp" "up" {
    address = "10.0.0.1:443"
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["zq"]
    secondary   = [var.s]
  }
  rollout {
    steps = [10, var.n]
  }
}

failback "secret-first" {
  primary   = "a"
  secondary = "b"
  check "tcp" "up" {
    address = "10.0.0.1:443"
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = [var.s]
    secondary   = ["zq"]
  }
  rollout {
    steps = sensitive([50, 5])
  }
}

failback "secret-list" {
  primary   = "a"
  secondary = "b"
  check "tcp" "up" {
    address = "10.0.0.1:443"
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = sensitive(["a1", "a1"])
    secondary   = ["b1"]
  }
}
`
	_, diags := loadSecrets(t, src, "s=zq", "n=50")
	noneContains(t, diags, "zq", "50", "a1")

	// (a) steps: a marked element is "(sensitive value)", the plain ones
	// around it are shown; a marked list marks every element.
	wantDetail(t, diags, "Steps not increasing", "Each step must be larger than the one before: 5% follows (sensitive value).")
	wantDetail(t, diags, "Steps not increasing", "Each step must be larger than the one before: (sensitive value) follows (sensitive value).")
	wantDetail(t, diags, "Last step is not 100", "A rollout ends with all the traffic on the primary: make the last step 100 (it is (sensitive value)).")
	// (b) members: sensitive, or equal to one that is.
	wantDetail(t, diags, "Duplicate member", "(sensitive value) is listed twice in primary.")
	wantDetail(t, diags, "Member on both sides", `"b1" is listed in both primary and secondary; each member belongs to one side.`)
	if got := details(diags)["Member on both sides"]; len(got) != 4 || strings.Count(strings.Join(got, "\n"), "(sensitive value) is listed in both") != 3 {
		t.Errorf("Member on both sides: %q", got)
	}
	if got := details(diags)["Duplicate member"]; len(got) != 2 {
		t.Errorf("Duplicate member: %q", got)
	}
	// (c) a validator that quotes the value it rejects.
	wantDetail(t, diags, "Invalid method", "method: the value is not valid (it is sensitive, so it is not shown).")
}

// TestSensitiveValidatorDetails: the Detail of a validator's Problem about
// a sensitive value is replaced, unless the schema declares the attribute
// Sensitive: such validators never quote values.
func TestSensitiveValidatorDetails(t *testing.T) {
	src := `
provider "libdns" "dns" {
  driver = "rfc2136"
  config = {
    server   = "ns1.example.net:53"
    key_name = "fbctl-key"
    key      = var.s
    bogus    = var.s
  }
}

provider "libdns" "other" {
  driver = var.long
}
`
	_, diags := loadSecrets(t, src, "s=zq")
	noneContains(t, diags, "zq", "long-enough-secret")
	// config is a Secret attribute: its validator's Detail stays.
	d := details(diags)["Unknown libdns driver setting"]
	if len(d) != 1 || !strings.Contains(d[0], `The rfc2136 driver has no config key "bogus"`) {
		t.Errorf("Unknown libdns driver setting: %q\n%s", d, describeDiags(diags))
	}
	// driver is not: its validator quotes the name it does not know.
	wantDetail(t, diags, "Unknown libdns driver", "driver: the value is not valid (it is sensitive, so it is not shown).")
}

// TestSensitiveDurationsNotPrinted: durations and counts that came from
// sensitive values are not printed by the messages that compare them, in
// any format (a sensitive "90s" prints as 1m30s, which redaction misses).
func TestSensitiveDurationsNotPrinted(t *testing.T) {
	src := `
provider "libdns" "dns" {
  driver = "rfc2136"
  config = {
    server   = "ns1.example.net:53"
    key_name = "fbctl-key"
    key      = "a2V5"
  }
}

failback "timeout" {
  primary   = "a"
  secondary = "b"
  check "http" "up" {
    url      = "https://a.example.com/healthz"
    interval = "30s"
    timeout  = sensitive("90s")
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["a1"]
    secondary   = ["b1"]
  }
}

failback "bake" {
  primary   = "a"
  secondary = "b"
  check "http" "up" {
    url               = "https://a.example.com/healthz"
    interval          = sensitive("45s")
    healthy_threshold = sensitive(7)
  }
  target "dns_rrset" "www" {
    zone      = "example.net"
    name      = "www"
    ttl       = sensitive(3601)
    primary   = ["10.1.0.1"]
    secondary = ["10.2.0.1"]
  }
  rollout {
    steps = [10, 100]
    bake  = sensitive("299s")
  }
}
`
	_, diags := loadSecrets(t, src, "s=x")
	noneContains(t, diags, "90s", "1m30s", "45s", "7", "5m15s", "3601", "1h0m1s", "299s", "4m59s")
	wantDetail(t, diags, "Timeout longer than interval",
		"The check's timeout ((sensitive value)) is longer than its interval (30s): a probe would still be running when the next is due.")
	wantDetail(t, diags, "Bake shorter than DNS TTL",
		`bake is (sensitive value), but target "www" has a TTL of (sensitive value): resolvers may still answer with the previous step when the next one starts.`)
	wantDetail(t, diags, "Bake shorter than health window",
		`bake is (sensitive value), but check "up" needs (sensitive value) (interval (sensitive value) × healthy_threshold (sensitive value)) to call the primary healthy: a step could pass before the check has judged it.`)
}

// TestFunctionErrorsHideSensitiveArguments: a function's error may quote
// its arguments; with a sensitive one, the error is not shown.
func TestFunctionErrorsHideSensitiveArguments(t *testing.T) {
	src := `
failback "web" {
  primary     = "a"
  secondary   = "b"
  description = regex(var.s, "abc")
  check "tcp" "up" {
    address = tonumber(var.s)
  }
  target "haproxy_backend" "lb" {
    runtime_api = file(var.s)
    backend     = format("%d", var.s)
    primary     = ["a1"]
    secondary   = ["b1"]
  }
}
`
	_, diags := loadSecrets(t, src, "s=z(")
	noneContains(t, diags, "z(")
	if n := len(diags); n != 4 {
		t.Errorf("got %d diagnostics, want 4:\n%s", n, describeDiags(diags))
	}
	for _, d := range diags {
		if !strings.Contains(d.Detail, "it is sensitive, so the error, which may quote it, is not shown") &&
			!strings.Contains(d.Detail, "an argument is sensitive, so the error, which may quote it, is not shown") {
			t.Errorf("%s: %s", d.Summary, d.Detail)
		}
	}

	// A plain argument still gets the function's own message.
	_, diags = loadSecrets(t, `
failback "web" {
  primary     = "a"
  secondary   = "b"
  description = regex("z(", "abc")
}
`, "s=x")
	if len(diags) == 0 || !strings.Contains(diags[0].Detail, "z(") {
		t.Errorf("the error about a plain argument lost its message:\n%s", describeDiags(diags))
	}
}

// TestRedactOnlyMarkedValues: redaction learns only the values that are
// sensitive, not the plain elements and attributes next to them.
func TestRedactOnlyMarkedValues(t *testing.T) {
	src := `
provider "libdns" "dns" {
  driver = "rfc2136"
  config = {
    server   = "ns1.example.net:53"
    key_name = "fbctl-key"
    key      = "a2V5"
  }
}

failback "web" {
  primary   = "a"
  secondary = "b"
  check "http" "up" {
    url     = "https://a.example.com/healthz"
    headers = { Plain = "plain-header-value", Secret = var.long }
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = sensitive(["member-secret"])
    secondary   = ["member-plain"]
  }
  rollout {
    steps = [var.n, 5, 100]
  }
}
`
	l, diags := loadSecrets(t, src, "s=x", "n=31337")
	wantDetail(t, diags, "Step out of range", "A step is the primary's share of traffic in percent: more than 0 and at most 100; got (sensitive value).")
	noneContains(t, diags, "31337")
	for _, plain := range []string{"at most 100", "5 and 100", "plain-header-value", "member-plain", "https://a.example.com/healthz"} {
		if got := l.Redact(plain); got != plain {
			t.Errorf("Redact(%q) = %q: a plain value was taken for a secret", plain, got)
		}
	}
	for _, secret := range []string{"31337", "long-enough-secret", "member-secret", "ns1.example.net:53", "fbctl-key"} {
		if got := l.Redact("x " + secret + " y"); got != "x (sensitive value) y" {
			t.Errorf("Redact(%q) = %q: a sensitive value was not redacted", secret, got)
		}
	}
}

// TestMalformedVarOptionNotShown: a --var without "=" (or without a name)
// may be a secret given without its "NAME=": no part of it is printed.
func TestMalformedVarOptionNotShown(t *testing.T) {
	_, diags := loadSecrets(t, failbackHCL("web", `"web"`, `"dc1.example.com:443"`),
		"s=fine", "s3cr3t-without-equals", "=s3cr3t-without-name", "zq")
	noneContains(t, diags, "s3cr3t", "zq")
	if got := details(diags)["Invalid --var option"]; len(got) != 3 {
		t.Fatalf("Invalid --var option: %q\n%s", got, describeDiags(diags))
	}
	wantDetail(t, diags, "Invalid --var option",
		`The --var option takes NAME=VALUE; the value given as --var number 2 has no "=" (it is not shown, in case it is a secret).`)
	wantDetail(t, diags, "Invalid --var option",
		`The --var option takes NAME=VALUE; the value given as --var number 3 has no name before "=" (it is not shown, in case it is a secret).`)
	wantDetail(t, diags, "Invalid --var option",
		`The --var option takes NAME=VALUE; the value given as --var number 4 has no "=" (it is not shown, in case it is a secret).`)
}

// TestOverlapShowsNoSecret: two targets steering one HAProxy server, named
// through a short sensitive variable in one and plainly in the other: the
// overlap is reported, naming neither spelling of the server.
func TestOverlapShowsNoSecret(t *testing.T) {
	src := `
failback "a" {
  primary   = "dc1"
  secondary = "dc2"
  check "tcp" "up" {
    address = "10.0.0.1:443"
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = [var.s]
    secondary   = ["b1"]
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
    primary     = ["zq"]
    secondary   = ["b2"]
  }
}
`
	_, diags := loadSecrets(t, src, "s=zq")
	wantDetail(t, diags, "Targets steer the same object",
		`target "haproxy_backend" "lb" of failback "a" (p.hcl:26) and target "haproxy_backend" "lb" of failback "b" (p.hcl:40) both steer one object, whose name holds a sensitive value and is not shown. Their writes would undo each other's on every run, so that neither share holds; steer each object from one target only.`)
	noneContains(t, diags, "zq")
}

// TestFileAndEnvValuesNamedByOrigin: a value read by file() or env() is
// never printed in a message, wherever it ends up; the message names where
// it came from instead.
func TestFileAndEnvValuesNamedByOrigin(t *testing.T) {
	dir := t.TempDir()
	const content = "file-content-9f3e"
	if err := os.WriteFile(filepath.Join(dir, "bake.txt"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	const envValue = "env-value-77ab"
	src := withRollout(failbackHCL("web", `"web"`, `"127.0.0.1:80"`), `
    bake     = file("bake.txt")
    on_drift = env("DRIFT")
    steps    = [tonumber(env("STEP"))]`)
	l := newLoader(policy.Options{Mode: policy.ModeRun, LookupEnv: func(n string) (string, bool) {
		switch n {
		case "DRIFT":
			return envValue, true
		case "STEP":
			return "x" + envValue, true
		}
		return "", false
	}})
	_, diags := l.LoadSources(policy.Source{Filename: filepath.Join(dir, "p.hcl"), Bytes: []byte(src)})
	wantDetail(t, diags, "Invalid duration", `bake is the contents of bake.txt, which is not a duration; write a number with a unit, such as "90s", "10m" or "1h30m".`)
	var onDrift string
	for _, d := range diags {
		if d.Summary == "Invalid on_drift" {
			onDrift = d.Detail
		}
	}
	if !strings.Contains(onDrift, "it is the environment variable DRIFT") {
		t.Errorf("on_drift detail %q does not name the environment variable", onDrift)
	}
	for _, d := range diags {
		for _, secret := range []string{content, envValue} {
			if strings.Contains(d.Summary+d.Detail, secret) {
				t.Errorf("%s: %q printed: %s", d.Summary, secret, d.Detail)
			}
		}
	}
	wantDetail(t, diags, "Invalid function argument", `The function rejects this argument; it is from the environment variable STEP, so the error, which may quote it, is not shown.`)
}

// TestLongValuesNotQuoted: a value longer than 64 bytes from outside the
// policy text (here --var) is described by its length, never quoted.
func TestLongValuesNotQuoted(t *testing.T) {
	long := strings.Repeat("y", 200)
	src := `variable "d" { type = string }
` + withRollout(failbackHCL("web", `"web"`, `"127.0.0.1:80"`), `
    bake = var.d`)
	l := newLoader(policy.Options{Vars: []string{"d=" + long}})
	_, diags := l.LoadSources(policy.Source{Filename: "p.hcl", Bytes: []byte(src)})
	wantDetail(t, diags, "Invalid duration", `bake is a string of 200 bytes (not shown), which is not a duration; write a number with a unit, such as "90s", "10m" or "1h30m".`)
}

// renderAll returns the diagnostics as text and as JSON.
func renderAll(t *testing.T, l *policy.Loader, diags hcl.Diagnostics) string {
	t.Helper()
	var text bytes.Buffer
	if err := policy.WriteText(&text, diags, l.Files(), 0, false); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(policy.JSONDiagnostics(diags, l.Files()))
	if err != nil {
		t.Fatal(err)
	}
	return text.String() + string(js)
}

// TestSnippetsMaskSensitiveLiterals: a diagnostic on the line of a
// sensitive literal (a sensitive variable's default, the argument of
// sensitive(), a sensitive attribute's value) shows the line with the
// literal masked, in text and in JSON.
func TestSnippetsMaskSensitiveLiterals(t *testing.T) {
	src := `variable "pw" {
  type      = number
  sensitive = true
  default   = "default-literal-1234"
}
provider "libdns" "dns" {
  driver = "rfc2136"
  config = { server = "127.0.0.1:53", key_name = "k", key = "config-literal-5678", bogus = 1 }
}
` + withRollout(failbackHCL("web", `"web"`, `"127.0.0.1:80"`), `
    bake = sensitive("call-literal-9012")`)
	l := newLoader(policy.Options{})
	_, diags := l.LoadSources(policy.Source{Filename: "p.hcl", Bytes: []byte(src)})
	if len(diags) < 3 {
		t.Fatalf("want diagnostics on the three lines, got:\n%s", describeDiags(diags))
	}
	out := renderAll(t, l, diags)
	for _, secret := range []string{"default-literal-1234", "config-literal-5678", "call-literal-9012"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q shown:\n%s", secret, out)
		}
	}
	for _, want := range []string{`default   = "********************"`, `key = "*******************"`, `sensitive("*****************")`} {
		if !strings.Contains(out, want) {
			t.Errorf("no masked snippet %q in:\n%s", want, out)
		}
	}
}

// TestSnippetsAreCut: a snippet line is cut to a window around the
// subject, so no diagnostic prints a whole file that is one long line, and
// the highlight still points at the subject.
func TestSnippetsAreCut(t *testing.T) {
	pad := strings.Repeat(" ", 5000)
	src := `failback "web" {` + pad + `bogus = "here"` + pad + `}` + "\n"
	l := newLoader(policy.Options{})
	_, diags := l.LoadSources(policy.Source{Filename: "p.hcl", Bytes: []byte(src)})
	jds := policy.JSONDiagnostics(diags, l.Files())
	found := false
	for _, jd := range jds {
		if jd.Snippet == nil {
			continue
		}
		if len(jd.Snippet.Code) > 130 {
			t.Errorf("%s: snippet of %d bytes", jd.Summary, len(jd.Snippet.Code))
		}
		if jd.Summary == "Unsupported argument" {
			found = true
			hl := jd.Snippet.Code[jd.Snippet.HighlightStartOffset:jd.Snippet.HighlightEndOffset]
			if hl != "bogus" {
				t.Errorf("highlight is %q, want %q (code %q)", hl, "bogus", jd.Snippet.Code)
			}
		}
	}
	if !found {
		t.Fatalf("no Unsupported argument diagnostic:\n%s", describeDiags(diags))
	}
	var text bytes.Buffer
	if err := policy.WriteText(&text, diags, l.Files(), 0, false); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(text.String(), "\n") {
		if len(line) > 200 {
			t.Errorf("text line of %d bytes: %.80q…", len(line), line)
		}
	}
}

// TestBareCarriageReturnRefused: a file with CR-only line endings is
// refused at the first bare CR, by physical line, without a snippet (HCL
// would see one line and every snippet would be the whole file).
func TestBareCarriageReturnRefused(t *testing.T) {
	src := "variable \"k\" {\r\n  sensitive = true\r\n  default = \"cr-secret-4321\"\r}\rfailback \"x\" {}\r"
	l := newLoader(policy.Options{})
	_, diags := l.LoadSources(policy.Source{Filename: "cr.hcl", Bytes: []byte(src)})
	if len(diags) != 1 || diags[0].Summary != "Unsupported line ending" || diags[0].Subject == nil || diags[0].Subject.Start.Line != 3 {
		t.Fatalf("want one Unsupported line ending at line 3, got:\n%s", describeDiags(diags))
	}
	if out := renderAll(t, l, diags); strings.Contains(out, "cr-secret-4321") {
		t.Errorf("secret shown:\n%s", out)
	}
}

// withRollout adds a rollout block with body to the failback in src.
func withRollout(src, body string) string {
	return strings.Replace(src, "\n}\n", "\n  rollout {"+body+"\n  }\n}\n", 1)
}
