package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/testenv"
)

// lockedBuffer is a bytes.Buffer safe for the controller's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// eventually waits, in real time, for cond; a hang fails after limit. The
// controller runs on the wall clock here, so conditions are waited for,
// never slept into.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", limit, what)
		}
		<-tick.C
	}
}

// fbctl run on a real HAProxy, with real checks on the wall clock: the
// rollout moves step by step as each bake ends; the primary fails
// mid-rollout and real traffic is back on the secondary within
// unhealthy_threshold probes; a SIGHUP with a broken policy keeps the
// running one; cancelling (SIGTERM) stops it cleanly with no lock left.
func TestRunControllerOnHAProxy(t *testing.T) {
	e := newE2E(t, `steps               = [25, 50, 100]
    bake                = "3s"
    primary_healthy_for = "1s"
    cooldown            = "1h"`)
	e.primaryCheck = `interval            = "1s"
    timeout             = "500ms"
    healthy_threshold   = 1
    unhealthy_threshold = 2`
	e.secondaryCheck = `interval          = "1s"
    timeout           = "500ms"
    healthy_threshold = 1`
	e.writePolicy(`steps               = [25, 50, 100]
    bake                = "3s"
    primary_healthy_for = "1s"
    cooldown            = "1h"`, e.hap.SocketPath, "primary")
	g := e.global()
	g.Now, g.Output = nil, OutputText // the wall clock, as fbctl run has
	var out, errOut lockedBuffer
	logger, err := NewLogger(&errOut, "info", "text")
	if err != nil {
		t.Fatal(err)
	}
	g.Logger = logger
	addr := make(chan string, 1)
	reload := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- RunController(ctx, IO{Out: &out, ErrOut: &errOut}, RunOptions{Global: g, Listen: "127.0.0.1:0",
			Reload: reload, Watch: 50 * time.Millisecond, Listening: func(a string) { addr <- a }})
	}()
	listen := <-addr
	base := "http://" + listen
	// A real Prometheus scrapes the controller every second.
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{listen}, ScrapeInterval: time.Second})
	get := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck
		resp.Body.Close()
		return resp.StatusCode
	}
	eventually(t, 10*time.Second, "/readyz answers 200", func() bool { return get("/readyz") == 200 })
	if get("/healthz") != 200 {
		t.Fatal("/healthz")
	}
	primaryShare := func() int {
		w := e.hap.Weights(t)
		if w["app/primary"]+w["app/secondary"] == 0 {
			return -1
		}
		return 100 * w["app/primary"] / (w["app/primary"] + w["app/secondary"])
	}
	eventually(t, 30*time.Second, "the rollout's first step", func() bool { return primaryShare() >= 25 })
	// A reload with a broken policy keeps the running one.
	good, err := os.ReadFile(e.policy)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.policy, []byte("failback {"), 0o644); err != nil {
		t.Fatal(err)
	}
	reload <- struct{}{}
	eventually(t, 10*time.Second, "the refused reload is logged", func() bool {
		return strings.Contains(errOut.String(), "the policy was not reloaded")
	})
	// --watch: the policy put back is seen and loaded without a signal.
	if err := os.WriteFile(e.policy, append(good, []byte("\n# edited\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the watched policy is reloaded", func() bool {
		return strings.Contains(errOut.String(), "policy reloaded")
	})

	eventually(t, 30*time.Second, "the rollout reaches 50%", func() bool { return primaryShare() >= 50 })
	if primaryShare() == 100 {
		t.Fatal("the rollout went to 100% before the test could fail the primary; the bake is too short to see a step")
	}

	failed := time.Now()
	e.primary.SetHealthy(false)
	eventually(t, 30*time.Second, "the rollback", func() bool { return primaryShare() == 0 })
	t.Logf("real traffic back on the secondary %s after the primary began failing (unhealthy_threshold 2 x interval 1s)", time.Since(failed).Round(time.Millisecond))
	// Real requests through the frontend all reach the secondary.
	for range 10 {
		resp, err := http.Get(e.hap.FrontendURL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if b := resp.Header.Get("X-Backend"); b != "secondary" {
			t.Fatalf("a request after the rollback reached %q", b)
		}
	}

	// The metrics say so too, once the round that wrote it has read back
	// and recorded it.
	scrape := func() string {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	eventually(t, 10*time.Second, "the rollback in /metrics", func() bool {
		return strings.Contains(scrape(), `fbctl_rollbacks_total{failback="web"} 1`)
	})
	body := scrape()
	for _, want := range []string{
		`fbctl_lease_held{failback="web"} 1`,
		`fbctl_rollbacks_total{failback="web"} 1`,
		`fbctl_failback_share_percent{failback="web"} 0`,
		`fbctl_failback_phase{failback="web",phase="secondary"} 1`,
		`fbctl_check_up{check="dc1",failback="web",side="primary"} 0`,
		`fbctl_decisions_total{action="shift",failback="web"}`,
		`fbctl_provider_requests_total{code="ok"`,
		`fbctl_build_info{`,
		`fbctl_policy_reloads_total{result="failure"}`,
		`fbctl_policy_reloads_total{result="success"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Prometheus has the share and the rollback.
	prom.WaitQuery(t, `fbctl_rollbacks_total{failback="web"}`, 30*time.Second, func(r []testenv.PromSample) bool {
		return len(r) == 1 && r[0].Value == 1
	})
	prom.WaitQuery(t, `fbctl_failback_share_percent{failback="web"}`, 30*time.Second, func(r []testenv.PromSample) bool {
		return len(r) == 1 && r[0].Value == 0
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunController after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("RunController did not return after cancel")
	}
	for _, dir := range []string{e.dir + "/state", e.dir + "/state/" + LeaseArea} {
		entries, _ := os.ReadDir(dir)
		for _, en := range entries {
			if strings.HasSuffix(en.Name(), ".lock") {
				t.Fatalf("a lock or lease was left: %s/%s", dir, en.Name())
			}
		}
	}
	if !strings.Contains(out.String(), "rollback") {
		t.Errorf("stdout does not tell the rollback:\n%s", out.String())
	}
}
