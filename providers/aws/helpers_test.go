package aws

import (
	"bytes"
	"context"
	"fmt"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
)

// The tests take static credentials from the environment, as the SDK's
// default chain does in production, and never read the host's AWS files.
func TestMain(m *testing.M) {
	for _, kv := range (&testenv.Moto{}).Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	// Retries without the SDK's backoff waits (up to seconds each).
	testBackoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	os.Exit(m.Run())
}

// ignoreUnexported lets go-cmp compare the SDK's types, which embed an
// unexported marker struct.
var ignoreUnexported = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && !token.IsExported(sf.Name())
}, cmp.Ignore())

// proxy sits between the provider and moto: it counts every request by
// API operation and can answer some requests itself (fault injection).
// Everything else goes to moto unchanged.
type proxy struct {
	URL string

	mu     sync.Mutex
	counts map[string]int
	log    []string
	bodies map[string][]string // request bodies by operation
	// fault, when set, may answer a request instead of moto: it gets the
	// operation and how many requests of it came before (0 for the first).
	fault func(op string, n int) (status int, body string, ok bool)
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		op := operation(r, body)
		p.mu.Lock()
		n := p.counts[op]
		p.counts[op]++
		p.log = append(p.log, op)
		if p.bodies == nil {
			p.bodies = map[string][]string{}
		}
		p.bodies[op] = append(p.bodies[op], string(body))
		fault := p.fault
		p.mu.Unlock()
		if fault != nil {
			if status, body, ok := fault(op, n); ok {
				w.Header().Set("Content-Type", "text/xml")
				w.Header().Set("x-amzn-RequestId", fmt.Sprintf("fault-%s-%d", op, n))
				w.WriteHeader(status)
				io.WriteString(w, body)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// operation names the AWS API operation of a request to moto.
func operation(r *http.Request, body []byte) string {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/2013-04-01/"):
		rest := strings.TrimPrefix(path, "/2013-04-01/")
		switch {
		case strings.HasPrefix(rest, "hostedzonesbyname"):
			return "ListHostedZonesByName"
		case strings.HasPrefix(rest, "hostedzone/") && strings.HasSuffix(rest, "/rrset") && r.Method == http.MethodGet:
			return "ListResourceRecordSets"
		case strings.HasPrefix(rest, "hostedzone/") && strings.HasSuffix(rest, "/rrset"):
			return "ChangeResourceRecordSets"
		case strings.HasPrefix(rest, "change/"):
			return "GetChange"
		case strings.HasPrefix(rest, "healthcheck/") && strings.HasSuffix(rest, "/status"):
			return "GetHealthCheckStatus"
		}
		return "Route53 " + r.Method + " " + rest
	case r.Method == http.MethodPost:
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			return v.Get("Action")
		}
	}
	return r.Method + " " + path
}

func (p *proxy) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[op]
}

// total is the number of requests of every operation.
func (p *proxy) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.counts {
		n += c
	}
	return n
}

func (p *proxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
	p.log = nil
	p.bodies = nil
}

// bodiesOf returns the request bodies of an operation so far.
func (p *proxy) bodiesOf(op string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bodies[op]...)
}

func (p *proxy) snapshot() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

func (p *proxy) setFault(f func(op string, n int) (int, string, bool)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

// providerBlock returns a decoded provider "aws" NAME block pointing at
// endpoint. Tests use a fast rate limit unless they set their own, and a
// name unique to the test so that their clients are their own.
func providerBlock(t *testing.T, endpoint string, attrs map[string]cty.Value) *providers.ProviderConfig {
	t.Helper()
	obj := map[string]cty.Value{
		"region":              cty.StringVal("us-east-1"),
		"profile":             cty.NullVal(cty.String),
		"assume_role":         cty.NullVal(cty.String),
		"endpoint_url":        cty.StringVal(endpoint),
		"requests_per_second": cty.NumberIntVal(1000),
		"burst":               cty.NumberIntVal(10000),
	}
	for k, v := range attrs {
		obj[k] = v
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return &providers.ProviderConfig{Type: "aws", Name: name, Attrs: cty.ObjectVal(obj)}
}

func strList(ss ...string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	var vs []cty.Value
	for _, s := range ss {
		vs = append(vs, cty.StringVal(s))
	}
	return cty.ListVal(vs)
}

// r53Attrs is a route53_weighted block with every attribute.
func r53Attrs(zoneID, zone, name, typ string, primary, secondary []string) cty.Value {
	str := func(s string) cty.Value {
		if s == "" {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(s)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"zone_id":   str(zoneID),
		"zone":      str(zone),
		"name":      cty.StringVal(name),
		"type":      cty.StringVal(typ),
		"primary":   strList(primary...),
		"secondary": strList(secondary...),
	})
}

// albAttrs is an alb_forward block with every attribute.
func albAttrs(listener, rule string, primary, secondary []string) cty.Value {
	str := func(s string) cty.Value {
		if s == "" {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(s)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"listener_arn": str(listener),
		"rule_arn":     str(rule),
		"primary":      strList(primary...),
		"secondary":    strList(secondary...),
	})
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
