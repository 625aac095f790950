package health

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

var promNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func promSet(extra map[string]cty.Value) map[string]cty.Value {
	m := map[string]cty.Value{"address": str("http://127.0.0.1:9"), "query": str("up"), "min": cty.NumberIntVal(1)}
	for k, v := range extra {
		if v == cty.NilVal {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

func TestValidatePrometheus(t *testing.T) {
	basic := func(u, p string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"username": str(u), "password": str(p)})
	}
	cases := []struct {
		name string
		set  map[string]cty.Value
		want string // a Problem summary; "" for none
	}{
		{"valid", promSet(nil), ""},
		{"max only", promSet(map[string]cty.Value{"min": cty.NilVal, "max": cty.NumberFloatVal(0.01)}), ""},
		{"no bounds", promSet(map[string]cty.Value{"min": cty.NilVal}), "Missing bounds"},
		{"min above max", promSet(map[string]cty.Value{"min": cty.NumberIntVal(2), "max": cty.NumberIntVal(1)}), "Invalid max"},
		{"infinite max", promSet(map[string]cty.Value{"max": cty.PositiveInfinity}), "Invalid max"},
		{"blank query", promSet(map[string]cty.Value{"query": str(" ")}), "Invalid query"},
		{"ftp address", promSet(map[string]cty.Value{"address": str("ftp://h/")}), "Invalid address"},
		{"address with user info", promSet(map[string]cty.Value{"address": str("http://u:p@h:9090")}), "Invalid address"},
		{"address with a query", promSet(map[string]cty.Value{"address": str("http://h:9090/?x=1")}), "Invalid address"},
		{"address with a path prefix", promSet(map[string]cty.Value{"address": str("https://h/prometheus/")}), ""},
		{"for", promSet(map[string]cty.Value{"for": str("10m"), "step": str("30s")}), ""},
		{"for not a duration", promSet(map[string]cty.Value{"for": str("10")}), "Invalid for"},
		{"for negative", promSet(map[string]cty.Value{"for": str("-1m")}), "Invalid for"},
		{"step without for", promSet(map[string]cty.Value{"step": str("30s")}), "Invalid step"},
		{"step longer than for", promSet(map[string]cty.Value{"for": str("1m"), "step": str("2m")}), "Invalid step"},
		{"too many points", promSet(map[string]cty.Value{"for": str("24h"), "step": str("1s")}), "Invalid step"},
		{"11000 points", promSet(map[string]cty.Value{"for": str("11000s"), "step": str("1s")}), ""},
		{"empty mode", promSet(map[string]cty.Value{"empty": str("ignore")}), "Invalid empty"},
		{"blank token", promSet(map[string]cty.Value{"bearer_token": sensitive(str(" "))}), "Invalid bearer_token"},
		{"token with a line break", promSet(map[string]cty.Value{"bearer_token": sensitive(str("a\nb"))}), "Invalid bearer_token"},
		{"token and basic auth", promSet(map[string]cty.Value{"bearer_token": str("tok"), "basic_auth": basic("u", "p")}), "Conflicting authentication"},
		{"token and an Authorization header", promSet(map[string]cty.Value{"bearer_token": str("tok"),
			"headers": cty.MapVal(map[string]cty.Value{"authorization": str("x")})}), "Conflicting authentication"},
		{"username with a colon", promSet(map[string]cty.Value{"basic_auth": sensitive(basic("a:b", "p"))}), "Invalid basic_auth"},
		{"empty username", promSet(map[string]cty.Value{"basic_auth": basic("", "p")}), "Invalid basic_auth"},
		{"header name", promSet(map[string]cty.Value{"headers": cty.MapVal(map[string]cty.Value{"a b": str("x")})}), "Invalid headers"},
		{"blank ca_file", promSet(map[string]cty.Value{"ca_file": str(" ")}), "Invalid ca_file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := kindOf(t, "prometheus")
			ps := k.Problems(checkConfig(t, "prometheus", tc.set, time.Second).Attrs)
			var got []string
			for _, p := range ps {
				got = append(got, p.Summary)
				if strings.Contains(p.Detail, "a:b") || strings.Contains(p.Detail, "a\nb") {
					t.Errorf("a problem quotes a sensitive value: %q", p.Detail)
				}
			}
			if tc.want == "" && len(ps) > 0 {
				t.Errorf("problems %v, want none", got)
			}
			if tc.want != "" && !strings.Contains(strings.Join(got, "|"), tc.want) {
				t.Errorf("problems %v, want %q", got, tc.want)
			}
			// One static verdict: the constructor refuses exactly what
			// Validate refuses.
			_, err := k.NewCheck(checkConfig(t, "prometheus", tc.set, time.Second))
			if (err != nil) != (len(ps) > 0) {
				t.Errorf("constructor error %v, static problems %v", err, got)
			}
		})
	}
}

// promStub is a loopback stand-in for Prometheus that records each
// request and answers with answer.
type promStub struct {
	mu     sync.Mutex
	reqs   []*http.Request
	forms  []url.Values
	answer func(w http.ResponseWriter, r *http.Request)
	srv    *httptest.Server
}

func newPromStub(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *promStub {
	s := &promStub{answer: answer}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		s.mu.Lock()
		s.reqs = append(s.reqs, r)
		s.forms = append(s.forms, r.PostForm)
		s.mu.Unlock()
		s.answer(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *promStub) last(t *testing.T) (*http.Request, url.Values) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reqs) == 0 {
		t.Fatal("no request")
	}
	return s.reqs[len(s.reqs)-1], s.forms[len(s.forms)-1]
}

func jsonAnswer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const okVector = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up"},"value":[1700000000,"1"]}]}}`

// The request: POST to the address's path prefix, the engine's time, the
// check's timeout, headers, Host, User-Agent and basic auth.
func TestPrometheusRequest(t *testing.T) {
	s := newPromStub(t, jsonAnswer(200, okVector))
	c := newCheck(t, "prometheus", promSet(map[string]cty.Value{"address": str(s.srv.URL + "/prom/"),
		"headers":    cty.MapVal(map[string]cty.Value{"X-Scope-OrgID": str("team-a"), "Host": str("prom.example.test")}),
		"basic_auth": sensitive(cty.ObjectVal(map[string]cty.Value{"username": str("u"), "password": str("pw-123456")}))}), 3*time.Second)
	r := c.Probe(providers.WithNow(context.Background(), promNow))
	if !r.Healthy {
		t.Fatalf("probe: %+v", r)
	}
	req, form := s.last(t)
	if req.Method != http.MethodPost || req.URL.Path != "/prom/api/v1/query" {
		t.Errorf("request %s %s, want POST /prom/api/v1/query", req.Method, req.URL.Path)
	}
	want := url.Values{"query": {"up"}, "time": {fmt.Sprintf("%d.000", promNow.Unix())}, "timeout": {"3"}}
	if form.Encode() != want.Encode() {
		t.Errorf("form %v, want %v", form, want)
	}
	if u, p, ok := req.BasicAuth(); !ok || u != "u" || p != "pw-123456" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	if req.Host != "prom.example.test" || req.Header.Get("X-Scope-OrgID") != "team-a" || req.Header.Get("User-Agent") != userAgent {
		t.Errorf("host %q, headers %v", req.Host, req.Header)
	}
}

// A range query: now itself is evaluated, and no step before now-for; the
// step defaults to the check's interval and grows with a long window.
func TestPrometheusRangeRequest(t *testing.T) {
	matrix := `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"],[1700000060,"2"]]}]}}`
	s := newPromStub(t, jsonAnswer(200, matrix))
	cases := []struct {
		forAttr, step string
		interval      time.Duration
		wantStart     time.Time
		wantStep      string
	}{
		{"10m", "1m", 0, promNow.Add(-10 * time.Minute), "60"},
		{"10m", "", 45 * time.Second, promNow.Add(-13 * 45 * time.Second), "45"}, // 13 whole steps of 45s
		{"10m", "", 0, promNow.Add(-10 * time.Minute), "30"},
		{"1m", "", 5 * time.Minute, promNow.Add(-time.Minute), "60"},
		{"720h", "", 10 * time.Second, promNow.Add(-10983 * 236 * time.Second), "236"}, // 11000 points at most
	}
	for _, tc := range cases {
		set := promSet(map[string]cty.Value{"address": str(s.srv.URL), "for": str(tc.forAttr)})
		if tc.step != "" {
			set["step"] = str(tc.step)
		}
		cfg := checkConfig(t, "prometheus", set, time.Second)
		cfg.Interval = tc.interval
		c, err := kindOf(t, "prometheus").NewCheck(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := c.Probe(providers.WithNow(context.Background(), promNow))
		req, form := s.last(t)
		if req.URL.Path != "/api/v1/query_range" || form.Get("end") != fmt.Sprintf("%d.000", promNow.Unix()) ||
			form.Get("start") != promTime(tc.wantStart) || form.Get("step") != tc.wantStep {
			t.Errorf("for %s step %q interval %s: %s %v, want start %s step %s", tc.forAttr, tc.step, tc.interval,
				req.URL.Path, form, promTime(tc.wantStart), tc.wantStep)
		}
		if !r.Healthy || !strings.Contains(r.Detail, "2 samples of 1 series") {
			t.Errorf("probe %+v", r)
		}
	}
}

// Hostile and broken answers are failed probes with a bounded, one-line
// Detail; nothing panics.
func TestPrometheusHostileAnswers(t *testing.T) {
	longLabel := strings.Repeat("x", 5000)
	cases := []struct {
		name   string
		answer func(http.ResponseWriter, *http.Request)
		want   string
	}{
		{"not JSON, 500", jsonAnswer(500, "<html>\nInternal error</html>"), "prometheus: HTTP 500: <html>"},
		{"not JSON, 200", jsonAnswer(200, "hello"), "not a Prometheus API response"},
		{"execution error", jsonAnswer(422, `{"status":"error","errorType":"execution","error":"many-to-many matching not allowed"}`),
			`query "up" failed: execution: many-to-many matching not allowed`},
		{"error without a type", jsonAnswer(503, `{"status":"error","error":"x\n\u0000y"}`), "failed: (none): xy"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/", http.StatusFound)
		},
			"HTTP 302: a redirect, not followed"},
		{"matrix for an instant query", jsonAnswer(200, `{"status":"success","data":{"resultType":"matrix","result":[]}}`),
			"a matrix result cannot be judged"},
		{"bad value", jsonAnswer(200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}}`),
			`a sample's value "abc" is not a number`},
		{"bad point", jsonAnswer(200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1]}]}}`),
			"a sample is not [time, value]"},
		{"bad time", jsonAnswer(200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["x","1"]}]}}`),
			"a sample's time is not a number"},
		{"huge time", jsonAnswer(200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1e300,"1"]}]}}`),
			"a sample's time is not a number"},
		{"result not a list", jsonAnswer(200, `{"status":"success","data":{"resultType":"vector","result":{}}}`),
			"the vector result does not decode"},
		{"+Inf", jsonAnswer(200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"+Inf"]}]}}`),
			"series {} = +Inf, not a finite number"},
		{"value out of float range", jsonAnswer(200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1e999"]}]}}`),
			"= +Inf, not a finite number"},
		{"long labels", jsonAnswer(200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"`+longLabel+`"},"value":[1,"0"]}]}}`),
			"= 0, below min 1"},
		{"over 8 MiB", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[`)
			chunk := strings.Repeat(`{"metric":{},"value":[1,"1"]},`, 1000)
			for i := 0; i < 9<<20/len(chunk)+1; i++ {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		}, "larger than 8 MiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newPromStub(t, tc.answer)
			c := newCheck(t, "prometheus", promSet(map[string]cty.Value{"address": str(s.srv.URL)}), long)
			r := c.Probe(providers.WithNow(context.Background(), promNow))
			if r.Healthy || r.Unknown || !strings.Contains(r.Detail, tc.want) {
				t.Errorf("healthy=%v unknown=%v detail %q, want a failure containing %q", r.Healthy, r.Unknown, bounded(r.Detail, 400), tc.want)
			}
			if len(r.Detail) > 600 || strings.ContainsAny(r.Detail, "\n\x00") {
				t.Errorf("detail not bounded to one line: %d bytes", len(r.Detail))
			}
		})
	}
}

// A Prometheus that does not answer within the check's timeout fails the
// probe with "timeout after".
func TestPrometheusTimeout(t *testing.T) {
	s := newPromStub(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := newCheck(t, "prometheus", promSet(map[string]cty.Value{"address": str(s.srv.URL)}), 100*time.Millisecond)
	r := c.Probe(context.Background())
	if r.Healthy || !strings.Contains(r.Detail, "timeout after 100ms") {
		t.Errorf("probe %+v, want a timeout", r)
	}
}

// Secrets never show: a bearer token, a password and a sensitive header
// echoed back by the server in its error text are redacted.
func TestPrometheusRedaction(t *testing.T) {
	const tok, hdr = "tok-abcdef-123456", "hdr-secret-value"
	s := newPromStub(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"seen %s and %s"}`, r.Header.Get("Authorization"), r.Header.Get("X-Key"))
	})
	c := newCheck(t, "prometheus", promSet(map[string]cty.Value{"address": str(s.srv.URL),
		"bearer_token": sensitive(str(tok)),
		"headers":      cty.MapVal(map[string]cty.Value{"X-Key": sensitive(str(hdr))})}), long)
	r := c.Probe(context.Background())
	if strings.Contains(r.Detail, tok) || strings.Contains(r.Detail, hdr) || !strings.Contains(r.Detail, providers.Redacted) {
		t.Errorf("detail %q shows a secret", r.Detail)
	}
	// A long sensitive query is never shown, not even cut short, nor is
	// Prometheus's error text about it.
	secretQ := "sum(rate(secret_metric_" + strings.Repeat("x", 200) + "[5m])"
	s = newPromStub(t, jsonAnswer(400, `{"status":"error","errorType":"bad_data","error":"parse error near secret_metric_xxx"}`))
	c = newCheck(t, "prometheus", promSet(map[string]cty.Value{"address": str(s.srv.URL), "query": sensitive(str(secretQ))}), long)
	if r := c.Probe(context.Background()); strings.Contains(r.Detail, "secret_metric") || !strings.Contains(r.Detail, "bad_data") {
		t.Errorf("detail %q shows the sensitive query, or not the error type", r.Detail)
	}
	// A sensitive address is never shown either.
	c = newCheck(t, "prometheus", promSet(map[string]cty.Value{"address": sensitive(str("http://127.0.0.1:1/secret-path"))}), long)
	if r := c.Probe(context.Background()); strings.Contains(r.Detail, "secret-path") || strings.Contains(r.Detail, "127.0.0.1:1") {
		t.Errorf("detail %q shows the sensitive address", r.Detail)
	}
}

// ca_file is read (bounded) when the check is built; a missing one or one
// without a certificate is a constructor error naming the check.
func TestPrometheusCAFile(t *testing.T) {
	err := newCheckErr(t, "prometheus", promSet(map[string]cty.Value{"ca_file": str("/nonexistent/ca.pem")}), long)
	if !strings.Contains(err.Error(), `prometheus check "test-prometheus": ca_file`) {
		t.Errorf("error %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(jsonAnswer(200, okVector)))
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	defer srv.Close()
	ca := writePEM(t, srv.Certificate().Raw)
	c := newCheck(t, "prometheus", promSet(map[string]cty.Value{"address": str(srv.URL), "ca_file": str(ca)}), long)
	if r := c.Probe(context.Background()); !r.Healthy {
		t.Errorf("over TLS with ca_file: %+v", r)
	}
	c = newCheck(t, "prometheus", promSet(map[string]cty.Value{"address": str(srv.URL)}), long)
	if r := c.Probe(context.Background()); r.Healthy || !strings.Contains(r.Detail, "certificate") {
		t.Errorf("over TLS without ca_file: %+v, want a certificate error", r)
	}
}
