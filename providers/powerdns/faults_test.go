package powerdns_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// faultProxy stands in front of the real PowerDNS API: it counts the
// requests by method and answers the next ones with the statuses queued.
type faultProxy struct {
	mu     sync.Mutex
	counts map[string]int
	queue  []int
	srv    *httptest.Server
}

func newFaultProxy(t *testing.T, apiURL string) *faultProxy {
	t.Helper()
	u, err := url.Parse(apiURL)
	if err != nil {
		t.Fatal(err)
	}
	f := &faultProxy{counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.counts[r.Method]++
		status := 0
		if len(f.queue) > 0 {
			status, f.queue = f.queue[0], f.queue[1:]
		}
		f.mu.Unlock()
		if status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error": "injected"}`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *faultProxy) fail(statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, statuses...)
}

func (f *faultProxy) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = nil
}

func (f *faultProxy) calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.counts {
		out[k] = v
	}
	clear(f.counts)
	return out
}

// Faults and API economy: a run's Observe is one GET, an Apply one PATCH
// and one GET to read back; throttling and 5xx are transient errors that
// change nothing, a 401 is not; the record is right once the API answers.
func TestFaultsAndCalls(t *testing.T) {
	p := startPDNS(t)
	proxy := newFaultProxy(t, p.APIURL)
	pc := &providers.ProviderConfig{Type: "powerdns", Name: "pdns", Attrs: cty.ObjectVal(map[string]cty.Value{
		"api_url":   cty.StringVal(proxy.srv.URL),
		"api_key":   cty.StringVal(p.APIKey).Mark("sensitive"),
		"server_id": cty.StringVal("localhost"),
	})}
	setLUA(t, p, "www", initial)
	tg := newTarget(t, pc, nil)

	run := providers.WithRunCache(ctx(t))
	if _, err := tg.Observe(run); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Observe(run); err != nil {
		t.Fatal(err)
	}
	if c := proxy.calls(); c[http.MethodGet] != 1 || len(c) != 1 {
		t.Fatalf("two Observes in one run made %v, want one GET", c)
	}
	if _, err := tg.Apply(providers.WithRunCache(ctx(t)), 2500); err != nil {
		t.Fatal(err)
	}
	if c := proxy.calls(); c[http.MethodPatch] != 1 {
		t.Fatalf("an Apply made %v, want one PATCH", c)
	}
	before := luaRecords(t, p, "www")

	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusInternalServerError} {
		proxy.fail(status, status, status, status)
		_, err := tg.Apply(providers.WithRunCache(ctx(t)), 5000)
		if err == nil || !providers.IsTransient(err) {
			t.Fatalf("Apply through HTTP %d = %v, want a transient error", status, err)
		}
		proxy.clear() // the client may have retried fewer times than queued
		if got := luaRecords(t, p, "www"); len(got) != len(before) || got[0] != before[0] {
			t.Fatalf("a failed Apply (HTTP %d) changed the record: %v, was %v", status, got, before)
		}
	}
	proxy.fail(http.StatusUnauthorized)
	if _, err := tg.Observe(providers.WithRunCache(ctx(t))); err == nil || providers.IsTransient(err) {
		t.Fatalf("Observe through HTTP 401 = %v, want a fatal error", err)
	}
	proxy.clear()
	if got, err := tg.Apply(providers.WithRunCache(ctx(t)), 5000); err != nil || got != 5000 {
		t.Fatalf("Apply once the API answers = %v, %v", got, err)
	}
}
