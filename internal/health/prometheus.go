package health

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fbctl/fbctl/internal/safeio"
	"github.com/fbctl/fbctl/providers"
)

// What an empty result (no series) means, by the empty attribute.
const (
	promEmptyUnknown   = "unknown"
	promEmptyUnhealthy = "unhealthy"
	promEmptyHealthy   = "healthy"
)

const (
	// promMaxPoints is Prometheus's limit of points per series in a range
	// query (for / step).
	promMaxPoints = 11000
	// promMaxBody bounds the read of an API answer; a larger one is a
	// failed probe (a query that returns that much is not a health signal).
	promMaxBody = 8 << 20
	// promDefaultStep is the range query's step when neither step nor the
	// check's interval is known (the policy's default interval).
	promDefaultStep = 30 * time.Second
	// promShownQuery and promShownSeries bound a query and a series'
	// labels in a Detail; promShownError bounds Prometheus's error text.
	promShownQuery  = 120
	promShownSeries = 160
	promShownError  = 200
)

// promCheck is the prometheus check kind.
type promCheck struct {
	api   *url.URL // the address, its path without a trailing slash
	query string
	// secretQuery: the query is marked sensitive. A Detail then never
	// shows it, nor Prometheus's error text, which may quote a part of it
	// that the redactor, knowing only the whole, would miss.
	secretQuery bool
	lo, hi      float64
	hasLo       bool
	hasHi       bool
	window      time.Duration // for; zero for an instant query
	step        time.Duration
	empty       string
	headers     http.Header
	host        string
	user        string // basic auth, when set
	pass        string
	timeout     time.Duration
	client      *http.Client
	red         *providers.Redactor
}

// newPrometheusCheck is the prometheus kind's CheckFactory.
func newPrometheusCheck(cfg providers.Config) (providers.Check, error) {
	a, err := readAttrs("prometheus", cfg)
	if err != nil {
		return nil, err
	}
	c, err := buildPrometheusCheck(a, cfg)
	if err != nil {
		return nil, a.wrap(cfg.Name, err)
	}
	return c, nil
}

func buildPrometheusCheck(a *attrs, cfg providers.Config) (*promCheck, error) {
	// validatePrometheus has judged the block already (the registry asks it
	// first); what follows only reads the values, and ca_file.
	c := &promCheck{timeout: cfg.Timeout, red: a.red, headers: http.Header{}, empty: promEmptyUnknown}

	addr, err := a.requireStr("address")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(addr)
	if err != nil || providers.CheckURL(addr, "http", "https") != nil {
		return nil, errors.New("address must be an absolute http:// or https:// URL with a host")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	c.api = u
	if a.marked["address"] {
		a.red.AddHostPort(u.Host)
		a.red.Add(u.Hostname(), u.EscapedPath())
	}

	if c.query, err = a.requireStr("query"); err != nil {
		return nil, err
	}
	c.secretQuery = a.marked["query"]
	c.lo, c.hasLo = numberAttr(a.obj, "min")
	c.hi, c.hasHi = numberAttr(a.obj, "max")
	if !c.hasLo && !c.hasHi {
		return nil, errors.New("min, max or both must be set")
	}
	if c.window, _, _ = promDuration(a.obj, "for"); c.window > 0 {
		var ok bool
		if c.step, ok, _ = promDuration(a.obj, "step"); !ok {
			c.step = cfg.Interval
			if c.step <= 0 {
				c.step = promDefaultStep
			}
			c.step = min(c.step, c.window)
			// A default step never asks for more points than Prometheus
			// serves: it grows (in whole seconds) with a long window instead.
			if c.window/c.step > promMaxPoints {
				c.step = ((c.window/promMaxPoints)/time.Second + 1) * time.Second
			}
		}
	}
	if e, ok := a.str("empty"); ok {
		c.empty = e
	}

	hdrs, err := a.strMap("headers")
	if err != nil {
		return nil, err
	}
	for k, v := range hdrs {
		if strings.EqualFold(k, "Host") {
			c.host = v
			continue
		}
		c.headers.Set(k, v)
		// As in the http check: long header values are redacted like
		// secrets; marked ones are, whatever their length (readAttrs).
		if len(v) >= 8 {
			a.red.Add(v)
		}
	}
	if c.headers.Get("User-Agent") == "" {
		c.headers.Set("User-Agent", userAgent)
	}
	if tok, ok := a.str("bearer_token"); ok {
		c.headers.Set("Authorization", "Bearer "+tok)
		a.red.Add(tok)
	}
	if ba := a.get("basic_auth"); !ba.IsNull() && ba.Type().IsObjectType() &&
		ba.Type().HasAttribute("username") && ba.Type().HasAttribute("password") {
		if u, p := ba.GetAttr("username"), ba.GetAttr("password"); !u.IsNull() && !p.IsNull() {
			c.user, c.pass = u.AsString(), p.AsString()
			a.red.Add(c.pass)
		}
	}

	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile, ok := a.str("ca_file"); ok && caFile != "" {
		pem, err := safeio.ReadFile(caFile, maxCAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate found", caFile)
		}
		tlsCfg.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	c.client = &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // never a proxy named by the environment
			DialContext:         dialer.DialContext,
			TLSClientConfig:     tlsCfg,
			TLSHandshakeTimeout: cfg.Timeout,
			DisableKeepAlives:   true,
		},
		// A redirect is not followed: it would carry the credentials to
		// wherever it points. It fails the probe instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// promAnswer is the envelope of every Prometheus HTTP API answer.
type promAnswer struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// promSample is one evaluated point of one series.
type promSample struct {
	series string // the series' labels, as PromQL writes them
	at     time.Time
	value  float64
}

// Probe evaluates the query at the engine's time (providers.NowFrom): an
// instant query, or with for a range query over [now-for, now], and judges
// every sample against the bounds.
func (c *promCheck) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer finishProbe(c.red, start, &res)
	now := providers.NowFrom(ctx)

	pctx, cancel := probeContext(ctx, c.timeout)
	defer cancel()
	fail := func(detail string) providers.Result {
		return providers.Result{Healthy: false, Detail: detail, Latency: time.Since(start)}
	}

	form := url.Values{"query": {c.query}, "timeout": {promSeconds(c.timeout)}}
	path := "/api/v1/query"
	if c.window > 0 {
		path = "/api/v1/query_range"
		// The evaluation times are end, end-step, ...: now itself is
		// always judged, and none falls before now-for.
		first := now.Add(-(c.window / c.step) * c.step)
		form.Set("start", promTime(first))
		form.Set("end", promTime(now))
		form.Set("step", promSeconds(c.step))
	} else {
		form.Set("time", promTime(now))
	}
	u := *c.api
	u.Path += path
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return fail("prometheus: " + err.Error())
	}
	req.Header = c.headers.Clone()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.host != "" {
		req.Host = c.host
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fail("prometheus unreachable: " + failure(ctx, pctx, c.timeout, unwrapURLError(err)))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, promMaxBody+1))
	if err != nil {
		return fail("prometheus: reading the answer: " + failure(ctx, pctx, c.timeout, err))
	}
	if len(body) > promMaxBody {
		return fail(fmt.Sprintf("prometheus: the answer to %s is larger than %d MiB", c.shownQuery(), promMaxBody>>20))
	}

	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fail(fmt.Sprintf("prometheus: auth refused (HTTP %d)", code))
	case code >= 300 && code < 400:
		return fail(fmt.Sprintf("prometheus: HTTP %d: a redirect, not followed; set address to where it points", code))
	}
	var ans promAnswer
	if err := json.Unmarshal(body, &ans); err != nil || ans.Status == "" {
		if resp.StatusCode/100 != 2 {
			return fail(fmt.Sprintf("prometheus: HTTP %d%s", resp.StatusCode, firstLine(body)))
		}
		return fail(fmt.Sprintf("prometheus: HTTP %d: the answer is not a Prometheus API response", resp.StatusCode))
	}
	if ans.Status != "success" {
		msg := bounded(printable(ans.Error), promShownError)
		if c.secretQuery {
			msg = redacted
		}
		return fail(fmt.Sprintf("prometheus: query %s failed: %s: %s", c.shownQuery(),
			bounded(orNone(printable(ans.ErrorType)), 40), msg))
	}
	if resp.StatusCode/100 != 2 {
		return fail(fmt.Sprintf("prometheus: HTTP %d", resp.StatusCode))
	}
	samples, nseries, err := decodePromResult(ans.Data.ResultType, ans.Data.Result, c.window > 0)
	if err != nil {
		return fail(fmt.Sprintf("prometheus: query %s: %v", c.shownQuery(), err))
	}
	lat := time.Since(start)
	return c.judge(samples, nseries, lat)
}

// judge turns the samples into a Result: out of bounds when any sample is
// (the earliest such, then by series), the empty rule when there are none.
func (c *promCheck) judge(samples []promSample, nseries int, lat time.Duration) providers.Result {
	if len(samples) == 0 {
		what := "no series"
		if c.window > 0 {
			what = "no samples over the last " + c.window.String()
		}
		detail := fmt.Sprintf("query %s returned %s (empty = %q)", c.shownQuery(), what, c.empty)
		switch c.empty {
		case promEmptyHealthy:
			return providers.Result{Healthy: true, Detail: detail, Latency: lat}
		case promEmptyUnhealthy:
			return providers.Result{Healthy: false, Detail: detail, Latency: lat}
		}
		return providers.Result{Unknown: true, Detail: detail, Latency: lat}
	}
	var bad []promSample
	for _, s := range samples {
		if why := c.outOfBounds(s.value); why != "" {
			bad = append(bad, s)
		}
	}
	if len(bad) > 0 {
		sort.SliceStable(bad, func(i, j int) bool {
			if !bad[i].at.Equal(bad[j].at) {
				return bad[i].at.Before(bad[j].at)
			}
			return bad[i].series < bad[j].series
		})
		s := bad[0]
		detail := fmt.Sprintf("series %s = %s, %s", bounded(s.series, promShownSeries), promValue(s.value), c.outOfBounds(s.value))
		if c.window > 0 {
			detail = fmt.Sprintf("series %s = %s at %s, %s (for %s, step %s)", bounded(s.series, promShownSeries),
				promValue(s.value), s.at.UTC().Format(time.RFC3339), c.outOfBounds(s.value), c.window, c.step)
		}
		if nBad := countSeries(bad); nBad > 1 || nseries > 1 {
			detail += fmt.Sprintf("; %d of %d series out of bounds", nBad, nseries)
		}
		return providers.Result{Healthy: false, Detail: detail, Latency: lat}
	}
	if c.window > 0 {
		return providers.Result{Healthy: true, Latency: lat,
			Detail: fmt.Sprintf("%d samples of %d series %s over the last %s", len(samples), nseries, c.boundsText(), c.window)}
	}
	if nseries == 1 {
		return providers.Result{Healthy: true, Latency: lat,
			Detail: fmt.Sprintf("value %s %s", promValue(samples[0].value), c.boundsText())}
	}
	return providers.Result{Healthy: true, Latency: lat, Detail: fmt.Sprintf("%d series, every value %s", nseries, c.boundsText())}
}

// outOfBounds says why v is out of bounds, or "" when it is within them.
// NaN and infinities are never healthy values.
func (c *promCheck) outOfBounds(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "not a finite number"
	case c.hasLo && v < c.lo:
		return "below min " + promValue(c.lo)
	case c.hasHi && v > c.hi:
		return "above max " + promValue(c.hi)
	}
	return ""
}

func (c *promCheck) boundsText() string {
	switch {
	case c.hasLo && c.hasHi:
		return fmt.Sprintf("within [%s, %s]", promValue(c.lo), promValue(c.hi))
	case c.hasLo:
		return ">= min " + promValue(c.lo)
	}
	return "<= max " + promValue(c.hi)
}

func (c *promCheck) shownQuery() string {
	if c.secretQuery {
		return redacted
	}
	return strconv.Quote(bounded(c.query, promShownQuery))
}

func countSeries(ss []promSample) int {
	seen := map[string]bool{}
	for _, s := range ss {
		seen[s.series] = true
	}
	return len(seen)
}

// decodePromResult reads the result of an instant query (a vector or a
// scalar) or a range query (a matrix) into samples, and counts the series.
func decodePromResult(typ string, raw json.RawMessage, rangeQuery bool) ([]promSample, int, error) {
	var out []promSample
	switch typ {
	case "vector":
		if rangeQuery {
			break
		}
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  json.RawMessage   `json:"value"`
		}
		if err := json.Unmarshal(raw, &vec); err != nil {
			return nil, 0, errors.New("the vector result does not decode")
		}
		for _, v := range vec {
			at, f, err := promPoint(v.Value)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, promSample{series: seriesName(v.Metric), at: at, value: f})
		}
		return out, len(vec), nil
	case "scalar":
		if rangeQuery {
			break
		}
		at, f, err := promPoint(raw)
		if err != nil {
			return nil, 0, err
		}
		return []promSample{{series: "scalar", at: at, value: f}}, 1, nil
	case "matrix":
		if !rangeQuery {
			break
		}
		var mat []struct {
			Metric map[string]string `json:"metric"`
			Values []json.RawMessage `json:"values"`
		}
		if err := json.Unmarshal(raw, &mat); err != nil {
			return nil, 0, errors.New("the matrix result does not decode")
		}
		n := 0
		for _, m := range mat {
			name := seriesName(m.Metric)
			if len(m.Values) > 0 {
				n++
			}
			for _, p := range m.Values {
				at, f, err := promPoint(p)
				if err != nil {
					return nil, 0, err
				}
				out = append(out, promSample{series: name, at: at, value: f})
			}
		}
		return out, n, nil
	}
	return nil, 0, fmt.Errorf("a %s result cannot be judged against min and max", bounded(orNone(typ), 20))
}

// promPoint decodes [unix seconds, "value"].
func promPoint(raw json.RawMessage) (time.Time, float64, error) {
	var pt []json.RawMessage
	if err := json.Unmarshal(raw, &pt); err != nil || len(pt) != 2 {
		return time.Time{}, 0, errors.New("a sample is not [time, value]")
	}
	var ts float64
	var vs string
	if err := json.Unmarshal(pt[0], &ts); err != nil || math.IsNaN(ts) || math.IsInf(ts, 0) || math.Abs(ts) > 1e11 {
		return time.Time{}, 0, errors.New("a sample's time is not a number")
	}
	if err := json.Unmarshal(pt[1], &vs); err != nil {
		return time.Time{}, 0, errors.New("a sample's value is not a string")
	}
	f, err := strconv.ParseFloat(vs, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return time.Time{}, 0, fmt.Errorf("a sample's value %s is not a number", strconv.Quote(bounded(vs, 40)))
	}
	sec, frac := math.Modf(ts)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), f, nil
}

// seriesName writes labels as PromQL does: name{a="1", b="2"}, or {} for
// a series without labels.
func seriesName(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(m["__name__"])
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(m[k]))
		if b.Len() > 4*promShownSeries {
			break // bounded() cuts it; no need to build more
		}
	}
	b.WriteByte('}')
	return b.String()
}

// promTime writes t as the API's unix seconds with milliseconds.
func promTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1e3, 'f', 3, 64)
}

// promSeconds writes d as the API's float seconds.
func promSeconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// promValue writes a value as Prometheus does ("0.25", "NaN", "+Inf").
func promValue(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// bounded cuts s to at most n bytes (on a rune boundary) and marks the cut.
func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// firstLine is ": " and the first line of a body, printable and bounded,
// or "" for an empty body.
func firstLine(body []byte) string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(body), []byte("\n"))
	s := strings.TrimSpace(printable(string(line)))
	if s == "" {
		return ""
	}
	return ": " + bounded(s, promShownError)
}

// printable drops control characters and invalid UTF-8 from text a server
// sent, so that a Detail stays one line of text.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}
