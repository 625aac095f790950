package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PrometheusConfig describes the Prometheus StartPrometheus runs.
type PrometheusConfig struct {
	// Targets are the host:port addresses scraped at /metrics, all in one
	// job "fbctl".
	Targets []string
	// ScrapeInterval is the scrape and rule evaluation interval; 1s when
	// zero. The scrape timeout is the same.
	ScrapeInterval time.Duration
	// RuleFiles are alerting or recording rule files loaded as they are
	// (a bad file fails the start).
	RuleFiles []string
	// OpenMetrics, when set, is backfilled into the TSDB before the start
	// with `promtool tsdb create-blocks-from openmetrics` (see
	// StartPrometheusWithData), and the retention is made long enough
	// (10y) that no block of it is dropped.
	OpenMetrics string
	// BasicAuthUsers, when set, makes every endpoint require HTTP basic
	// authentication (--web.config.file): username -> bcrypt hash of the
	// password. testenv's own requests (readiness, Query) then send
	// Username and Password.
	BasicAuthUsers     map[string]string
	Username, Password string
}

// Prometheus is a running prometheus, stopped when the test ends.
type Prometheus struct {
	// URL is http://127.0.0.1:PORT, its web UI and HTTP API.
	URL string
	// ConfigPath is the configuration file it runs with.
	ConfigPath string

	cmd        *exec.Cmd
	out        *syncBuffer
	done       chan struct{}
	client     *http.Client
	user, pass string
}

// prometheusStartTimeout bounds how long StartPrometheus waits for
// /-/ready: a fresh TSDB replays no WAL, so start-up takes about a second.
const prometheusStartTimeout = 30 * time.Second

// StartPrometheus writes a configuration for cfg into a temporary
// directory, runs `prometheus` with its own TSDB there on a free loopback
// port, waits until /-/ready answers 200, and stops it when the test ends.
// A missing prometheus binary fails the test (run `make deps`); so does a
// prometheus that does not start, with its output in the message.
func StartPrometheus(t testing.TB, cfg PrometheusConfig) *Prometheus {
	t.Helper()
	bin, ok := lookBinary("prometheus")
	if !ok {
		t.Fatal("prometheus is not installed (not on PATH, /usr/sbin or /usr/local/sbin): run `make deps` " +
			"(it installs the prometheus package); a missing server is a failure, not a skip")
	}
	if cfg.ScrapeInterval <= 0 {
		cfg.ScrapeInterval = time.Second
	}
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		p, err := startPrometheus(t, bin, cfg, dir)
		if err == nil {
			return p
		}
		lastErr = err
		if !errors.Is(err, errPrometheusBind) {
			break
		}
	}
	t.Fatalf("starting prometheus: %v", lastErr)
	return nil
}

var errPrometheusBind = errors.New("prometheus could not bind its port")

func startPrometheus(t testing.TB, bin string, cfg PrometheusConfig, dir string) (*Prometheus, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := &Prometheus{
		URL:        "http://" + addr,
		ConfigPath: filepath.Join(dir, "prometheus.yml"),
		out:        &syncBuffer{},
		done:       make(chan struct{}),
		client:     &http.Client{Timeout: 10 * time.Second},
		user:       cfg.Username,
		pass:       cfg.Password,
	}
	conf := renderPrometheusConfig(cfg)
	if err := os.WriteFile(p.ConfigPath, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	os.RemoveAll(data) // left over from a failed attempt
	args := []string{
		"--config.file=" + p.ConfigPath,
		"--storage.tsdb.path=" + data,
		"--web.listen-address=" + addr,
		"--log.level=warn",
	}
	if cfg.OpenMetrics != "" {
		if err := backfillOpenMetrics(t, dir, data, cfg.OpenMetrics); err != nil {
			return nil, err
		}
		args = append(args, "--storage.tsdb.retention.time=10y")
	}
	if len(cfg.BasicAuthUsers) > 0 {
		web := filepath.Join(dir, "web.yml")
		if err := os.WriteFile(web, []byte(renderWebConfig(cfg.BasicAuthUsers)), 0o600); err != nil {
			return nil, err
		}
		args = append(args, "--web.config.file="+web)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(); err != nil {
		p.stop()
		out := p.out.String()
		if strings.Contains(out, "address already in use") {
			return nil, fmt.Errorf("%w: %v\n%s", errPrometheusBind, err, out)
		}
		return nil, fmt.Errorf("%v\nprometheus output:\n%s\nconfiguration:\n%s", err, out, conf)
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", p.out.String())
		}
	})
	return p, nil
}

func renderPrometheusConfig(cfg PrometheusConfig) string {
	var b strings.Builder
	iv := cfg.ScrapeInterval.String()
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", iv, iv, iv)
	if len(cfg.RuleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for _, f := range cfg.RuleFiles {
			fmt.Fprintf(&b, "  - %s\n", strconv.Quote(f))
		}
	}
	b.WriteString("scrape_configs:\n  - job_name: fbctl\n    static_configs:\n      - targets: [")
	for i, tg := range cfg.Targets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(tg))
	}
	b.WriteString("]\n")
	return b.String()
}

// waitReady polls /-/ready until it answers 200, prometheus exits, or
// prometheusStartTimeout passes.
func (p *Prometheus) waitReady() error {
	return waitReady("prometheus", p.cmd, p.done, prometheusStartTimeout, 50*time.Millisecond, nil, p.ready)
}

func (p *Prometheus) ready() error {
	resp, err := p.get("/-/ready")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/-/ready: %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	return nil
}

func (p *Prometheus) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	// SIGTERM: prometheus closes its TSDB and exits.
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// get sends a GET for path, with the configured credentials.
func (p *Prometheus) get(path string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, p.URL+path, nil)
	if err != nil {
		return nil, err
	}
	if p.user != "" {
		req.SetBasicAuth(p.user, p.pass)
	}
	return p.client.Do(req)
}

// Stop stops prometheus now and waits for it to exit.
func (p *Prometheus) Stop() { p.stop() }

// Output returns what prometheus has written to stdout and stderr so far.
func (p *Prometheus) Output() string { return p.out.String() }

// PromSample is one element of an instant vector: its labels (with
// __name__) and its value.
type PromSample struct {
	Labels map[string]string
	Value  float64
}

// Query evaluates an instant PromQL query now through /api/v1/query and
// returns its vector (a scalar is one sample without labels). A request
// or a query that fails fails the test; an empty result is not a failure.
func (p *Prometheus) Query(t testing.TB, promql string) []PromSample {
	t.Helper()
	s, err := p.query(promql)
	if err != nil {
		t.Fatalf("prometheus query %q: %v", promql, err)
	}
	return s
}

// WaitQuery evaluates promql until cond accepts its result, polling every
// 200ms for at most timeout; past it the test fails with the last result.
// The first scrape of a new target comes about one scrape interval after
// start-up, plus the time Prometheus takes to notice the target.
func (p *Prometheus) WaitQuery(t testing.TB, promql string, timeout time.Duration, cond func([]PromSample) bool) []PromSample {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		s, err := p.query(promql)
		if err == nil && cond(s) {
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("prometheus query %q: condition not met within %v; last result %v, error %v", promql, timeout, s, err)
			return nil
		case <-p.done:
			t.Fatalf("prometheus exited while waiting for %q (%v)", promql, p.cmd.ProcessState)
			return nil
		case <-tick.C:
		}
	}
}

func (p *Prometheus) query(promql string) ([]PromSample, error) {
	resp, err := p.get("/api/v1/query?" + url.Values{"query": {promql}}.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("%s: decoding the answer: %v", resp.Status, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("%s: %s: %s", resp.Status, body.ErrorType, body.Error)
	}
	switch body.Data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(body.Data.Result, &vec); err != nil {
			return nil, err
		}
		out := make([]PromSample, 0, len(vec))
		for _, v := range vec {
			f, err := sampleValue(v.Value[1])
			if err != nil {
				return nil, err
			}
			out = append(out, PromSample{Labels: v.Metric, Value: f})
		}
		return out, nil
	case "scalar":
		var sc [2]any
		if err := json.Unmarshal(body.Data.Result, &sc); err != nil {
			return nil, err
		}
		f, err := sampleValue(sc[1])
		if err != nil {
			return nil, err
		}
		return []PromSample{{Labels: map[string]string{}, Value: f}}, nil
	}
	return nil, fmt.Errorf("result type %q is not an instant vector or a scalar", body.Data.ResultType)
}

// sampleValue parses a value as the API writes it: a string ("1", "NaN",
// "+Inf").
func sampleValue(v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", v)
	}
	return strconv.ParseFloat(s, 64)
}

// Promtool returns the path of promtool (it comes with the prometheus
// package); a missing one fails the test.
func Promtool(t testing.TB) string {
	t.Helper()
	p, ok := lookBinary("promtool")
	if !ok {
		t.Fatal("promtool is not installed (not on PATH, /usr/sbin or /usr/local/sbin): run `make deps` " +
			"(it installs the prometheus package); a missing tool is a failure, not a skip")
	}
	return p
}
