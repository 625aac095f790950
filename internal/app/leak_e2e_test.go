package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/testenv"
)

// The secrets of TestSecretsNeverPrinted, one per place a value can come
// from. Each is long enough to be searched for and distinct from the others.
var leakSecrets = map[string]string{
	"variable default": "leak-default-1f4a9c",
	"file()":           "leak-file-7b2d0e",
	"env()":            "leak-env-93c5aa",
	"tf output":        "leak-tfout-4e81d2",
	"var file":         "leak-varfile-c07e55",
	"--var":            "leak-flag-5a6b7c",
}

// echoServer is a hostile health endpoint: it answers every request with
// the request's URL, user info and header values in its body and in a
// response header, so that any path that prints a probe's answer prints
// the secrets the probe sent. It answers 200 while healthy, 503 otherwise.
type echoServer struct {
	*httptest.Server
	sick atomic.Bool
}

func newEchoServer(t *testing.T) *echoServer {
	e := &echoServer{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var echo []string
		echo = append(echo, r.URL.String())
		if u, p, ok := r.BasicAuth(); ok {
			echo = append(echo, u, p)
		}
		for _, vs := range r.Header {
			echo = append(echo, vs...)
		}
		text := strings.Join(echo, " ")
		w.Header().Set("X-Echo", text)
		if e.sick.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, text)
	}))
	t.Cleanup(e.Close)
	return e
}

// TestSecretsNeverPrinted puts a secret in every place a value can come
// from (a sensitive variable's default, file(), env(), a sensitive
// Terraform output, a variable file, --var) and in every place a check
// sends one (a header, a URL's query and user info), runs validate, plan,
// reconcile (healthy, then with the primary failing and echoing what it
// was sent), status and history with text and JSON output and debug logs
// in both formats, and then an invalid policy whose every error is about a
// secret, and asserts that no secret appears in any output, diagnostic or
// log line.
func TestSecretsNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	primary, secondary := newEchoServer(t), newEchoServer(t)
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	hap := testenv.StartHAProxy(t, testenv.HAProxyConfig{
		Servers: []testenv.HAProxyServer{be[0].Server(0), be[1].Server(256)},
	})
	write("key.txt", leakSecrets["file()"]+"\n")
	varFile := write("secrets.tfvars", fmt.Sprintf("from_file = %q\n", leakSecrets["var file"]))
	outputs := write("outputs.json", fmt.Sprintf(`{"token": {"sensitive": true, "type": "string", "value": %q}}`, leakSecrets["tf output"]))
	decls := fmt.Sprintf(`
variable "with_default" {
  type      = string
  sensitive = true
  default   = %q
}
variable "from_file" {
  type      = string
  sensitive = true
}
variable "from_flag" {
  type      = string
  sensitive = true
}
state "file" { path = "state" }
`, leakSecrets["variable default"])
	valid := write("valid.hcl", decls+fmt.Sprintf(`
failback "web" {
  primary   = "dc1"
  secondary = "dr"

  check "http" "dc1" {
    url = "%s/healthz?k=${var.from_flag}"
    headers = {
      Authorization = "Bearer ${var.with_default}"
      X-File        = trimspace(file("key.txt"))
      X-Env         = env("LEAK_SECRET")
      X-TF          = tf.token
      X-Var-File    = var.from_file
    }
    interval          = "10s"
    healthy_threshold = 1
    evidence_ttl      = "1h"
  }
  check "http" "dr" {
    of  = "secondary"
    url = "http://fbctl:${var.from_flag}@%s/healthz"
    interval          = "10s"
    healthy_threshold = 1
    evidence_ttl      = "1h"
  }

  target "haproxy_backend" "lb" {
    runtime_api = %q
    backend     = "app"
    primary     = ["primary"]
    secondary   = ["secondary"]
  }

  rollout {
    steps = [50, 100]
    bake  = "1m"
  }
}
`, primary.URL, strings.TrimPrefix(secondary.URL, "http://"), hap.SocketPath))
	// Every error of this policy is about a secret value.
	invalid := write("invalid.hcl", decls+`
failback "web" {
  primary   = "dc1"
  secondary = "dr"
  check "http" "dc1" {
    url      = "https://example.com/"
    method   = var.with_default
    interval = trimspace(file("key.txt"))
    timeout  = tf.token
    headers  = { "X-A" = "${var.from_file}\n" }
  }
  check "tcp" "dr" {
    of      = "secondary"
    address = env("LEAK_SECRET")
  }
  target "haproxy_backend" "lb" {
    runtime_api = var.from_flag
    backend     = tf.token
    primary     = [var.from_file]
    secondary   = [trimspace(file("key.txt"))]
  }
  rollout {
    steps    = [tonumber(var.with_default)]
    bake     = file("key.txt")
    on_drift = env("LEAK_SECRET")
    approval = var.from_flag
  }
}
`)

	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	lookupEnv := func(name string) (string, bool) {
		if name == "LEAK_SECRET" {
			return leakSecrets["env()"], true
		}
		return "", false
	}
	type command struct {
		name string
		run  func(ctx context.Context, s IO, g *Global) error
		// codes are the exit codes the command may end with.
		codes []ExitCode
	}
	validate := command{"validate", func(_ context.Context, s IO, g *Global) error {
		return Validate(s, ValidateOptions{Global: g})
	}, []ExitCode{ExitOK}}
	plan := command{"plan", func(ctx context.Context, s IO, g *Global) error {
		return Reconcile(ctx, s, ReconcileOptions{Global: g, DryRun: true, Detailed: true})
	}, []ExitCode{ExitOK, ExitChanges, ExitUnhealthy}}
	reconcile := command{"reconcile", func(ctx context.Context, s IO, g *Global) error {
		return Reconcile(ctx, s, ReconcileOptions{Global: g})
	}, []ExitCode{ExitOK, ExitUnhealthy}}
	status := command{"status", func(ctx context.Context, s IO, g *Global) error {
		return Status(ctx, s, StatusOptions{Global: g})
	}, []ExitCode{ExitOK}}
	history := command{"history", func(ctx context.Context, s IO, g *Global) error {
		return History(ctx, s, HistoryOptions{Global: g})
	}, []ExitCode{ExitOK}}

	var printed strings.Builder // everything, to prove the test saw something
	run := func(stage, policyFile string, c command, output, logFormat string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		logger, err := NewLogger(&stderr, "debug", logFormat)
		if err != nil {
			t.Fatal(err)
		}
		g := &Global{
			Policies:  []string{policyFile},
			Output:    output,
			Vars:      []string{"from_flag=" + leakSecrets["--var"]},
			VarFiles:  []string{varFile},
			TFOutputs: outputs,
			Logger:    logger,
			LookupEnv: lookupEnv,
			Now:       func() time.Time { return now },
		}
		err = c.run(context.Background(), IO{Out: &stdout, ErrOut: &stderr}, g)
		name := fmt.Sprintf("%s/%s/%s/%s", stage, c.name, output, logFormat)
		all := stdout.String() + stderr.String() + Message(err)
		printed.WriteString(all)
		codes := c.codes
		if policyFile == invalid {
			codes = []ExitCode{ExitInvalid}
		}
		ok := false
		for _, code := range codes {
			ok = ok || CodeOf(err) == code
		}
		if !ok {
			t.Errorf("%s: exit %d, want one of %v\n%s", name, CodeOf(err), codes, all)
		}
		for from, secret := range leakSecrets {
			for _, form := range []string{secret, strings.ToUpper(secret), fmt.Sprintf("%q", secret)} {
				if strings.Contains(all, form) {
					t.Errorf("%s: the secret from %s was printed:\n%s", name, from, all)
				}
			}
		}
	}
	each := func(stage, policyFile string, cmds ...command) {
		for _, c := range cmds {
			for _, output := range []string{OutputText, OutputJSON} {
				for _, logFormat := range []string{"text", "json"} {
					run(stage, policyFile, c, output, logFormat)
				}
			}
		}
	}

	each("healthy", valid, validate, plan, reconcile, status, history)
	now = now.Add(2 * time.Minute)
	primary.sick.Store(true)
	each("failing", valid, plan, reconcile, status, history)
	each("invalid", invalid, validate, plan, reconcile)

	// The probes really carried the secrets, so the failing stage's
	// answers echoed them: the test would see a leak from the answers.
	all := printed.String()
	for _, want := range []string{"HTTP 503", `"diagnostics"`, "Error: ", "level=DEBUG", `"level":"DEBUG"`} {
		if !strings.Contains(all, want) {
			t.Errorf("no command printed %q, so the test proves less than it says", want)
		}
	}
	var missing []string
	for _, d := range []string{"Invalid duration", "Invalid function argument", "Invalid approval", "Invalid runtime_api"} {
		if !strings.Contains(all, d) {
			missing = append(missing, d)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the invalid policy did not produce %v, so its secrets were not exercised:\n%s", missing, all)
	}
}
