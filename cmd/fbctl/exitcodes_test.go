package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/app"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/testenv"
)

// exitWorld is a real HAProxy in front of two real HTTP backends, shared by
// every case of the exit-code table; each case gets a fresh policy and
// state directory and the weights and health it starts from.
type exitWorld struct {
	t       *testing.T
	hap     *testenv.HAProxy
	backend map[string]*testenv.HTTPBackend
}

const exitPolicy = `variable "approval" {
  type    = string
  default = "none"
}
variable "sock" {
  type    = string
  default = %q
}

state "file" { path = %q }

failback "web" {
  primary   = "dc1"
  secondary = "dr"

  check "http" "dc1" {
    url                 = "%s/healthz"
    interval            = "10s"
    timeout             = "2s"
    healthy_threshold   = 1
    unhealthy_threshold = 1
    evidence_ttl        = "1h"
  }
  check "http" "dr" {
    of                  = "secondary"
    url                 = "%s/healthz"
    interval            = "10s"
    timeout             = "2s"
    healthy_threshold   = 1
    unhealthy_threshold = 1
    evidence_ttl        = "1h"
  }

  target "haproxy_backend" "lb" {
    runtime_api = var.sock
    backend     = "app"
    primary     = ["primary"]
    secondary   = ["secondary"]
  }

  rollout {
    steps               = [25, 50, 100]
    bake                = "1h"
    primary_healthy_for = "1ms"
    cooldown            = "1ms"
    approval            = var.approval
  }
}
`

// exitCase is one command and one outcome. setup runs first (each step is
// a command line, or one of the world's actions: "unhealthy primary",
// "unhealthy secondary", "drift", "lock"); args then must exit code.
type exitCase struct {
	name  string
	setup []string
	args  string
	code  app.ExitCode
	// stdout and stderr, in text mode, must contain these.
	stdout, stderr string
	// keys the JSON document must have besides format_version.
	keys []string
}

// exitCases is every command × every outcome it can produce.
var exitCases = []exitCase{
	{name: "validate/ok", args: "validate", code: app.ExitOK, keys: []string{"valid", "failbacks"}},
	{name: "validate/invalid", args: "validate -f missing.hcl", code: app.ExitInvalid, keys: []string{"diagnostics"}},
	{name: "validate/usage", args: "validate extra", code: app.ExitInvalid, keys: []string{"error"}},

	{name: "plan/ok", args: "plan", code: app.ExitOK, keys: []string{"failbacks", "exit_code"}},
	{name: "plan/detailed-nothing", setup: []string{"pause web"}, args: "plan --detailed-exitcode", code: app.ExitOK},
	{name: "plan/detailed-shift", setup: []string{"reconcile --var approval=first_step", "approve web --var approval=first_step"},
		args: "plan --detailed-exitcode --var approval=first_step", code: app.ExitChanges, stdout: "would shift 0% -> 25%"},
	{name: "plan/detailed-halt", setup: []string{"shift web --percent 25", "resume web", "drift"}, args: "plan --detailed-exitcode", code: app.ExitChanges},
	{name: "plan/unknown-failback", args: "plan nosuch", code: app.ExitInvalid, stderr: `no failback named "nosuch"`, keys: []string{"error"}},
	{name: "plan/provider-error", args: "plan --var sock=/nonexistent/haproxy.sock", code: app.ExitFailure},

	{name: "reconcile/ok", args: "reconcile", code: app.ExitOK},
	{name: "reconcile/provider-error", args: "reconcile --var sock=/nonexistent/haproxy.sock", code: app.ExitFailure},
	{name: "reconcile/locked", setup: []string{"lock"}, args: "reconcile", code: app.ExitLocked},
	{name: "reconcile/unhealthy", setup: []string{"shift web --percent 25", "unhealthy primary"}, args: "reconcile", code: app.ExitUnhealthy},
	{name: "reconcile/halted", setup: []string{"shift web --percent 25", "resume web", "drift"}, args: "reconcile", code: app.ExitHalted},
	{name: "reconcile/invalid-flag", args: "reconcile --bogus", code: app.ExitInvalid, keys: []string{"error"}},

	{name: "reconcile-wait/complete", setup: []string{"shift web --percent 100", "resume web"}, args: "reconcile --wait --timeout 1m", code: app.ExitOK},
	{name: "reconcile-wait/approval", args: "reconcile --wait --timeout 1m --var approval=first_step", code: app.ExitWaiting},
	{name: "reconcile-wait/paused", setup: []string{"pause web"}, args: "reconcile --wait --timeout 1m", code: app.ExitWaiting},
	{name: "reconcile-wait/halted", setup: []string{"shift web --percent 25", "resume web", "drift"}, args: "reconcile --wait --timeout 1m", code: app.ExitHalted},
	{name: "reconcile-wait/locked", setup: []string{"lock"}, args: "reconcile --wait --timeout 1m", code: app.ExitLocked},
	{name: "reconcile-wait/provider-error", args: "reconcile --wait --timeout 1m --var sock=/nonexistent/haproxy.sock", code: app.ExitFailure},

	{name: "shift/ok", args: "shift web --percent 25", code: app.ExitOK},
	{name: "shift/nothing-to-change", setup: []string{"shift web --percent 25"}, args: "shift web --percent 25", code: app.ExitOK,
		stdout: "nothing changed, nothing recorded"},
	{name: "shift/phase-only", setup: []string{"shift web --percent 25", "resume web"}, args: "shift web --percent 25", code: app.ExitOK,
		stdout: "the share the targets already deliver (shifting -> manual); holding there"},
	{name: "shift/unhealthy", setup: []string{"unhealthy primary"}, args: "shift web --percent 50", code: app.ExitUnhealthy},
	{name: "shift/halted", setup: []string{"shift web --percent 25", "unhealthy secondary"}, args: "shift web --percent 0", code: app.ExitHalted},
	{name: "shift/locked", setup: []string{"lock"}, args: "shift web --percent 25", code: app.ExitLocked},
	{name: "shift/unknown-failback", args: "shift nosuch --percent 25", code: app.ExitInvalid, keys: []string{"error"}},
	{name: "shift/bad-percent", args: "shift web --percent 1e1", code: app.ExitInvalid, keys: []string{"error"}},
	{name: "shift/provider-error", args: "shift web --percent 25 --var sock=/nonexistent/haproxy.sock", code: app.ExitFailure},

	{name: "pause/ok", args: "pause web", code: app.ExitOK},
	{name: "pause/locked", setup: []string{"lock"}, args: "pause web", code: app.ExitLocked},
	{name: "pause/unknown-failback", args: "pause nosuch", code: app.ExitInvalid, keys: []string{"error"}},

	{name: "resume/ok", setup: []string{"pause web"}, args: "resume web", code: app.ExitOK},
	{name: "resume/unknown-failback", args: "resume nosuch", code: app.ExitInvalid, keys: []string{"error"}},
	{name: "resume/locked", setup: []string{"lock"}, args: "resume web", code: app.ExitLocked},

	{name: "abort/ok", setup: []string{"shift web --percent 25"}, args: "abort web", code: app.ExitOK},
	{name: "abort/halted", setup: []string{"shift web --percent 25", "unhealthy secondary"}, args: "abort web", code: app.ExitHalted},
	{name: "abort/locked", setup: []string{"lock"}, args: "abort web --lock-wait 0", code: app.ExitLocked},
	{name: "abort/usage", args: "abort", code: app.ExitInvalid, keys: []string{"error"}},

	{name: "approve/ok", setup: []string{"reconcile --var approval=first_step"}, args: "approve web --var approval=first_step", code: app.ExitOK},
	{name: "approve/refused", setup: []string{"pause web"}, args: "approve web", code: app.ExitRefused,
		stderr: "nothing to approve: the failback is paused"},
	{name: "approve/locked", setup: []string{"lock"}, args: "approve web", code: app.ExitLocked},

	{name: "status/ok", args: "status", code: app.ExitOK, keys: []string{"failbacks"}},
	{name: "status/unknown-failback", args: "status nosuch", code: app.ExitInvalid, keys: []string{"error"}},
	{name: "history/ok", setup: []string{"pause web"}, args: "history", code: app.ExitOK, keys: []string{"events"}},
	{name: "history/unknown-failback", args: "history nosuch", code: app.ExitInvalid, keys: []string{"error"}},

	{name: "fmt/ok", args: "fmt POLICYDIR", code: app.ExitOK},
	{name: "fmt/check-unformatted", setup: []string{"unformat"}, args: "fmt --check POLICYDIR", code: app.ExitInvalid, keys: []string{"files"}},
	{name: "fmt/missing", args: "fmt /nonexistent/x.hcl", code: app.ExitInvalid, keys: []string{"error"}},

	{name: "version/ok", args: "version", code: app.ExitOK, keys: []string{"version", "go_version"}},
	{name: "version/usage", args: "version extra", code: app.ExitInvalid, keys: []string{"error"}},
	{name: "unknown-command", args: "frobnicate", code: app.ExitInvalid, keys: []string{"error"}},
}

// TestExitCodesTable runs every command × outcome in text and in JSON and
// checks the exit code; in JSON, stdout must be one document with
// format_version, its exit_code (when it has one) equal to the process's,
// and, for a failure that printed no document of its own, the error
// document.
func TestExitCodesTable(t *testing.T) {
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	w := &exitWorld{t: t, backend: map[string]*testenv.HTTPBackend{"primary": be[0], "secondary": be[1]}}
	w.hap = testenv.StartHAProxy(t, testenv.HAProxyConfig{Servers: []testenv.HAProxyServer{be[0].Server(0), be[1].Server(256)}})
	for _, c := range exitCases {
		for _, format := range []string{"text", "json"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				dir := w.reset(t)
				for _, s := range c.setup {
					w.do(t, dir, s)
				}
				args := w.args(dir, c.args)
				if format == "json" {
					args = append(args, "-o", "json")
				}
				code, stdout, stderr := runFbctl(args...)
				if code != c.code {
					t.Fatalf("fbctl %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, c.code, stdout, stderr)
				}
				if format == "text" {
					if !strings.Contains(stdout, c.stdout) {
						t.Errorf("stdout does not say %q:\n%s", c.stdout, stdout)
					}
					if !strings.Contains(stderr, c.stderr) {
						t.Errorf("stderr does not say %q:\n%s", c.stderr, stderr)
					}
					return
				}
				checkJSONDoc(t, stdout, code, c.keys)
			})
		}
	}
}

// checkJSONDoc asserts that stdout is exactly one JSON object with the
// fields every document has and keys.
func checkJSONDoc(t *testing.T, stdout string, code app.ExitCode, keys []string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout has more than one document:\n%s", stdout)
	}
	if doc["format_version"] != "1.0" {
		t.Errorf("format_version %v:\n%s", doc["format_version"], stdout)
	}
	if ec, ok := doc["exit_code"]; ok && ec != float64(code) {
		t.Errorf("exit_code %v in the document, the process exited %d", ec, code)
	}
	if e, ok := doc["error"].(map[string]any); ok {
		if e["kind"] != code.Name() || e["message"] == "" {
			t.Errorf("error %v, want kind %q and a message", e, code.Name())
		}
	}
	for _, k := range keys {
		if _, ok := doc[k]; !ok {
			t.Errorf("no %q in the document:\n%s", k, stdout)
		}
	}
}

// runFbctl runs fbctl in-process.
func runFbctl(args ...string) (app.ExitCode, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, app.IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

// reset writes a fresh policy and state directory and puts the world back:
// all traffic on the secondary, both sides healthy.
func (w *exitWorld) reset(t *testing.T) string {
	dir := t.TempDir()
	src := fmt.Sprintf(exitPolicy, w.hap.SocketPath, filepath.Join(dir, "state"), w.backend["primary"].URL, w.backend["secondary"].URL)
	if err := os.WriteFile(filepath.Join(dir, "fbctl.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	w.hap.SetWeight(t, "app", "primary", 0)
	w.hap.SetWeight(t, "app", "secondary", 256)
	w.backend["primary"].SetHealthy(true)
	w.backend["secondary"].SetHealthy(true)
	return dir
}

// args expands a command line of the table for the case's directory.
func (w *exitWorld) args(dir, line string) []string {
	line = strings.ReplaceAll(line, "POLICYDIR", dir)
	args := strings.Fields(line)
	for _, a := range args {
		if a == "fmt" || a == "version" || a == "-f" {
			return args
		}
	}
	return append(args, "-f", filepath.Join(dir, "fbctl.hcl"))
}

// do runs one setup step.
func (w *exitWorld) do(t *testing.T, dir, step string) {
	t.Helper()
	switch step {
	case "unhealthy primary":
		w.backend["primary"].SetHealthy(false)
	case "unhealthy secondary":
		w.backend["secondary"].SetHealthy(false)
	case "drift":
		w.hap.SetWeight(t, "app", "primary", 128)
		w.hap.SetWeight(t, "app", "secondary", 128)
	case "unformat":
		if err := os.WriteFile(filepath.Join(dir, "ugly.hcl"), []byte("x   =    1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	case "lock":
		store, err := state.OpenFile(filepath.Join(dir, "state"), state.FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		host, _ := os.Hostname()
		l, err := store.Lock(context.Background(), "web", state.LockInfo{Owner: "someone-else", Host: host, PID: os.Getpid(),
			RunID: "other-run", Expires: time.Now().Add(10 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Unlock() })
	default:
		args := w.args(dir, step)
		if code, stdout, stderr := runFbctl(args...); code != app.ExitOK {
			t.Fatalf("setup fbctl %s: exit %d\n%s%s", step, code, stdout, stderr)
		}
	}
}

// TestJSONLogStream: with --log-format json, everything on stderr is one
// JSON object per line with a time, the result of each failback is a
// record with fields, and stdout (text) is empty, so that the documented
// cron line (2>&1 into one file) writes JSON Lines only.
func TestJSONLogStream(t *testing.T) {
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	w := &exitWorld{t: t, backend: map[string]*testenv.HTTPBackend{"primary": be[0], "secondary": be[1]}}
	w.hap = testenv.StartHAProxy(t, testenv.HAProxyConfig{Servers: []testenv.HAProxyServer{be[0].Server(0), be[1].Server(256)}})
	dir := w.reset(t)
	for _, tc := range []struct {
		args  string
		code  app.ExitCode
		level string
		msg   string
	}{
		{"reconcile", app.ExitOK, "INFO", "web: "},
		{"shift web --percent 25 --force", app.ExitOK, "WARN", "--force bypasses the health gate"},
		{"shift web --percent 25", app.ExitOK, "INFO", "nothing changed, nothing recorded"},
		{"approve web", app.ExitRefused, "ERROR", "nothing to approve: the failback is manual"},
		{"plan nosuch", app.ExitInvalid, "ERROR", `no failback named "nosuch"`},
		{"reconcile --bogus", app.ExitInvalid, "ERROR", "unknown flag: --bogus"},
		{"reconcile --lock-lease -1m", app.ExitInvalid, "ERROR", "--lock-lease must be positive"},
		{"validate -f missing.hcl", app.ExitInvalid, "ERROR", "Policy file not found"},
	} {
		args := append(w.args(dir, tc.args), "--log-format", "json")
		code, stdout, stderr := runFbctl(args...)
		if code != tc.code {
			t.Fatalf("fbctl %s: exit %d, want %d\n%s", tc.args, code, tc.code, stderr)
		}
		if stdout != "" && !strings.HasPrefix(tc.args, "validate") {
			t.Errorf("fbctl %s: stdout is not empty with --log-format json:\n%s", tc.args, stdout)
		}
		found := false
		sc := bufio.NewScanner(strings.NewReader(stderr))
		for sc.Scan() {
			var rec map[string]any
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("fbctl %s: a stderr line is not JSON: %q", tc.args, sc.Text())
			}
			if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(rec["time"])); err != nil {
				t.Errorf("fbctl %s: a record without a time: %s", tc.args, sc.Text())
			}
			msg, _ := rec["msg"].(string)
			if rec["level"] == tc.level && strings.Contains(msg, tc.msg) {
				found = true
			}
			if strings.HasPrefix(msg, "web: ") && rec["failback"] != "web" {
				t.Errorf("fbctl %s: a result record without its fields: %s", tc.args, sc.Text())
			}
		}
		if !found {
			t.Errorf("fbctl %s: no %s record saying %q:\n%s", tc.args, tc.level, tc.msg, stderr)
		}
	}
}

// TestJSONLines: -o jsonl prints one compact object per failback (run
// commands, status) or per event (history), each on one line with its
// format_version, and an error as one line too.
func TestJSONLines(t *testing.T) {
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	w := &exitWorld{t: t, backend: map[string]*testenv.HTTPBackend{"primary": be[0], "secondary": be[1]}}
	w.hap = testenv.StartHAProxy(t, testenv.HAProxyConfig{Servers: []testenv.HAProxyServer{be[0].Server(0), be[1].Server(256)}})
	dir := w.reset(t)
	for _, tc := range []struct {
		args  string
		code  app.ExitCode
		lines int
		key   string
	}{
		{"reconcile", app.ExitOK, 1, "name"},
		{"pause web", app.ExitOK, 1, "name"},
		{"status", app.ExitOK, 1, "phase"},
		{"history", app.ExitOK, 1, "type"},
		{"approve web", app.ExitRefused, 1, "error"},
		{"status nosuch", app.ExitInvalid, 1, "error"},
		{"version", app.ExitOK, 1, "go_version"},
	} {
		args := append(w.args(dir, tc.args), "-o", "jsonl")
		code, stdout, stderr := runFbctl(args...)
		if code != tc.code {
			t.Fatalf("fbctl %s: exit %d, want %d\n%s", tc.args, code, tc.code, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if len(lines) < tc.lines {
			t.Fatalf("fbctl %s -o jsonl: %d lines, want at least %d:\n%s", tc.args, len(lines), tc.lines, stdout)
		}
		for _, l := range lines {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatalf("fbctl %s -o jsonl: not one object per line: %q", tc.args, l)
			}
			if rec["format_version"] != "1.0" {
				t.Errorf("fbctl %s -o jsonl: no format_version: %s", tc.args, l)
			}
			if _, ok := rec[tc.key]; !ok {
				t.Errorf("fbctl %s -o jsonl: no %q: %s", tc.args, tc.key, l)
			}
		}
	}
}

// TestShiftRecordsOnlyChanges: a shift to the share the failback is held
// at changes nothing and records nothing; one that changes only the phase
// (shifting -> manual) is recorded, without a share change.
func TestShiftRecordsOnlyChanges(t *testing.T) {
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	w := &exitWorld{t: t, backend: map[string]*testenv.HTTPBackend{"primary": be[0], "secondary": be[1]}}
	w.hap = testenv.StartHAProxy(t, testenv.HAProxyConfig{Servers: []testenv.HAProxyServer{be[0].Server(0), be[1].Server(256)}})
	dir := w.reset(t)
	events := func() []map[string]any {
		t.Helper()
		code, stdout, stderr := runFbctl(w.args(dir, "history -o json")...)
		if code != app.ExitOK {
			t.Fatalf("history: exit %d\n%s", code, stderr)
		}
		var doc struct {
			Events []map[string]any `json:"events"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Events
	}
	w.do(t, dir, "shift web --percent 25")
	n := len(events())
	w.do(t, dir, "shift web --percent 25")
	if got := events(); len(got) != n {
		t.Fatalf("a shift that changed nothing was recorded: %v", got[n:])
	}
	w.do(t, dir, "resume web")
	n = len(events())
	w.do(t, dir, "shift web --percent 25")
	got := events()
	if len(got) != n+1 {
		t.Fatalf("a shift that changed the phase recorded %d events, want 1: %v", len(got)-n, got[n:])
	}
	ev := got[n]
	if ev["type"] != "manual_shift" || ev["from"] != nil || ev["to"] != nil {
		t.Fatalf("phase-only shift recorded as %v, want a manual_shift with no share change", ev)
	}
}

// TestGRPCLogsThroughSlog: an error gRPC logs is a record of slog.Default
// (a JSON object with a time under --log-format json), not gRPC's own line.
func TestGRPCLogsThroughSlog(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	grpcLogger{}.Errorf("transport: %s", "broken")
	grpcLogger{}.Infof("chatty: %d", 1)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON record: %v\n%s", err, buf.String())
	}
	if rec["level"] != "ERROR" || rec["msg"] != "transport: broken" || rec["library"] != "grpc" || rec["time"] == nil {
		t.Fatalf("record %v", rec)
	}
}
