package testenv

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestHAProxySplitsRealTraffic(t *testing.T) {
	be := StartHTTPBackends(t, "a", "b")
	h := StartHAProxy(t, HAProxyConfig{
		Servers:       []HAProxyServer{be[0].Server(3), be[1].Server(1)},
		ExtraBackends: []HAProxyBackend{{Name: "other", Servers: []HAProxyServer{{Name: "x", Addr: "127.0.0.1:1", Weight: 7}}}},
	})
	for _, api := range []struct{ network, addr string }{{"unix", h.SocketPath}, {"tcp", h.RuntimeTCPAddr}} {
		out, err := runtimeCommand(api.network, api.addr, "show info")
		if err != nil || !strings.Contains(out, "Name: HAProxy") {
			t.Fatalf("%s runtime API: %q, %v", api.network, out, err)
		}
	}
	want := map[string]int{"app/a": 3, "app/b": 1, "other/x": 7}
	if got := h.Weights(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Weights = %v, want %v", got, want)
	}

	counts, err := Spread(h.FrontendURL, 400)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("weights 3:1 -> %v", counts)
	if counts["a"] < 280 || counts["a"] > 320 || counts["a"]+counts["b"] != 400 {
		t.Errorf("3:1 split = %v, want about 300/100", counts)
	}
	if got := be[0].Requests() + be[1].Requests(); got != 400 {
		t.Errorf("backends counted %d requests, want 400", got)
	}

	h.SetWeight(t, "app", "a", 0)
	counts, err = Spread(h.FrontendURL, 50)
	if err != nil || counts["b"] != 50 {
		t.Errorf("after a->0: %v, %v", counts, err)
	}
	h.SetWeight(t, "app", "b", 0)
	counts, err = Spread(h.FrontendURL, 5)
	if err != nil || counts["HTTP 503"] != 5 {
		t.Errorf("all weights 0: %v, %v; want 5 x HTTP 503", counts, err)
	}
}

func TestHTTPBackendHealth(t *testing.T) {
	b := StartHTTPBackends(t, "p")[0]
	status := func() int {
		resp, err := http.Get(b.URL + HealthPath)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status(); s != 200 {
		t.Fatalf("healthy: %d", s)
	}
	b.SetHealthy(false)
	if s := status(); s != 503 {
		t.Fatalf("unhealthy: %d", s)
	}
	counts, err := Spread(b.URL, 3)
	if err != nil || counts["p"] != 3 {
		t.Fatalf("traffic while unhealthy: %v, %v", counts, err)
	}
	if b.Requests() != 3 {
		t.Errorf("Requests = %d, want 3 (health checks are not traffic)", b.Requests())
	}
}

// fatalTB records a Fatal instead of failing the real test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestMissingHAProxyFailsWithAHint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	saved := sbinDirs
	sbinDirs = []string{t.TempDir()}
	defer func() { sbinDirs = saved }()

	f := &fatalTB{TB: t}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		StartHAProxy(f, HAProxyConfig{})
	}()
	wg.Wait()
	if !strings.Contains(f.msg, "make deps") {
		t.Fatalf("missing haproxy: Fatal(%q), want a hint to run make deps", f.msg)
	}
}

func TestHAProxyStop(t *testing.T) {
	h := StartHAProxy(t, HAProxyConfig{Servers: []HAProxyServer{{Name: "a", Addr: "127.0.0.1:1", Weight: 1}}})
	h.Stop()
	h.Stop() // idempotent
	if _, err := runtimeCommand("tcp", h.RuntimeTCPAddr, "show info"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("TCP runtime API after Stop: %v, want connection refused", err)
	}
	// haproxy leaves its socket file behind: nobody accepts on it.
	if _, err := runtimeCommand("unix", h.SocketPath, "show info"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("unix runtime API after Stop: %v, want connection refused", err)
	}
}
