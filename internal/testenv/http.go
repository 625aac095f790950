package testenv

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// HealthPath is the path on which an HTTPBackend answers its health: 200
// while healthy, 503 after SetHealthy(false). Requests to it are not
// counted as traffic.
const HealthPath = "/healthz"

// HTTPBackend is a local HTTP server that answers every request with its own
// name (body "NAME\n", header X-Backend: NAME) and counts the requests it
// serves.
type HTTPBackend struct {
	Name string
	// Addr is host:port, for an HAProxy `server` line.
	Addr string
	// URL is http://Addr.
	URL string

	requests atomic.Int64
	sick     atomic.Bool
}

// StartHTTPBackends starts one HTTPBackend per name on 127.0.0.1, healthy,
// and closes them when the test ends.
func StartHTTPBackends(t testing.TB, names ...string) []*HTTPBackend {
	t.Helper()
	out := make([]*HTTPBackend, 0, len(names))
	for _, name := range names {
		b := &HTTPBackend{Name: name}
		srv := httptest.NewServer(http.HandlerFunc(b.serve))
		t.Cleanup(srv.Close)
		b.URL = srv.URL
		b.Addr = strings.TrimPrefix(srv.URL, "http://")
		out = append(out, b)
	}
	return out
}

func (b *HTTPBackend) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Backend", b.Name)
	if r.URL.Path == HealthPath {
		if b.sick.Load() {
			http.Error(w, b.Name+" unhealthy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "%s ok\n", b.Name)
		return
	}
	b.requests.Add(1)
	fmt.Fprintf(w, "%s\n", b.Name)
}

// Requests returns the number of requests served, health checks excluded.
func (b *HTTPBackend) Requests() int64 { return b.requests.Load() }

// SetHealthy makes HealthPath answer 200 (true) or 503 (false). Other paths
// keep answering 200, so traffic can still be counted while a check fails.
func (b *HTTPBackend) SetHealthy(ok bool) { b.sick.Store(!ok) }

// Server returns an HAProxy server line for this backend.
func (b *HTTPBackend) Server(weight int) HAProxyServer {
	return HAProxyServer{Name: b.Name, Addr: b.Addr, Weight: weight}
}

// Spread sends n GET requests to url one after the other, each on a fresh
// connection (so a roundrobin balancer really balances by request), and
// returns how many answers came from each backend name (the trimmed body of
// a 200 answer). Answers with another status are counted under
// "HTTP <code>". A request that fails outright is an error.
func Spread(url string, n int) (map[string]int, error) {
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true},
	}
	defer client.CloseIdleConnections()
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		resp, err := client.Get(url)
		if err != nil {
			return counts, fmt.Errorf("request %d of %d: %w", i+1, n, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if err != nil {
			return counts, fmt.Errorf("request %d of %d: reading the answer: %w", i+1, n, err)
		}
		if resp.StatusCode != http.StatusOK {
			counts[fmt.Sprintf("HTTP %d", resp.StatusCode)]++
			continue
		}
		counts[strings.TrimSpace(string(body))]++
	}
	return counts, nil
}

// ClosedAddr returns a loopback address nothing listens on: a port that was
// just bound and released, for tests of refused connections.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
