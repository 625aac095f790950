package health

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/safeio"
	"github.com/fbctl/fbctl/providers"
)

// maxBody is how much of a response body an http check reads (and matches
// body_regex against); the rest is never read.
// maxCAFile bounds the ca_file read: a bundle of CAs is well under it.
const maxCAFile = 4 << 20

const maxBody = 1 << 20

// userAgent is sent unless the headers attribute sets one.
const userAgent = "fbctl-health"

// httpCheck is the http check kind.
type httpCheck struct {
	url      string
	method   string
	expect   []int
	bodyRE   *regexp.Regexp
	headers  http.Header
	host     string
	timeout  time.Duration
	client   *http.Client
	red      *providers.Redactor
	expected string // "200" or "200, 204", for Detail
}

// newHTTPCheck is the http kind's CheckFactory.
func newHTTPCheck(cfg providers.Config) (providers.Check, error) {
	a, err := readAttrs("http", cfg)
	if err != nil {
		return nil, err
	}
	c, err := buildHTTPCheck(a, cfg)
	if err != nil {
		return nil, a.wrap(cfg.Name, err)
	}
	return c, nil
}

func buildHTTPCheck(a *attrs, cfg providers.Config) (*httpCheck, error) {
	// validateHTTP has judged the block already: the registry asks it
	// before calling this constructor (see providers.ValidateBlock).
	c := &httpCheck{timeout: cfg.Timeout, red: a.red, headers: http.Header{}}

	var err error
	if c.url, err = a.requireStr("url"); err != nil {
		return nil, err
	}
	u, err := url.Parse(c.url)
	if err != nil || !validHTTPURL(c.url) {
		return nil, errors.New("url must be an absolute http:// or https:// URL with a host")
	}
	if a.marked["url"] {
		// Errors from the transport quote the host and port on their own.
		a.red.AddHostPort(u.Host)
		a.red.Add(u.Hostname(), u.RawQuery, u.EscapedPath())
		if p, ok := u.User.Password(); ok {
			a.red.Add(p)
		}
	}

	c.method = "GET"
	if m, ok := a.str("method"); ok {
		c.method = m
	}
	if c.expect, err = a.intList("expect_status"); err != nil {
		return nil, err
	}
	if len(c.expect) == 0 {
		if a.get("expect_status").IsNull() {
			c.expect = []int{200}
		} else {
			return nil, errors.New("expect_status must list at least one status code")
		}
	}
	var exp []string
	for _, s := range c.expect {
		exp = append(exp, strconv.Itoa(s))
	}
	c.expected = strings.Join(exp, ", ")

	if re, ok := a.str("body_regex"); ok {
		if c.bodyRE, err = regexp.Compile(re); err != nil {
			return nil, fmt.Errorf("invalid body_regex: %v", err)
		}
	}

	hdrs, err := a.strMap("headers")
	if err != nil {
		return nil, err
	}
	for k, v := range hdrs {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("headers: invalid header name %q", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("headers: the value of %q contains a line break or NUL", k)
		}
		if strings.EqualFold(k, "Host") {
			c.host = v
			continue
		}
		c.headers.Set(k, v)
		// No Detail is built from a header value; as a second line of
		// defence, long values (tokens, keys) are redacted like secrets.
		// Short ones ("json", "prod") would mangle ordinary text; a short
		// value marked sensitive is redacted anyway (see readAttrs).
		if len(v) >= 8 {
			a.red.Add(v)
		}
	}
	if c.headers.Get("User-Agent") == "" {
		c.headers.Set("User-Agent", userAgent)
	}
	if h, ok := a.str("host"); ok && h != "" {
		c.host = h
	}

	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if sn, ok := a.str("server_name"); ok && sn != "" {
		tlsCfg.ServerName = sn
	} else if c.host != "" {
		tlsCfg.ServerName = hostOnly(c.host)
	}
	if caFile, ok := a.str("ca_file"); ok && caFile != "" {
		// Bounded and regular files only, as every input (see safeio).
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
	if tlsCfg.InsecureSkipVerify, err = a.boolean("insecure_skip_verify"); err != nil {
		return nil, err
	}

	dialer := &net.Dialer{Timeout: cfg.Timeout}
	c.client = &http.Client{
		Transport: &http.Transport{
			// Probes go straight to the URL: never through a proxy named
			// by the environment, which would judge the proxy instead.
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			TLSClientConfig:     tlsCfg,
			TLSHandshakeTimeout: cfg.Timeout,
			// Every probe opens its own connection: a kept-alive
			// connection would hide a listener that stopped accepting.
			DisableKeepAlives: true,
			// HTTP/1.1 only, like load balancers' health checks: with a
			// custom TLS config and dialer the transport does not attempt
			// HTTP/2, and no connection is shared between probes.
		},
		// A redirect is an answer like any other, judged by expect_status.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// hostOnly strips a port from a Host header value.
func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// Probe sends one request and judges its status and body.
func (c *httpCheck) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer finishProbe(c.red, start, &res)

	pctx, cancel := probeContext(ctx, c.timeout)
	defer cancel()
	fail := func(err error) providers.Result {
		return providers.Result{Healthy: false, Detail: failure(ctx, pctx, c.timeout, unwrapURLError(err)), Latency: time.Since(start)}
	}

	req, err := http.NewRequestWithContext(pctx, c.method, c.url, nil)
	if err != nil {
		return fail(err)
	}
	req.Header = c.headers.Clone()
	if c.host != "" {
		req.Host = c.host
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()

	var body []byte
	if c.bodyRE != nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			return fail(fmt.Errorf("reading body: %w", err))
		}
	}
	lat := time.Since(start)

	if !c.statusOK(resp.StatusCode) {
		return providers.Result{Healthy: false, Latency: lat,
			Detail: fmt.Sprintf("HTTP %d (expected %s)", resp.StatusCode, c.expected)}
	}
	if c.bodyRE != nil && !c.bodyRE.Match(body) {
		return providers.Result{Healthy: false, Latency: lat,
			Detail: fmt.Sprintf("HTTP %d, body does not match /%s/", resp.StatusCode, c.bodyRE)}
	}
	return providers.Result{Healthy: true, Latency: lat, Detail: fmt.Sprintf("HTTP %d", resp.StatusCode)}
}

func (c *httpCheck) statusOK(code int) bool {
	for _, s := range c.expect {
		if s == code {
			return true
		}
	}
	return false
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the method
// and the whole URL (query strings included) before the cause.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
