package testenv

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// BINDZone is one primary zone StartBIND serves.
type BINDZone struct {
	// Name is the zone's name, e.g. "example.test" (a trailing dot is
	// optional).
	Name string
	// Records is zone-file text appended after the SOA, the NS record
	// ns1.ZONE and ns1's A record 127.0.0.1, with $ORIGIN set to the zone
	// and $TTL 300: e.g. "www 60 IN A 192.0.2.1\nmail IN MX 10 mx1\n".
	Records string
	// UpdatePolicy is the body of the zone's update-policy, KEY standing
	// for the key's name; "grant KEY zonesub ANY;" when empty.
	UpdatePolicy string
}

// BINDConfig describes the BIND StartBIND runs.
type BINDConfig struct {
	// Zones are the zones served; at least one.
	Zones []BINDZone
	// KeyName is the TSIG key's name; "fbctl-key" when empty.
	KeyName string
}

// BIND is a running named serving Zones on Addr over UDP and TCP, stopped
// when the test ends. Every zone grants dynamic updates of any record in it
// (`update-policy { grant KEY zonesub ANY; }`, unless its UpdatePolicy says
// otherwise) and zone transfers only to the TSIG key; recursion is off.
type BIND struct {
	// Addr is "127.0.0.1:PORT", the same port for UDP and TCP.
	Addr string
	// KeyName is the TSIG key's name, KeyAlg its algorithm
	// ("hmac-sha256") and KeySecret its secret, base64.
	KeyName   string
	KeyAlg    string
	KeySecret string
	// Zones are the served zones' names, fully qualified.
	Zones []string
	// policies are the zones' update-policy bodies, parallel to Zones.
	policies []string
	// ConfigPath is the named.conf named runs with.
	ConfigPath string

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// bindStartTimeout bounds how long StartBIND waits for named to answer.
const bindStartTimeout = 20 * time.Second

// StartBIND writes a configuration, a TSIG key (hmac-sha256, random) and
// the zones into the test's temporary directory, runs `named -g -c CONF`
// on a free loopback port (free for both UDP and TCP), waits until every
// zone's SOA is answered, and stops named when the test ends. A missing
// named binary fails the test (run `make deps`); so does a named that does
// not start, with its output in the message.
func StartBIND(t testing.TB, cfg BINDConfig) *BIND {
	t.Helper()
	bin := bindBinary(t)
	if len(cfg.Zones) == 0 {
		t.Fatal("StartBIND: no zone")
	}
	if cfg.KeyName == "" {
		cfg.KeyName = "fbctl-key"
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	b := &BIND{
		KeyName:   cfg.KeyName,
		KeyAlg:    "hmac-sha256",
		KeySecret: base64.StdEncoding.EncodeToString(secret),
	}
	dir := t.TempDir()
	for _, z := range cfg.Zones {
		name := dns.Fqdn(strings.ToLower(z.Name))
		if _, ok := dns.IsDomainName(name); !ok || name == "." {
			t.Fatalf("StartBIND: invalid zone name %q", z.Name)
		}
		b.Zones = append(b.Zones, name)
		policy := z.UpdatePolicy
		if policy == "" {
			policy = "grant KEY zonesub ANY;"
		}
		b.policies = append(b.policies, strings.ReplaceAll(policy, "KEY", strconv.Quote(cfg.KeyName)))
		if err := os.WriteFile(filepath.Join(dir, "db."+name), []byte(zoneFile(name, z.Records)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A port free now may be taken before named binds it: try again with
	// another one when that happens.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		err := b.start(bin, dir)
		if err == nil {
			t.Cleanup(func() {
				b.stop()
				if t.Failed() {
					t.Logf("named output:\n%s", b.out.String())
				}
			})
			return b
		}
		lastErr = err
		if !errors.Is(err, errBindPort) {
			break
		}
	}
	t.Fatalf("starting named: %v", lastErr)
	return nil
}

var errBindPort = errors.New("named could not bind its port")

func bindBinary(t testing.TB) string {
	t.Helper()
	if p, ok := lookBinary("named"); ok {
		return p
	}
	t.Fatal("named (BIND 9) is not installed (not on PATH, /usr/sbin or /usr/local/sbin): run `make deps` " +
		"(it installs bind9 and bind9-utils); a missing server is a failure, not a skip")
	return ""
}

func zoneFile(zone, records string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ORIGIN %s\n$TTL 300\n", zone)
	fmt.Fprintf(&b, "@ IN SOA ns1.%s hostmaster.%s 1 3600 600 86400 60\n", zone, zone)
	fmt.Fprintf(&b, "@ IN NS ns1.%s\nns1 IN A 127.0.0.1\n", zone)
	b.WriteString(records)
	if !strings.HasSuffix(records, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

func (b *BIND) renderConfig(dir string, port int) string {
	var c strings.Builder
	fmt.Fprintf(&c, "key %q {\n\talgorithm %s;\n\tsecret %q;\n};\n\n", b.KeyName, b.KeyAlg, b.KeySecret)
	fmt.Fprintf(&c, "options {\n\tdirectory %q;\n\tpid-file %q;\n\tsession-keyfile %q;\n\tmanaged-keys-directory %q;\n",
		dir, filepath.Join(dir, "named.pid"), filepath.Join(dir, "session.key"), dir)
	fmt.Fprintf(&c, "\tlisten-on port %d { 127.0.0.1; };\n\tlisten-on-v6 { none; };\n", port)
	c.WriteString("\trecursion no;\n\tallow-query { 127.0.0.1; };\n\tdnssec-validation no;\n\tnotify no;\n};\n\ncontrols { };\n")
	for i, z := range b.Zones {
		fmt.Fprintf(&c, "\nzone %q {\n\ttype primary;\n\tfile %q;\n", z, filepath.Join(dir, "db."+z))
		fmt.Fprintf(&c, "\tupdate-policy { %s };\n\tallow-transfer { key %q; };\n};\n", b.policies[i], b.KeyName)
	}
	return c.String()
}

func (b *BIND) start(bin, dir string) error {
	port, err := freeUDPTCPPort()
	if err != nil {
		return err
	}
	b.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	b.ConfigPath = filepath.Join(dir, "named.conf")
	conf := b.renderConfig(dir, port)
	if err := os.WriteFile(b.ConfigPath, []byte(conf), 0o600); err != nil {
		return err
	}
	// Journals of an earlier attempt would replay updates that never were.
	for _, z := range b.Zones {
		os.Remove(filepath.Join(dir, "db."+z+".jnl"))
	}
	b.out = &syncBuffer{}
	b.done = make(chan struct{})
	// -g: foreground, log to stderr; -n 1: one worker thread is plenty on
	// loopback and starts faster.
	b.cmd = exec.Command(bin, "-g", "-n", "1", "-c", b.ConfigPath)
	b.cmd.Dir = dir
	b.cmd.Stdout = b.out
	b.cmd.Stderr = b.out
	if err := b.cmd.Start(); err != nil {
		return err
	}
	go func() {
		b.cmd.Wait()
		close(b.done)
	}()
	if err := b.waitReady(); err != nil {
		b.stop()
		out := b.out.String()
		if strings.Contains(out, "address in use") {
			return fmt.Errorf("%w: %v\n%s", errBindPort, err, out)
		}
		return fmt.Errorf("%v\nnamed output:\n%s\nconfiguration:\n%s", err, out, strings.ReplaceAll(conf, b.KeySecret, "(secret)"))
	}
	return nil
}

// waitReady polls until every zone's SOA is answered over UDP and TCP,
// named exits or reports a port it cannot bind, or bindStartTimeout passes.
func (b *BIND) waitReady() error {
	return waitReady("named", b.cmd, b.done, bindStartTimeout, 20*time.Millisecond, func() error {
		// named keeps running when it cannot listen or load a zone; its
		// log says so, and waiting longer would not help.
		switch out := b.out.String(); {
		case strings.Contains(out, "address in use"):
			return errors.New("named reports the address in use")
		case strings.Contains(out, "not loaded due to errors"):
			return errors.New("named could not load a zone")
		}
		return nil
	}, b.ready)
}

func (b *BIND) ready() error {
	for _, network := range []string{"udp", "tcp"} {
		for _, z := range b.Zones {
			c := &dns.Client{Net: network, Timeout: 500 * time.Millisecond}
			m := new(dns.Msg)
			m.SetQuestion(z, dns.TypeSOA)
			r, _, err := c.Exchange(m, b.Addr)
			if err != nil {
				return fmt.Errorf("%s SOA %s: %w", network, z, err)
			}
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
				return fmt.Errorf("%s SOA %s: %s with %d answers", network, z, dns.RcodeToString[r.Rcode], len(r.Answer))
			}
		}
	}
	return nil
}

func (b *BIND) stop() {
	if b.cmd == nil || b.done == nil {
		return
	}
	select {
	case <-b.done:
		return
	default:
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-b.done
	}
}

// Stop stops named now (SIGTERM, then SIGKILL after 10s) and waits for it
// to exit, for "the server is down" tests: afterwards Addr refuses TCP
// connections. The cleanup at the end of the test has nothing left to do.
func (b *BIND) Stop() { b.stop() }

// Output returns what named has logged so far.
func (b *BIND) Output() string { return b.out.String() }

// AXFR transfers zone over TCP, signed with the TSIG key, and returns its
// records in the order named sent them (the SOA first and last). Any error
// fails the test.
func (b *BIND) AXFR(t testing.TB, zone string) []dns.RR {
	t.Helper()
	rrs, err := b.axfr(zone)
	if err != nil {
		t.Fatalf("AXFR %s from %s: %v", zone, b.Addr, err)
	}
	return rrs
}

func (b *BIND) axfr(zone string) ([]dns.RR, error) {
	zone = dns.Fqdn(zone)
	key := dns.Fqdn(b.KeyName)
	m := new(dns.Msg)
	m.SetAxfr(zone)
	m.SetTsig(key, dns.HmacSHA256, 300, time.Now().Unix())
	tr := &dns.Transfer{
		TsigSecret:  map[string]string{key: b.KeySecret},
		DialTimeout: 5 * time.Second,
		ReadTimeout: 5 * time.Second,
	}
	ch, err := tr.In(m, b.Addr)
	if err != nil {
		return nil, err
	}
	var out []dns.RR
	var firstErr error
	for env := range ch { // drained to the end, so the transfer's goroutine ends
		if env.Error != nil && firstErr == nil {
			firstErr = env.Error
		}
		out = append(out, env.RR...)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// Records returns zone's records by AXFR, without the SOA, each in
// presentation format (dns.RR.String), sorted: what "the rest of the zone
// is unchanged" compares, record by record, since the serial moves with
// every update.
func (b *BIND) Records(t testing.TB, zone string) []string {
	t.Helper()
	var out []string
	for _, rr := range b.AXFR(t, zone) {
		if rr.Header().Rrtype == dns.TypeSOA {
			continue
		}
		out = append(out, rr.String())
	}
	sort.Strings(out)
	return out
}

// Query asks named for name and qtype over UDP (over TCP when the answer
// is truncated), without recursion, and returns the answer section's
// records of that type and the rcode. An I/O error fails the test.
func (b *BIND) Query(t testing.TB, name string, qtype uint16) ([]dns.RR, int) {
	t.Helper()
	rrs, rcode, err := b.query(name, qtype)
	if err != nil {
		t.Fatalf("query %s %s at %s: %v", name, dns.TypeToString[qtype], b.Addr, err)
	}
	return rrs, rcode
}

func (b *BIND) query(name string, qtype uint16) ([]dns.RR, int, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = false
	m.SetEdns0(1232, false)
	c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, b.Addr)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.Exchange(m, b.Addr)
	}
	if err != nil {
		return nil, 0, err
	}
	var out []dns.RR
	for _, rr := range r.Answer {
		if rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	return out, r.Rcode, nil
}

// Answers returns the data of the records Query returns (addresses for A
// and AAAA, the target for CNAME, the record data otherwise), sorted, and
// fails the test unless the rcode is NOERROR.
func (b *BIND) Answers(t testing.TB, name string, qtype uint16) []string {
	t.Helper()
	rrs, rcode := b.Query(t, name, qtype)
	if rcode != dns.RcodeSuccess {
		t.Fatalf("query %s %s at %s: %s", name, dns.TypeToString[qtype], b.Addr, dns.RcodeToString[rcode])
	}
	return RRData(rrs)
}

// RRData returns each record's data in presentation format without its
// header (an address for A and AAAA, the target for CNAME), sorted.
func RRData(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		switch r := rr.(type) {
		case *dns.A:
			out = append(out, r.A.String())
		case *dns.AAAA:
			out = append(out, r.AAAA.String())
		case *dns.CNAME:
			out = append(out, r.Target)
		default:
			out = append(out, strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String())))
		}
	}
	sort.Strings(out)
	return out
}

// freeUDPTCPPort returns a loopback port that is free for both TCP and UDP
// right now.
func freeUDPTCPPort() (int, error) {
	var lastErr error
	for attempt := 0; attempt < 20; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err != nil {
			lastErr = err
			continue
		}
		u.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no loopback port free for both TCP and UDP: %v", lastErr)
}
