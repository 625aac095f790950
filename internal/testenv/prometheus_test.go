package testenv

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A real prometheus scrapes a loopback target every second: a value the
// target changes is queried back, and a query error fails loudly.
func TestPrometheusScrapesAndQueries(t *testing.T) {
	var v atomic.Int64
	v.Store(7)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, "# TYPE testenv_value gauge\ntestenv_value{kind=\"x\"} "+strconv.FormatInt(v.Load(), 10)+"\n")
	}))
	defer srv.Close()
	rules := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(rules, []byte("groups:\n  - name: t\n    rules:\n      - record: testenv_value_doubled\n        expr: testenv_value * 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := StartPrometheus(t, PrometheusConfig{Targets: []string{strings.TrimPrefix(srv.URL, "http://")},
		ScrapeInterval: time.Second, RuleFiles: []string{rules}})

	is := func(want float64) func([]PromSample) bool {
		return func(s []PromSample) bool { return len(s) == 1 && s[0].Value == want }
	}
	got := p.WaitQuery(t, `testenv_value`, 30*time.Second, is(7))
	if got[0].Labels["kind"] != "x" || got[0].Labels["job"] != "fbctl" {
		t.Errorf("labels %v", got[0].Labels)
	}
	v.Store(9)
	p.WaitQuery(t, `testenv_value`, 30*time.Second, is(9))
	p.WaitQuery(t, `testenv_value_doubled`, 30*time.Second, is(18))
	if s := p.Query(t, `scalar(testenv_value) + 1`); len(s) != 1 || s[0].Value != 10 {
		t.Errorf("scalar query = %v", s)
	}
	if _, err := p.query(`testenv_value{`); err == nil || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("a bad query: %v, want prometheus's bad_data error", err)
	}
	p.Stop()
	if _, err := p.query(`up`); err == nil {
		t.Error("prometheus still answers after Stop")
	}
}
