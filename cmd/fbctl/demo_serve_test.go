package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/app"
)

// The AWS variables `fbctl demo` sets in its own process.
var demoAWSEnv = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"}

var loopbackURL = regexp.MustCompile(`http://[0-9.:\[\]a-z]+:[0-9]+`)

// waitFor polls cond (the output of a process or goroutine under test)
// until it holds, failing the test when done delivers first or after 60s.
func waitFor(t *testing.T, what string, cond func() bool, done <-chan struct{}, output func() string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		select {
		case <-done:
			t.Fatalf("ended before %s:\n%s", what, output())
		case <-time.After(10 * time.Millisecond): // polling the output
		}
		if time.Now().After(deadline) {
			t.Fatalf("never %s:\n%s", what, output())
		}
	}
}

// assertStopped requires every URL's port to be closed.
func assertStopped(t *testing.T, urls []string) {
	t.Helper()
	for _, u := range urls {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := net.DialTimeout("tcp", pu.Host, 2*time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after the demo stopped", u)
		}
	}
}

// assertLoopback requires every URL to be on 127.0.0.1, each on its own port.
func assertLoopback(t *testing.T, urls []string) {
	t.Helper()
	if len(urls) < 5 {
		t.Fatalf("expected the two emulators, two services and the control endpoint, got %v", urls)
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Errorf("%s is not on 127.0.0.1", u)
		}
	}
}

func httpDo(t *testing.T, method, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// TestDemoServeSandbox runs `fbctl demo --serve` in-process until its
// context is cancelled, and in the meantime the very commands it prints,
// also in-process: status, plan, reconcile until the primary is healthy,
// shift to 25 % (read back from the emulators through the control
// endpoint), pause and resume, the primary made to fail through the
// control endpoint and the reconcile that rolls back, abort and history.
// Then the context is cancelled: every port must be closed and the
// directory removed.
func TestDemoServeSandbox(t *testing.T) {
	for _, k := range demoAWSEnv {
		t.Setenv(k, os.Getenv(k)) // Demo sets them for its process: restore them afterwards
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	out, errOut := &syncBuf{}, &syncBuf{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	var code app.ExitCode
	go func() {
		defer close(done)
		code = run(ctx, []string{"demo", "--serve"}, app.IO{Out: out, ErrOut: errOut})
	}()
	both := func() string { return out.String() + errOut.String() }
	waitFor(t, "printed the commands", func() bool { return strings.Contains(out.String(), "Ctrl-C stops everything") }, done, both)

	text := out.String()
	var urls []string
	for _, u := range loopbackURL.FindAllString(text, -1) {
		if !slices.Contains(urls, u) { // the control endpoint's URL recurs in its commands
			urls = append(urls, u)
		}
	}
	assertLoopback(t, urls)
	// The printed commands, by what follows "fbctl -f POLICY" or "curl":
	// run exactly as printed.
	cmds := map[string][]string{}
	policyPath := ""
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "  # ")
		f := strings.Fields(line)
		switch {
		case len(f) > 3 && f[0] == "fbctl" && f[1] == "-f":
			policyPath = f[2]
			cmds[strings.Join(f[3:], " ")] = f[1:]
		case len(f) > 1 && f[0] == "curl":
			cmds[strings.Join(f[1:len(f)-1], " ")+" "+f[len(f)-1][strings.LastIndex(f[len(f)-1], "/"):]] = f[1:]
		}
	}
	if !strings.HasPrefix(policyPath, tmp) {
		t.Fatalf("policy %q is not in TMPDIR %s:\n%s", policyPath, tmp, text)
	}
	if _, err := os.Stat(policyPath); err != nil {
		t.Fatal(err)
	}
	fbctl := func(want app.ExitCode, name string) string {
		t.Helper()
		args, ok := cmds[name]
		if !ok {
			t.Fatalf("no printed command %q in:\n%s", name, text)
		}
		var o, e bytes.Buffer
		if got := run(context.Background(), args, app.IO{Out: &o, ErrOut: &e}); got != want {
			t.Fatalf("fbctl %s exited %d, want %d:\n%s%s", strings.Join(args, " "), got, want, o.String(), e.String())
		}
		return o.String() + e.String()
	}
	curl := func(name string) string {
		t.Helper()
		args, ok := cmds[name]
		if !ok {
			t.Fatalf("no printed command %q in:\n%s", name, text)
		}
		method := http.MethodGet
		if len(args) == 3 && args[0] == "-X" {
			method = args[1]
		}
		status, body := httpDo(t, method, args[len(args)-1])
		if status != http.StatusOK {
			t.Fatalf("curl %s: HTTP %d %s", strings.Join(args, " "), status, body)
		}
		return body
	}

	if o := fbctl(0, "status"); !regexp.MustCompile(`checkout +secondary +0%`).MatchString(o) {
		t.Fatalf("status:\n%s", o)
	}
	fbctl(0, "plan")
	// healthy_threshold = 2: the second probe makes the primary healthy.
	waitFor(t, "found the primary healthy", func() bool {
		return strings.Contains(fbctl(0, "reconcile"), "the primary has been healthy for")
	}, done, both)
	fbctl(0, "shift checkout --percent 25")
	const at25 = "route53 aws-use1=64 gcp-usc1=192 | alb aws=250 gcp=750 | urlmap checkout-aws=250 checkout-gcp=750"
	if w := curl("-s /weights"); w != at25 {
		t.Fatalf("weights after shift 25:\n got %s\nwant %s", w, at25)
	}
	fbctl(0, "pause checkout")
	fbctl(0, "resume checkout")

	curl("-X POST /fail")
	if o := fbctl(app.ExitUnhealthy, "reconcile"); !strings.Contains(o, "rollback 25% -> 0%: the primary is unhealthy") {
		t.Fatalf("reconcile after the primary failed:\n%s", o)
	}
	const at0 = "route53 aws-use1=0 gcp-usc1=255 | alb aws=0 gcp=999 | urlmap checkout-aws=0 checkout-gcp=1000"
	if w := curl("-s /weights"); w != at0 {
		t.Fatalf("weights after the rollback:\n got %s\nwant %s", w, at0)
	}
	curl("-X POST /recover")
	fbctl(0, "abort checkout")
	if o := fbctl(0, "history checkout"); !strings.Contains(o, "rollback") || !strings.Contains(o, "abort") {
		t.Fatalf("history:\n%s", o)
	}
	if !strings.Contains(errOut.String(), "aws-use1 (primary): ") {
		t.Errorf("the control endpoint's changes are not said on stderr:\n%s", errOut.String())
	}

	cancel()
	<-done
	if code != app.ExitOK {
		t.Fatalf("demo --serve exited %d:\n%s", code, both())
	}
	dir := strings.TrimSuffix(policyPath, "/fbctl.hcl")
	if !strings.Contains(out.String(), "removed "+dir) {
		t.Errorf("it does not say what it cleaned up:\n%s", out.String())
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there: %v", dir, err)
	}
	assertStopped(t, urls)
}

// demoServeDoc is the part of `fbctl demo --serve -o json` the tests read.
type demoServeDoc struct {
	FormatVersion string            `json:"format_version"`
	Dir           string            `json:"dir"`
	Policy        string            `json:"policy"`
	Env           map[string]string `json:"env"`
	Endpoints     map[string]string `json:"endpoints"`
	Control       map[string]string `json:"control"`
	Commands      []struct {
		About string   `json:"about"`
		Argv  []string `json:"argv"`
		Shell string   `json:"shell"`
	} `json:"commands"`
}

// TestDemoServeJSONUntilSignal runs `fbctl demo --serve -o json` as a
// process: stdout must be one JSON document describing the sandbox; a
// printed command run in another process with nothing but the printed
// environment (no ~/.aws) must reach the emulators; SIGINT must stop
// everything, remove the directory, say so on stderr and exit 130.
func TestDemoServeJSONUntilSignal(t *testing.T) {
	tmp := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "TMPDIR=") && !strings.HasPrefix(kv, "FBCTL_") {
			env = append(env, kv)
		}
	}
	env = append(env, "TMPDIR="+tmp, "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull)

	c := exec.Command("fbctl", "demo", "--serve", "-o", "json")
	c.Env = env
	stdout, stderr := &syncBuf{}, &syncBuf{}
	c.Stdout, c.Stderr = stdout, stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = c.Wait(); close(done) }()
	defer func() {
		select {
		case <-done:
		default:
			_ = c.Process.Kill()
			<-done
		}
	}()
	both := func() string { return stdout.String() + stderr.String() }
	var doc demoServeDoc
	waitFor(t, "printed a JSON document", func() bool {
		return json.Unmarshal([]byte(stdout.String()), &doc) == nil
	}, done, both)

	if doc.FormatVersion != "1.0" || !strings.HasPrefix(doc.Dir, tmp) || doc.Policy != doc.Dir+"/fbctl.hcl" {
		t.Fatalf("document: %+v", doc)
	}
	var urls []string
	for _, u := range doc.Endpoints {
		urls = append(urls, u)
	}
	assertLoopback(t, urls)
	if doc.Control["primary_fail"] != doc.Endpoints["control"]+"/primary/fail" {
		t.Errorf("control: %v", doc.Control)
	}
	if status, _ := httpDo(t, http.MethodGet, doc.Control["primary_fail"]); status != http.StatusMethodNotAllowed {
		t.Errorf("GET %s: HTTP %d, want 405: only POST breaks a site", doc.Control["primary_fail"], status)
	}
	var plan []string
	for _, cmd := range doc.Commands {
		if cmd.Argv[0] == "fbctl" && cmd.Argv[len(cmd.Argv)-1] == "plan" {
			plan = cmd.Argv
		}
	}
	if plan == nil {
		t.Fatalf("no plan among the commands: %+v", doc.Commands)
	}
	p := exec.Command(plan[0], append(append([]string{}, plan[1:]...), "-o", "json")...)
	p.Env = env
	for k, v := range doc.Env {
		p.Env = append(p.Env, k+"="+v)
	}
	if o, err := p.CombinedOutput(); err != nil || !strings.Contains(string(o), `"name": "checkout"`) {
		t.Fatalf("%v with the printed environment: %v\n%s", plan, err, o)
	}

	if err := c.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-done
	if code := exitCode(waitErr); code != int(app.ExitInterrupted) {
		t.Fatalf("exited %d after SIGINT, want 130:\n%s", code, both())
	}
	dec := json.NewDecoder(strings.NewReader(stdout.String()))
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout holds more than the one document:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "removed "+doc.Dir) {
		t.Errorf("stderr does not say what was cleaned up:\n%s", stderr.String())
	}
	if _, err := os.Stat(doc.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is still there: %v", doc.Dir, err)
	}
	assertStopped(t, urls)
}
