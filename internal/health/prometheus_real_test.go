package health

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
)

// The prometheus check against a real Prometheus whose TSDB is backfilled
// with a known history: fb_error_ratio{instance="a"} is 0.001 until
// promBase+60m and 0.2 from then on; instance="b" stays at 0.002; fb_nan
// is NaN. Samples are 15s apart over two hours, and the check's evaluation
// time comes from the context (the engine's clock), so every verdict is
// deterministic.

// promBase is the start of the backfilled history, in the recent past of
// the wall clock (Prometheus serves blocks within its retention only).
var promBase = time.Now().Add(-3 * time.Hour).Truncate(time.Minute)

const promDegradeAfter = 60 * time.Minute

// promPass is the password whose bcrypt hash (cost 4) is promHash.
const (
	promUser = "fbctl"
	promPass = "s3cret-pr0m-pass"
	promHash = "$2a$04$5S0iRyVtCHCXiU2GQUeG9uP3sHou0C.zisDXZZ844JwRhEf6DtCSq"
)

func promHistory() string {
	var b strings.Builder
	b.WriteString("# HELP fb_error_ratio Share of failed requests.\n# TYPE fb_error_ratio gauge\n")
	for _, inst := range []string{"a", "b"} {
		for d := time.Duration(0); d <= 2*time.Hour; d += 15 * time.Second {
			v := "0.002"
			if inst == "a" {
				v = "0.001"
				if d >= promDegradeAfter {
					v = "0.2"
				}
			}
			fmt.Fprintf(&b, "fb_error_ratio{instance=%q,job=\"api\"} %s %d\n", inst, v, promBase.Add(d).Unix())
		}
	}
	b.WriteString("# TYPE fb_nan gauge\n")
	for d := time.Duration(0); d <= 2*time.Hour; d += time.Minute {
		fmt.Fprintf(&b, "fb_nan{job=\"api\"} NaN %d\n", promBase.Add(d).Unix())
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// startProm starts a Prometheus on the backfilled history (about 0.2 s).
func startProm(t *testing.T, cfg testenv.PrometheusConfig) *testenv.Prometheus {
	t.Helper()
	cfg.OpenMetrics = promHistory()
	return testenv.StartPrometheus(t, cfg)
}

// probeAtTime probes c as the engine does: with its clock's time in ctx.
func probeAtTime(t *testing.T, c providers.Check, at time.Time) providers.Result {
	t.Helper()
	r := c.Probe(providers.WithNow(context.Background(), at))
	t.Logf("probe at base+%s: healthy=%v unknown=%v detail=%q", at.Sub(promBase), r.Healthy, r.Unknown, r.Detail)
	return r
}

func TestPrometheusCheckRealServer(t *testing.T) {
	p := startProm(t, testenv.PrometheusConfig{})
	a := `fb_error_ratio{instance="a"}`
	type want struct {
		healthy, unknown bool
		detail           []string
	}
	cases := []struct {
		name string
		set  map[string]cty.Value
		at   time.Duration
		want want
	}{
		{"in bounds", map[string]cty.Value{"query": str(a), "max": cty.NumberFloatVal(0.01)}, 30 * time.Minute,
			want{true, false, []string{"value 0.001 <= max 0.01"}}},
		{"out of bounds", map[string]cty.Value{"query": str(a), "max": cty.NumberFloatVal(0.01)}, 90 * time.Minute,
			want{false, false, []string{`series fb_error_ratio{instance="a", job="api"} = 0.2, above max 0.01`}}},
		{"below min", map[string]cty.Value{"query": str(a), "min": cty.NumberFloatVal(0.01), "max": cty.NumberIntVal(1)}, 30 * time.Minute,
			want{false, false, []string{"= 0.001, below min 0.01"}}},
		{"both bounds in", map[string]cty.Value{"query": str(a), "min": cty.NumberFloatVal(0.1), "max": cty.NumberFloatVal(0.2)}, 90 * time.Minute,
			want{true, false, []string{"value 0.2 within [0.1, 0.2]"}}},
		{"several series in bounds", map[string]cty.Value{"query": str("fb_error_ratio"), "max": cty.NumberFloatVal(0.01)}, 30 * time.Minute,
			want{true, false, []string{"2 series, every value <= max 0.01"}}},
		{"several series, one out of bounds", map[string]cty.Value{"query": str("fb_error_ratio"), "max": cty.NumberFloatVal(0.01)}, 90 * time.Minute,
			want{false, false, []string{`instance="a"`, "= 0.2, above max 0.01", "1 of 2 series out of bounds"}}},
		{"scalar", map[string]cty.Value{"query": str(`scalar(sum(fb_error_ratio))`), "max": cty.NumberFloatVal(0.01)}, 30 * time.Minute,
			want{true, false, []string{"value 0.003 <= max 0.01"}}},
		{"NaN is out of bounds", map[string]cty.Value{"query": str("fb_nan"), "min": cty.NumberIntVal(0)}, 30 * time.Minute,
			want{false, false, []string{"= NaN, not a finite number"}}},
		{"for window before the degradation", map[string]cty.Value{"query": str(a), "max": cty.NumberFloatVal(0.01), "for": str("10m"), "step": str("1m")}, 59 * time.Minute,
			want{true, false, []string{"11 samples of 1 series <= max 0.01 over the last 10m0s"}}},
		{"for window overlapping the degradation", map[string]cty.Value{"query": str(a), "max": cty.NumberFloatVal(0.01), "for": str("10m"), "step": str("1m")}, 65 * time.Minute,
			want{false, false, []string{"= 0.2 at " + promBase.Add(promDegradeAfter).UTC().Format(time.RFC3339), "above max 0.01", "(for 10m0s, step 1m0s)"}}},
		{"instant query at the same time passes a for-less check", map[string]cty.Value{"query": str(a), "max": cty.NumberFloatVal(0.01)}, 59 * time.Minute,
			want{true, false, nil}},
		{"empty, unknown by default", map[string]cty.Value{"query": str(`fb_error_ratio{instance="none"}`), "max": cty.NumberIntVal(1)}, 30 * time.Minute,
			want{false, true, []string{`returned no series (empty = "unknown")`}}},
		{"empty = unhealthy", map[string]cty.Value{"query": str(`fb_error_ratio{instance="none"}`), "max": cty.NumberIntVal(1), "empty": str("unhealthy")}, 30 * time.Minute,
			want{false, false, []string{`(empty = "unhealthy")`}}},
		{"empty = healthy", map[string]cty.Value{"query": str(`fb_error_ratio{instance="none"}`), "max": cty.NumberIntVal(1), "empty": str("healthy")}, 30 * time.Minute,
			want{true, false, []string{`(empty = "healthy")`}}},
		{"empty range, unknown", map[string]cty.Value{"query": str(`fb_error_ratio{instance="none"}`), "max": cty.NumberIntVal(1), "for": str("5m")}, 30 * time.Minute,
			want{false, true, []string{"no samples over the last 5m0s"}}},
		{"before the history: empty", map[string]cty.Value{"query": str(a), "max": cty.NumberIntVal(1), "empty": str("unhealthy")}, -time.Hour,
			want{false, false, []string{"no series"}}},
		{"syntax error", map[string]cty.Value{"query": str(`sum(rate(fb_error_ratio[5m])`), "max": cty.NumberIntVal(1)}, 30 * time.Minute,
			want{false, false, []string{`query "sum(rate(fb_error_ratio[5m])" failed: bad_data:`}}},
		{"a string result", map[string]cty.Value{"query": str(`"text"`), "max": cty.NumberIntVal(1)}, 30 * time.Minute,
			want{false, false, []string{"a string result cannot be judged"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]cty.Value{"address": str(p.URL)}
			for k, v := range tc.set {
				set[k] = v
			}
			c := newCheck(t, "prometheus", set, long)
			r := probeAtTime(t, c, promBase.Add(tc.at))
			if r.Healthy != tc.want.healthy || r.Unknown != tc.want.unknown {
				t.Errorf("healthy=%v unknown=%v, want healthy=%v unknown=%v (detail %q)", r.Healthy, r.Unknown, tc.want.healthy, tc.want.unknown, r.Detail)
			}
			for _, d := range tc.want.detail {
				if !strings.Contains(r.Detail, d) {
					t.Errorf("detail %q does not contain %q", r.Detail, d)
				}
			}
		})
	}
}

// A Prometheus that is down (a closed loopback port) is a failed probe that
// says the connection was refused.
func TestPrometheusCheckDown(t *testing.T) {
	addr := "http://" + testenv.ClosedAddr(t)
	c := newCheck(t, "prometheus", map[string]cty.Value{"address": str(addr), "query": str("up"), "min": cty.NumberIntVal(1)}, long)
	r := probeAtTime(t, c, promBase)
	if r.Healthy || r.Unknown || !strings.Contains(r.Detail, "prometheus unreachable") || !strings.Contains(r.Detail, "connection refused") {
		t.Errorf("down: healthy=%v unknown=%v detail %q, want a refused connection", r.Healthy, r.Unknown, r.Detail)
	}
}

// Basic authentication against a real Prometheus (--web.config.file): no
// credentials and a wrong password are refused, the right ones pass, and
// no password ever shows in a Detail.
func TestPrometheusCheckBasicAuth(t *testing.T) {
	p := startProm(t, testenv.PrometheusConfig{BasicAuthUsers: map[string]string{promUser: promHash}, Username: promUser, Password: promPass})
	q := map[string]cty.Value{"address": str(p.URL), "query": str(`fb_error_ratio{instance="a"}`), "max": cty.NumberFloatVal(0.01)}
	with := func(extra map[string]cty.Value) map[string]cty.Value {
		out := map[string]cty.Value{}
		for k, v := range q {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	auth := func(user, pass string) cty.Value {
		return sensitive(cty.ObjectVal(map[string]cty.Value{"username": str(user), "password": str(pass)}))
	}
	at := promBase.Add(30 * time.Minute)

	r := probeAtTime(t, newCheck(t, "prometheus", q, long), at)
	if r.Healthy || r.Detail != "prometheus: auth refused (HTTP 401)" {
		t.Errorf("without credentials: healthy=%v detail %q, want auth refused (HTTP 401)", r.Healthy, r.Detail)
	}
	wrong := "wr0ng-password-here"
	r = probeAtTime(t, newCheck(t, "prometheus", with(map[string]cty.Value{"basic_auth": auth(promUser, wrong)}), long), at)
	if r.Healthy || !strings.Contains(r.Detail, "auth refused") || strings.Contains(r.Detail, wrong) {
		t.Errorf("a wrong password: healthy=%v detail %q, want auth refused without the password", r.Healthy, r.Detail)
	}
	r = probeAtTime(t, newCheck(t, "prometheus", with(map[string]cty.Value{"basic_auth": auth(promUser, promPass)}), long), at)
	if !r.Healthy || strings.Contains(r.Detail, promPass) {
		t.Errorf("the right credentials: healthy=%v detail %q, want healthy", r.Healthy, r.Detail)
	}
}

// Prometheus itself has no bearer-token authentication: an httptest
// reverse proxy in front of the real server requires one, as an
// authenticating proxy (oauth2-proxy, a cloud's managed Prometheus) does.
func TestPrometheusCheckBearerTokenThroughProxy(t *testing.T) {
	p := startProm(t, testenv.PrometheusConfig{})
	target, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	const token = "tok-3f9a1c-very-secret"
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "":
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
		case "Bearer " + token:
			rp.ServeHTTP(w, r)
		default:
			http.Error(w, "Forbidden: token "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+" refused", http.StatusForbidden)
		}
	}))
	defer proxy.Close()
	at := promBase.Add(90 * time.Minute)
	set := func(tok string) map[string]cty.Value {
		m := map[string]cty.Value{"address": str(proxy.URL + "/"), "query": str("fb_error_ratio"), "max": cty.NumberFloatVal(0.01)}
		if tok != "" {
			m["bearer_token"] = sensitive(str(tok))
		}
		return m
	}
	if r := probeAtTime(t, newCheck(t, "prometheus", set(""), long), at); r.Detail != "prometheus: auth refused (HTTP 401)" {
		t.Errorf("without a token: detail %q, want auth refused (HTTP 401)", r.Detail)
	}
	bad := "tok-wrong-0000-secret"
	if r := probeAtTime(t, newCheck(t, "prometheus", set(bad), long), at); r.Detail != "prometheus: auth refused (HTTP 403)" || strings.Contains(r.Detail, bad) {
		t.Errorf("a wrong token: detail %q, want auth refused (HTTP 403)", r.Detail)
	}
	r := probeAtTime(t, newCheck(t, "prometheus", set(token), long), at)
	if r.Healthy || !strings.Contains(r.Detail, `instance="a"`) || strings.Contains(r.Detail, token) {
		t.Errorf("the right token: healthy=%v detail %q, want the out-of-bounds series named", r.Healthy, r.Detail)
	}
}
