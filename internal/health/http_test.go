package health

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
)

// quietLog drops the servers' expected TLS handshake errors.
var quietLog = log.New(io.Discard, "", 0)

// recorder remembers what the last request looked like.
type recorder struct {
	mu     sync.Mutex
	method string
	host   string
	header http.Header
	sni    string
	paths  []string
}

func (r *recorder) record(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.method, r.host, r.header = req.Method, req.Host, req.Header.Clone()
	r.paths = append(r.paths, req.URL.Path)
}

func (r *recorder) get() recorder {
	r.mu.Lock()
	defer r.mu.Unlock()
	return recorder{method: r.method, host: r.host, header: r.header, sni: r.sni, paths: append([]string(nil), r.paths...)}
}

// testMux serves the paths the http tests use.
func testMux(rec *recorder) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		_, _ = w.Write([]byte("status: ok\n"))
	})
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		<-r.Context().Done()
	})
	mux.HandleFunc("/slowbody", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		_, _ = w.Write([]byte("partial "))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	// /big?at=N: N bytes of filler, then MARKER.
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		var n int
		for _, c := range r.URL.Query().Get("at") {
			n = n*10 + int(c-'0')
		}
		_, _ = w.Write([]byte(strings.Repeat("x", n) + "MARKER"))
	})
	// /endless: a body that never ends, until the client goes away.
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		chunk := []byte(strings.Repeat("y", 64<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	return mux
}

func plainServer(t *testing.T) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(testMux(rec))
	t.Cleanup(srv.Close)
	return srv, rec
}

func TestHTTPStatus(t *testing.T) {
	srv, _ := plainServer(t)
	tests := []struct {
		name    string
		path    string
		expect  cty.Value // cty.NilVal: the default
		healthy bool
		detail  string
	}{
		{"default expects 200", "/ok", cty.NilVal, true, "HTTP 200"},
		{"default rejects 503", "/fail", cty.NilVal, false, "HTTP 503 (expected 200)"},
		{"204 in the set", "/nocontent", nums(200, 204), true, "HTTP 204"},
		{"200 not in the set", "/ok", nums(204), false, "HTTP 200 (expected 204)"},
		{"503 against a set", "/fail", nums(200, 204), false, "HTTP 503 (expected 200, 204)"},
		{"503 expected", "/fail", nums(503), true, "HTTP 503"},
		{"404", "/missing", cty.NilVal, false, "HTTP 404 (expected 200)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]cty.Value{"url": str(srv.URL + tc.path)}
			if tc.expect != cty.NilVal {
				set["expect_status"] = tc.expect
			}
			r := probe(t, newCheck(t, "http", set, long))
			if r.Healthy != tc.healthy || r.Detail != tc.detail {
				t.Errorf("got (%v, %q), want (%v, %q)", r.Healthy, r.Detail, tc.healthy, tc.detail)
			}
			if r.Latency <= 0 {
				t.Errorf("latency %s, want > 0", r.Latency)
			}
		})
	}
}

func TestHTTPBodyRegex(t *testing.T) {
	srv, _ := plainServer(t)
	tests := []struct {
		path, re string
		healthy  bool
		detail   string
	}{
		{"/ok", "ok", true, "HTTP 200"},
		{"/ok", `^status: \w+$`, false, "HTTP 200, body does not match /^status: \\w+$/"},
		{"/ok", `(?m)^status: \w+$`, true, "HTTP 200"},
		{"/ok", "ready", false, "HTTP 200, body does not match /ready/"},
		// The status is judged first.
		{"/fail", "maintenance", false, "HTTP 503 (expected 200)"},
	}
	for _, tc := range tests {
		t.Run(tc.path+" "+tc.re, func(t *testing.T) {
			c := newCheck(t, "http", map[string]cty.Value{"url": str(srv.URL + tc.path), "body_regex": str(tc.re)}, long)
			r := probe(t, c)
			if r.Healthy != tc.healthy || r.Detail != tc.detail {
				t.Errorf("got (%v, %q), want (%v, %q)", r.Healthy, r.Detail, tc.healthy, tc.detail)
			}
		})
	}
}

func TestHTTPMethodHeadersHost(t *testing.T) {
	srv, rec := plainServer(t)
	const token = "Bearer s3cr3t-token"
	c := newCheck(t, "http", map[string]cty.Value{
		"url":    str(srv.URL + "/fail"),
		"method": str("HEAD"),
		"headers": cty.MapVal(map[string]cty.Value{
			"Authorization": str(token),
			"X-Probe":       str("fbctl-test-probe"),
		}),
		"host": str("svc.example.com"),
	}, long)
	r := probe(t, c)
	got := rec.get()
	if got.method != "HEAD" {
		t.Errorf("method %q, want HEAD", got.method)
	}
	if got.host != "svc.example.com" {
		t.Errorf("Host %q, want svc.example.com", got.host)
	}
	if v := got.header.Get("Authorization"); v != token {
		t.Errorf("Authorization %q, want %q", v, token)
	}
	if v := got.header.Get("X-Probe"); v != "fbctl-test-probe" {
		t.Errorf("X-Probe %q", v)
	}
	if v := got.header.Get("User-Agent"); v != userAgent {
		t.Errorf("User-Agent %q, want %q", v, userAgent)
	}
	if r.Healthy || r.Detail != "HTTP 503 (expected 200)" {
		t.Errorf("got (%v, %q)", r.Healthy, r.Detail)
	}
}

func TestHTTPHeaderValuesNeverInDetail(t *testing.T) {
	// The regex is the header value: a Detail quoting the regex would
	// quote the header, so it is redacted.
	srv, _ := plainServer(t)
	c := newCheck(t, "http", map[string]cty.Value{
		"url":        str(srv.URL + "/ok"),
		"headers":    cty.MapVal(map[string]cty.Value{"X-Api-Key": str("key-123456")}),
		"body_regex": str("key-123456"),
	}, long)
	r := probe(t, c)
	if r.Healthy || strings.Contains(r.Detail, "key-123456") {
		t.Errorf("got (%v, %q): want unhealthy without the header value", r.Healthy, r.Detail)
	}
}

func TestHTTPSensitive(t *testing.T) {
	srv, _ := plainServer(t)
	closed := testenv.ClosedAddr(t)
	tests := []struct {
		name   string
		set    map[string]cty.Value
		secret []string
		marker bool // the Detail would have quoted a secret
	}{
		{"url with a token", map[string]cty.Value{"url": sensitive(str(srv.URL + "/fail?token=t0k3n-value"))},
			[]string{"t0k3n-value", srv.URL}, false},
		{"url of a closed port", map[string]cty.Value{"url": sensitive(str("http://" + closed + "/x?token=t0k3n-value"))},
			[]string{"t0k3n-value", closed}, true},
		{"body_regex", map[string]cty.Value{"url": str(srv.URL + "/ok"), "body_regex": sensitive(str("hidden-pattern"))},
			[]string{"hidden-pattern"}, true},
		{"short header value marked sensitive", map[string]cty.Value{"url": str(srv.URL + "/ok"), "body_regex": str("abc"),
			"headers": cty.MapVal(map[string]cty.Value{"X-K": sensitive(str("abc"))})},
			[]string{"abc"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := probe(t, newCheck(t, "http", tc.set, long))
			if r.Healthy {
				t.Errorf("healthy, want unhealthy")
			}
			for _, s := range tc.secret {
				if strings.Contains(r.Detail, s) {
					t.Errorf("Detail %q holds the sensitive %q", r.Detail, s)
				}
			}
			if tc.marker && !strings.Contains(r.Detail, redacted) {
				t.Errorf("Detail %q: want the redaction marker", r.Detail)
			}
		})
	}
}

func TestHTTPNoRedirect(t *testing.T) {
	srv, rec := plainServer(t)
	r := probe(t, newCheck(t, "http", map[string]cty.Value{"url": str(srv.URL + "/redirect")}, long))
	if r.Healthy || r.Detail != "HTTP 302 (expected 200)" {
		t.Errorf("got (%v, %q), want the 302 judged", r.Healthy, r.Detail)
	}
	if p := rec.get().paths; len(p) != 1 || p[0] != "/redirect" {
		t.Errorf("paths requested %v, want only /redirect", p)
	}
	r = probe(t, newCheck(t, "http", map[string]cty.Value{"url": str(srv.URL + "/redirect"), "expect_status": nums(301, 302)}, long))
	if !r.Healthy || r.Detail != "HTTP 302" {
		t.Errorf("got (%v, %q), want healthy on an expected 302", r.Healthy, r.Detail)
	}
}

func TestHTTPTimeout(t *testing.T) {
	srv, _ := plainServer(t)
	for _, tc := range []struct {
		path, re string
	}{
		{"/block", ""},       // no response headers at all
		{"/slowbody", "ok$"}, // headers, then a body that never ends
	} {
		t.Run(tc.path, func(t *testing.T) {
			set := map[string]cty.Value{"url": str(srv.URL + tc.path)}
			if tc.re != "" {
				set["body_regex"] = str(tc.re)
			}
			const timeout = 150 * time.Millisecond
			r := probe(t, newCheck(t, "http", set, timeout))
			if r.Healthy || r.Detail != "timeout after 150ms" {
				t.Errorf("got (%v, %q), want a timeout", r.Healthy, r.Detail)
			}
			if r.Latency < timeout || r.Latency > timeout+5*time.Second {
				t.Errorf("latency %s, want about %s", r.Latency, timeout)
			}
		})
	}
}

func TestHTTPCancelled(t *testing.T) {
	srv, _ := plainServer(t)
	c := newCheck(t, "http", map[string]cty.Value{"url": str(srv.URL + "/block")}, long)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := c.Probe(ctx)
	if r.Healthy || !strings.HasPrefix(r.Detail, "cancelled: ") {
		t.Errorf("got (%v, %q), want cancelled", r.Healthy, r.Detail)
	}
}

func TestHTTPBodyCap(t *testing.T) {
	srv, _ := plainServer(t)
	tests := []struct {
		path    string
		healthy bool
	}{
		{"/big?at=100", true},
		{"/big?at=1048570", true},  // MARKER ends at exactly 1 MiB
		{"/big?at=1048571", false}, // its last byte is past the cap
		{"/big?at=2097152", false},
		{"/endless", false}, // returns at the cap, not at the timeout
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := probe(t, newCheck(t, "http", map[string]cty.Value{"url": str(srv.URL + tc.path), "body_regex": str("MARKER")}, long))
			if r.Healthy != tc.healthy {
				t.Errorf("healthy %v, want %v (%q)", r.Healthy, tc.healthy, r.Detail)
			}
			if !tc.healthy && r.Detail != "HTTP 200, body does not match /MARKER/" {
				t.Errorf("detail %q", r.Detail)
			}
		})
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	addr := testenv.ClosedAddr(t)
	r := probe(t, newCheck(t, "http", map[string]cty.Value{"url": str("http://" + addr + "/healthz")}, long))
	if r.Healthy || !strings.HasPrefix(r.Detail, "dial tcp "+addr) || !strings.Contains(r.Detail, "connection refused") {
		t.Errorf("got (%v, %q), want a refused dial", r.Healthy, r.Detail)
	}
}

func TestHTTPNoProxy(t *testing.T) {
	c := newCheck(t, "http", map[string]cty.Value{"url": str("http://127.0.0.1:1/")}, long).(*httpCheck)
	if tr := c.client.Transport.(*http.Transport); tr.Proxy != nil {
		t.Errorf("transport has a Proxy function; probes must go direct")
	}
}

// writePEM writes a certificate to a temporary PEM file.
func writePEM(t *testing.T, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHTTPSVerification(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewUnstartedServer(testMux(rec))
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := writePEM(t, srv.Certificate().Raw)
	tests := []struct {
		name    string
		set     map[string]cty.Value
		healthy bool
		detail  string // substring
	}{
		{"verified by default, self-signed fails", nil, false, "certificate signed by unknown authority"},
		{"ca_file trusts it", map[string]cty.Value{"ca_file": str(caFile)}, true, "HTTP 200"},
		{"insecure_skip_verify", map[string]cty.Value{"insecure_skip_verify": cty.True}, true, "HTTP 200"},
		{"insecure_skip_verify false", map[string]cty.Value{"insecure_skip_verify": cty.False}, false, "unknown authority"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]cty.Value{"url": str(srv.URL + "/ok")}
			for k, v := range tc.set {
				set[k] = v
			}
			r := probe(t, newCheck(t, "http", set, long))
			if r.Healthy != tc.healthy || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got (%v, %q), want (%v, ...%q...)", r.Healthy, r.Detail, tc.healthy, tc.detail)
			}
		})
	}
}

// selfSigned returns a certificate valid only for the DNS name given.
func selfSigned(t *testing.T, dnsName string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: dnsName},
		DNSNames:              []string{dnsName},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestHTTPSServerName(t *testing.T) {
	rec := &recorder{}
	cert := selfSigned(t, "svc.internal")
	srv := httptest.NewUnstartedServer(testMux(rec))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			rec.mu.Lock()
			rec.sni = hello.ServerName
			rec.mu.Unlock()
			return nil, nil
		},
	}
	srv.Config.ErrorLog = quietLog
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := writePEM(t, cert.Certificate[0])

	tests := []struct {
		name      string
		set       map[string]cty.Value
		healthy   bool
		detail    string // substring
		sni, host string
	}{
		{"the URL's IP does not match the certificate", nil, false, "127.0.0.1", "", ""},
		{"server_name", map[string]cty.Value{"server_name": str("svc.internal")}, true, "HTTP 200", "svc.internal", srv.Listener.Addr().String()},
		{"host sets the server name", map[string]cty.Value{"host": str("svc.internal")}, true, "HTTP 200", "svc.internal", "svc.internal"},
		{"host with a port", map[string]cty.Value{"host": str("svc.internal:8443")}, true, "HTTP 200", "svc.internal", "svc.internal:8443"},
		{"server_name wins over host", map[string]cty.Value{"host": str("www.example.com"), "server_name": str("svc.internal")}, true, "HTTP 200", "svc.internal", "www.example.com"},
		{"wrong server_name", map[string]cty.Value{"server_name": str("other.internal")}, false, "other.internal", "other.internal", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]cty.Value{"url": str(srv.URL + "/ok"), "ca_file": str(caFile)}
			for k, v := range tc.set {
				set[k] = v
			}
			r := probe(t, newCheck(t, "http", set, long))
			if r.Healthy != tc.healthy || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got (%v, %q), want (%v, ...%q...)", r.Healthy, r.Detail, tc.healthy, tc.detail)
			}
			got := rec.get()
			if got.sni != tc.sni {
				t.Errorf("SNI %q, want %q", got.sni, tc.sni)
			}
			if tc.host != "" && got.host != tc.host {
				t.Errorf("Host %q, want %q", got.host, tc.host)
			}
		})
	}
}

func TestHTTPConstructorErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		set     map[string]cty.Value
		timeout time.Duration
		want    string
	}{
		{"missing ca_file", map[string]cty.Value{"ca_file": str(filepath.Join(dir, "nope.pem"))}, long, "ca_file"},
		{"ca_file without PEM", map[string]cty.Value{"ca_file": str(notPEM)}, long, "no PEM certificate"},
		{"relative url", map[string]cty.Value{"url": str("/healthz")}, long, "url"},
		{"ftp url", map[string]cty.Value{"url": str("ftp://example.com/")}, long, "url"},
		{"bad regex", map[string]cty.Value{"body_regex": str("(")}, long, "body_regex"},
		{"bad method", map[string]cty.Value{"method": str("DELETE")}, long, "method"},
		{"status out of range", map[string]cty.Value{"expect_status": nums(99)}, long, "expect_status"},
		{"empty status set", map[string]cty.Value{"expect_status": cty.ListValEmpty(cty.Number)}, long, "expect_status"},
		{"bad header name", map[string]cty.Value{"headers": cty.MapVal(map[string]cty.Value{"Bad Name": str("x")})}, long, "header name"},
		{"header with a line break", map[string]cty.Value{"headers": cty.MapVal(map[string]cty.Value{"X-A": str("a\r\nX-B: b")})}, long, "line break"},
		{"zero timeout", nil, 0, "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]cty.Value{"url": str("https://example.com/healthz")}
			for k, v := range tc.set {
				set[k] = v
			}
			err := newCheckErr(t, "http", set, tc.timeout)
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `http check "test-http"`) {
				t.Errorf("error %q, want one naming the check and %q", err, tc.want)
			}
		})
	}

	t.Run("sensitive ca_file path", func(t *testing.T) {
		secretPath := filepath.Join(dir, "s3cr3t-name.pem")
		err := newCheckErr(t, "http", map[string]cty.Value{"url": str("https://example.com/"), "ca_file": sensitive(str(secretPath))}, long)
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error %q holds the sensitive path", err)
		}
	})
	t.Run("not an object", func(t *testing.T) {
		_, err := kindOf(t, "http").NewCheck(providersConfig(cty.StringVal("x")))
		if err == nil {
			t.Fatal("no error for a non-object Attrs")
		}
	})
}

func TestProbesConcurrent(t *testing.T) {
	srv, _ := plainServer(t)
	server, _ := startDNS(t)
	checks := []providers.Check{
		newCheck(t, "http", map[string]cty.Value{"url": str(srv.URL + "/ok"), "body_regex": str("ok"),
			"headers": cty.MapVal(map[string]cty.Value{"X-A": str("1")})}, long),
		newCheck(t, "tcp", map[string]cty.Value{"address": str(srv.Listener.Addr().String())}, long),
		newCheck(t, "dns", map[string]cty.Value{"name": str("a.test"), "server": str(server), "expect": strs("192.0.2.1")}, long),
	}
	var wg sync.WaitGroup
	for _, c := range checks {
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := c.Probe(context.Background()); !r.Healthy {
					t.Errorf("%T: %q", c, r.Detail)
				}
			}()
		}
	}
	wg.Wait()
}
