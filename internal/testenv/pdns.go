package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// PDNS is a PowerDNS Authoritative server (pdns_server) run by a test:
// the gsqlite3 backend in the test's directory, LUA records enabled, the
// HTTP API on a free loopback port and DNS on another.
type PDNS struct {
	// APIURL is the webserver's base URL, e.g. http://127.0.0.1:40123.
	APIURL string
	// APIKey is the random api-key the server accepts.
	APIKey string
	// DNSAddr is the DNS listener, 127.0.0.1:PORT (UDP and TCP).
	DNSAddr string
	// Dir is the server's configuration directory.
	Dir string

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

const pdnsStartTimeout = 20 * time.Second

// pdnsSchemas are where Debian's pdns-backend-sqlite3 puts its schema.
var pdnsSchemas = []string{
	"/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql",
	"/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql",
}

// StartPDNS creates the SQLite database from the package's schema (with
// the sqlite3 command), writes pdns.conf into the test's temporary
// directory, runs pdns_server in the foreground on free loopback ports and
// waits until the API answers; the server is stopped when the test ends.
// Caches are off, so every answer reflects the database at once. A missing
// pdns_server, schema or sqlite3 fails the test (run `make deps`).
func StartPDNS(t testing.TB) *PDNS {
	t.Helper()
	bin, ok := lookBinary("pdns_server")
	if !ok {
		t.Fatal("pdns_server (PowerDNS Authoritative) is not installed: run `make deps` " +
			"(it installs pdns-server and pdns-backend-sqlite3); a missing server is a failure, not a skip")
	}
	sqlite, ok := lookBinary("sqlite3")
	if !ok {
		t.Fatal("sqlite3 is not installed: run `make deps`; a missing tool is a failure, not a skip")
	}
	schema := ""
	for _, p := range pdnsSchemas {
		if _, err := os.Stat(p); err == nil {
			schema = p
			break
		}
	}
	if schema == "" {
		t.Fatal("the gsqlite3 schema of pdns-backend-sqlite3 is missing: run `make deps`")
	}
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	p := &PDNS{APIKey: hex.EncodeToString(key), Dir: t.TempDir()}
	db := filepath.Join(p.Dir, "pdns.sqlite3")
	sql, err := os.ReadFile(schema)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sqlite, db)
	cmd.Stdin = bytes.NewReader(sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("creating the PowerDNS database: %v\n%s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		err := p.start(bin, db)
		if err == nil {
			t.Cleanup(func() {
				p.stop()
				if t.Failed() {
					t.Logf("pdns_server output:\n%s", p.out.String())
				}
			})
			return p
		}
		lastErr = err
		if !strings.Contains(err.Error(), "in use") {
			break
		}
	}
	t.Fatalf("starting pdns_server: %v", lastErr)
	return nil
}

func (p *PDNS) start(bin, db string) error {
	dnsPort, err := freeUDPTCPPort()
	if err != nil {
		return err
	}
	apiPort, err := freePort()
	if err != nil {
		return err
	}
	p.DNSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(dnsPort))
	p.APIURL = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(apiPort))
	conf := strings.Join([]string{
		"launch=gsqlite3",
		"gsqlite3-database=" + db,
		"enable-lua-records=yes",
		"api=yes",
		"api-key=" + p.APIKey,
		"webserver=yes",
		"webserver-address=127.0.0.1",
		"webserver-port=" + strconv.Itoa(apiPort),
		"webserver-allow-from=127.0.0.0/8",
		"local-address=127.0.0.1",
		"local-port=" + strconv.Itoa(dnsPort),
		"daemon=no",
		"guardian=no",
		"socket-dir=" + p.Dir,
		// No caches: an answer reflects the database at once, and a LUA
		// answer that depends on the client is never served to another.
		"cache-ttl=0",
		"query-cache-ttl=0",
		"negquery-cache-ttl=0",
		"zone-cache-refresh-interval=0",
		"consistent-backends=yes",
		"security-poll-suffix=",
		"distributor-threads=1",
		"receiver-threads=1",
		"loglevel=4",
		"",
	}, "\n")
	if err := os.WriteFile(filepath.Join(p.Dir, "pdns.conf"), []byte(conf), 0o600); err != nil {
		return err
	}
	p.out = &syncBuffer{}
	p.done = make(chan struct{})
	p.cmd = exec.Command(bin, "--config-dir="+p.Dir)
	p.cmd.Dir = p.Dir
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		return err
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(); err != nil {
		p.stop()
		return fmt.Errorf("%v\npdns_server output:\n%s", err, strings.ReplaceAll(p.out.String(), p.APIKey, "(key)"))
	}
	return nil
}

func (p *PDNS) waitReady() error {
	return waitReady("pdns_server", p.cmd, p.done, pdnsStartTimeout, 20*time.Millisecond, func() error {
		if strings.Contains(p.out.String(), "Address already in use") {
			return errors.New("pdns_server reports an address in use")
		}
		return nil
	}, p.ready)
}

func (p *PDNS) ready() error {
	code, _, err := p.do(http.MethodGet, "/api/v1/servers/localhost", "")
	if err != nil {
		return err
	}
	if code != 200 {
		return fmt.Errorf("API answered HTTP %d", code)
	}
	// And DNS: a refusal for a zone it does not have is an answer.
	c := &dns.Client{Net: "udp", Timeout: 500 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion("fbctl-ready.invalid.", dns.TypeSOA)
	_, _, err = c.Exchange(m, p.DNSAddr)
	return err
}

func (p *PDNS) stop() {
	if p.cmd == nil || p.done == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// Output returns what pdns_server has logged so far.
func (p *PDNS) Output() string { return p.out.String() }

func (p *PDNS) do(method, path, body string) (int, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, p.APIURL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-API-Key", p.APIKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, b, err
}

// API calls the API with the key (path from /api/v1/...) and fails the
// test unless the answer's status is want.
func (p *PDNS) API(t testing.TB, method, path, body string, want int) []byte {
	t.Helper()
	code, b, err := p.do(method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if code != want {
		t.Fatalf("%s %s: HTTP %d, want %d: %s", method, path, code, want, b)
	}
	return b
}

// CreateZone creates a Native zone with an NS record (ns1.ZONE) and the
// rrsets in rrsetsJSON (a JSON array of the API's rrsets, "" for none).
func (p *PDNS) CreateZone(t testing.TB, zone, rrsetsJSON string) {
	t.Helper()
	zone = dns.Fqdn(zone)
	if rrsetsJSON == "" {
		rrsetsJSON = "[]"
	}
	body := fmt.Sprintf(`{"name":%q,"kind":"Native","nameservers":[%q],"rrsets":%s}`, zone, "ns1."+zone, rrsetsJSON)
	p.API(t, http.MethodPost, "/api/v1/servers/localhost/zones", body, http.StatusCreated)
}

// Export returns the zone as the API exports it (one record a line).
func (p *PDNS) Export(t testing.TB, zone string) string {
	t.Helper()
	return string(p.API(t, http.MethodGet, "/api/v1/servers/localhost/zones/"+dns.Fqdn(zone)+"/export", "", http.StatusOK))
}

// QueryFrom asks the server for name/qtype over UDP from the loopback
// address src (any 127.x.y.z: Linux routes 127/8 to lo) and returns the
// answer's A or AAAA addresses.
func (p *PDNS) QueryFrom(src net.IP, name string, qtype uint16) ([]string, error) {
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second,
		Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: src}, Timeout: 2 * time.Second}}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	r, _, err := c.Exchange(m, p.DNSAddr)
	if err != nil {
		return nil, err
	}
	if r.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("%s %s: %s", name, dns.TypeToString[qtype], dns.RcodeToString[r.Rcode])
	}
	return RRData(r.Answer), nil
}
