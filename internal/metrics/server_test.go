package metrics

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/state"
)

func startServer(t *testing.T, s *Server) string {
	t.Helper()
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return "http://" + s.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServerEndpoints(t *testing.T) {
	m := newTest(t)
	pos := engine.Position{Phase: state.PhaseShifting, Step: 1, Share: 1000}
	m.ObserveReport(&engine.Report{Failback: "checkout", After: pos,
		Decision: engine.Decision{Action: engine.ActionShift, Writes: true}, Applied: true}, nil)
	s := NewServer(m, nil)
	base := startServer(t, s)

	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`fbctl_failback_share_percent{failback="checkout"} 10`,
		`fbctl_failback_phase{failback="checkout",phase="shifting"} 1`,
		`fbctl_build_info{goversion="go1.26.0",revision="abc123",version="v1.2.3"} 1`,
		"go_goroutines ", "process_start_time_seconds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, body := get(t, base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}

	// Not ready until told, then as the readiness func says.
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "no readiness check") {
		t.Errorf("/readyz before SetReadiness: %d %q", code, body)
	}
	var ready atomic.Bool
	s.SetReadiness(func() error {
		if ready.Load() {
			return nil
		}
		return errors.Join(errors.New("policy not loaded"), errors.New("store does not answer"))
	})
	code, body = get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "policy not loaded") || !strings.Contains(body, "store does not answer") {
		t.Errorf("/readyz not ready: %d %q", code, body)
	}
	ready.Store(true)
	if code, body := get(t, base+"/readyz"); code != http.StatusOK || body != "ready\n" {
		t.Errorf("/readyz ready: %d %q", code, body)
	}
	if code, _ := get(t, base+"/nothing"); code != http.StatusNotFound {
		t.Errorf("/nothing: %d, want 404", code)
	}
	resp, err := http.Post(base+"/metrics", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d, want 405", resp.StatusCode)
	}
}

func TestServerTwice(t *testing.T) {
	s := NewServer(newTest(t), nil)
	startServer(t, s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartListener(ln); err == nil {
		t.Fatal("a second start succeeded")
	}
	// The refused listener was closed: its port is free again.
	l2, err := net.Listen("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("the listener of a refused start is still open: %v", err)
	}
	l2.Close()
}

func TestServerShutdownNeverStarted(t *testing.T) {
	if err := NewServer(newTest(t), nil).Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A client that sends half a request holds its connection only until the
// read timeout; Shutdown with an expired context drops it rather than
// waiting.
func TestServerShutdownDropsStalledClient(t *testing.T) {
	s := NewServer(newTest(t), nil)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = s.Shutdown(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v, want context.Canceled (a connection was still open)", err)
	}
	// The connection is closed: the read ends, with no response.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		t.Errorf("got %q from a server that was shut down", line)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("the stalled connection was left open")
	}
	// And the listener is closed.
	if c2, err := net.Dial("tcp", s.Addr().String()); err == nil {
		c2.Close()
		t.Error("the listener still accepts after Shutdown")
	}
}

func TestServerTimeouts(t *testing.T) {
	s := NewServer(newTest(t), nil)
	startServer(t, s)
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("unbounded timeouts: %+v", srv)
	}
}
