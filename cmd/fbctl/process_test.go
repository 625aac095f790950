package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/testenv"
)

// These tests run the real fbctl binary (installed in $PATH by
// testscript.Main in TestMain) as separate processes against a real HAProxy.

type procRig struct {
	t        *testing.T
	dir      string
	hap      *testenv.HAProxy
	primary  *testenv.HTTPBackend
	second   *testenv.HTTPBackend
	checkURL string
}

// procRigOptions extend the policy newProcRig writes.
type procRigOptions struct {
	// SecondaryCheck adds a check "dr" of the secondary side, on r.second's
	// health, with the primary check's pacing (one failure is unhealthy).
	SecondaryCheck bool
	// Approval is the rollout's approval mode; empty for the default.
	Approval string
}

// newProcRig starts two backends, a HAProxy with two backends (two
// targets), and writes a policy whose primary check is checkURL.
func newProcRig(t *testing.T, checkURL string) *procRig {
	t.Helper()
	return newProcRigWith(t, checkURL, procRigOptions{})
}

// newProcRigWith is newProcRig with a policy extended by opts.
func newProcRigWith(t *testing.T, checkURL string, opts procRigOptions) *procRig {
	t.Helper()
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	r := &procRig{t: t, dir: t.TempDir(), primary: be[0], second: be[1], checkURL: checkURL}
	if r.checkURL == "" {
		r.checkURL = r.primary.URL + testenv.HealthPath
	}
	r.hap = testenv.StartHAProxy(t, testenv.HAProxyConfig{
		Servers: []testenv.HAProxyServer{r.primary.Server(0), r.second.Server(256)},
		ExtraBackends: []testenv.HAProxyBackend{{Name: "edge", Servers: []testenv.HAProxyServer{
			{Name: "p2", Addr: r.primary.Addr, Weight: 0}, {Name: "s2", Addr: r.second.Addr, Weight: 256}}}},
	})
	secondaryCheck, approval := "", ""
	if opts.SecondaryCheck {
		secondaryCheck = fmt.Sprintf(`  check "http" "dr" {
    of                  = "secondary"
    url                 = %q
    interval            = "60s"
    timeout             = "60s"
    healthy_threshold   = 1
    unhealthy_threshold = 1
    evidence_ttl        = "1h"
  }
`, r.second.URL+testenv.HealthPath)
	}
	if opts.Approval != "" {
		approval = fmt.Sprintf("    approval            = %q\n", opts.Approval)
	}
	policy := fmt.Sprintf(`
state "file" { path = "state" }
failback "web" {
  primary   = "dc1"
  secondary = "dr"
  check "http" "dc1" {
    url                 = %q
    interval            = "60s"
    timeout             = "60s"
    healthy_threshold   = 1
    unhealthy_threshold = 1
    evidence_ttl        = "1h"
  }
%s  target "haproxy_backend" "lb1" {
    runtime_api = %q
    backend     = "app"
    primary     = ["primary"]
    secondary   = ["secondary"]
  }
  target "haproxy_backend" "lb2" {
    runtime_api = %q
    backend     = "edge"
    primary     = ["p2"]
    secondary   = ["s2"]
  }
  rollout {
    steps               = [25, 100]
    bake                = "1h"
    primary_healthy_for = "1s"
%s  }
}
`, r.checkURL, secondaryCheck, r.hap.SocketPath, r.hap.RuntimeTCPAddr, approval)
	if err := os.WriteFile(filepath.Join(r.dir, "fbctl.hcl"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *procRig) cmd(env []string, args ...string) *exec.Cmd {
	c := exec.Command("fbctl", args...)
	c.Dir = r.dir
	c.Env = append(os.Environ(), env...)
	return c
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func (r *procRig) run(args ...string) (int, string) {
	r.t.Helper()
	c := r.cmd(nil, args...)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return exitCode(err), out.String()
}

// TestConcurrentReconcileProcesses starts 20 `fbctl reconcile` processes on
// one failback at once. The first to lock it blocks in its health check
// (the check server holds every request until released); the others must
// exit 4 naming the holder. Then the winner is released and finishes.
func TestConcurrentReconcileProcesses(t *testing.T) {
	release := make(chan struct{})
	var probes atomic.Int32
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		probes.Add(1)
		select {
		case <-release:
		case <-req.Context().Done():
		}
		fmt.Fprintln(w, "ok")
	}))
	defer slow.Close()
	r := newProcRig(t, slow.URL)

	const n = 20
	type result struct {
		code int
		out  string
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		c := r.cmd(nil, "reconcile")
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.Wait()
			results <- result{exitCode(err), out.String()}
		}()
	}
	var codes []int
	for len(codes) < n-1 {
		select {
		case res := <-results:
			codes = append(codes, res.code)
			if res.code != 4 || !strings.Contains(res.out, "locked by") {
				close(release)
				t.Fatalf("a process exited %d:\n%s", res.code, res.out)
			}
		case <-time.After(2 * time.Minute):
			close(release)
			t.Fatalf("only %d of %d processes finished", len(codes), n-1)
		}
	}
	close(release)
	wg.Wait()
	last := <-results
	if last.code != 0 {
		t.Fatalf("the winner exited %d:\n%s", last.code, last.out)
	}
	if p := probes.Load(); p != 1 {
		t.Errorf("the health check was probed %d times; only the lock holder may probe", p)
	}
}

type stateDoc struct {
	Share  int `json:"share"`
	Intent *struct {
		From int `json:"from"`
		To   int `json:"to"`
	} `json:"intent"`
}

func (r *procRig) state() stateDoc {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "state", "web.json"))
	if err != nil {
		r.t.Fatal(err)
	}
	var d stateDoc
	if err := json.Unmarshal(b, &d); err != nil {
		r.t.Fatal(err)
	}
	return d
}

// primaryWeights returns the primary servers' weights in both backends.
func (r *procRig) primaryWeights() (int, int) {
	w := r.hap.Weights(r.t)
	return w["app/primary"], w["edge/p2"]
}

// TestCrashBetweenIntentAndApply SIGKILLs `fbctl reconcile` after it has
// recorded its intent and before it applies the first, then the second
// target. The next run converges both targets to one share: the new one
// while the primary is healthy, the old one when it is not.
func TestCrashBetweenIntentAndApply(t *testing.T) {
	for _, tc := range []struct {
		pauseAt string
		healthy bool
	}{{"lb1", true}, {"lb2", true}, {"lb1", false}, {"lb2", false}} {
		t.Run(fmt.Sprintf("%s/healthy=%v", tc.pauseAt, tc.healthy), func(t *testing.T) {
			r := newProcRig(t, "")
			// First run: evidence only (stabilization of 1s not yet over).
			if code, out := r.run("reconcile", "--lock-lease", "1s"); code != 0 {
				t.Fatalf("first run exited %d:\n%s", code, out)
			}
			// Wait (a condition, polled) until a run decides to shift, and
			// stop it before it applies tc.pauseAt.
			var pausedOut string
			deadline := time.Now().Add(30 * time.Second)
			for {
				c := r.cmd([]string{pauseEnv + "=" + tc.pauseAt}, "reconcile", "--lock-lease", "1s")
				stderr := &syncBuf{}
				c.Stdout, c.Stderr = stderr, stderr
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- c.Wait() }()
				paused := false
				for !paused {
					select {
					case err := <-done:
						if code := exitCode(err); code != 0 {
							t.Fatalf("run exited %d:\n%s", code, stderr.String())
						}
						paused = true // finished without shifting: try again
						stderr.WriteString("\x00finished")
					case <-time.After(10 * time.Millisecond):
						if strings.Contains(stderr.String(), "paused before applying") {
							_ = c.Process.Signal(syscall.SIGKILL)
							<-done
							paused = true
							pausedOut = stderr.String()
						}
					}
				}
				if pausedOut != "" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no run ever decided to shift")
				}
			}
			d := r.state()
			if d.Intent == nil || d.Intent.To != 2500 {
				t.Fatalf("no intent recorded before the kill: %+v\n%s", d, pausedOut)
			}
			r.primary.SetHealthy(tc.healthy)
			// The dead run's lock expires after 1s: poll until a run gets it.
			var code int
			var out string
			for deadline := time.Now().Add(30 * time.Second); ; {
				code, out = r.run("reconcile", "-o", "json")
				if code != 4 || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond) // polling the lock's expiry
			}
			if code != 0 && code != 5 {
				t.Fatalf("recovery run exited %d:\n%s", code, out)
			}
			w1, w2 := r.primaryWeights()
			d = r.state()
			if d.Intent != nil {
				t.Fatalf("intent left after recovery: %+v", d.Intent)
			}
			want := 0
			if tc.healthy {
				want = 2500
			}
			if d.Share != want {
				t.Fatalf("recorded share %d, want %d\n%s", d.Share, want, out)
			}
			// 25% of max_weight 256 is 64; 0% is 0.
			if wantW := want * 256 / 10000; w1 != wantW || w2 != wantW {
				t.Fatalf("primary weights %d and %d, want both %d\n%s", w1, w2, wantW, out)
			}
		})
	}
}

// syncBuf is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) WriteString(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
