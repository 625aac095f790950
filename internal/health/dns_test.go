package health

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/zclconf/go-cty/cty"
)

// testZone answers the dns tests' questions:
//
//	a.test.      A     192.0.2.1, 192.0.2.2
//	v6.test.     AAAA  2001:db8::1
//	alias.test.  CNAME Target.Example.TEST.
//	mx.test.     MX    10 mail.test.
//	txt.test.    TXT   "v=spf1" " -all"
//	big.test.    A     192.0.2.50, truncated over UDP
//	empty.test.  no record (NOERROR)
//	fail.test.   SERVFAIL
//	anything else NXDOMAIN
type testZone struct {
	tcpQueries atomic.Int32
}

func (z *testZone) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	q := req.Question[0]
	udp := w.LocalAddr().Network() == "udp"
	if !udp {
		z.tcpQueries.Add(1)
	}
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		return r
	}
	add := func(qtype uint16, records ...string) {
		if q.Qtype == qtype {
			for _, s := range records {
				m.Answer = append(m.Answer, rr(s))
			}
		}
	}
	switch strings.ToLower(q.Name) {
	case "a.test.":
		add(dns.TypeA, "a.test. 60 IN A 192.0.2.1", "a.test. 60 IN A 192.0.2.2")
	case "v6.test.":
		add(dns.TypeAAAA, "v6.test. 60 IN AAAA 2001:db8::1")
	case "alias.test.":
		m.Answer = append(m.Answer, rr("alias.test. 60 IN CNAME Target.Example.TEST."))
	case "mx.test.":
		add(dns.TypeMX, "mx.test. 60 IN MX 10 mail.test.")
	case "txt.test.":
		add(dns.TypeTXT, `txt.test. 60 IN TXT "v=spf1" " -all"`)
	case "big.test.":
		if udp {
			m.Truncated = true
		} else {
			add(dns.TypeA, "big.test. 60 IN A 192.0.2.50")
		}
	case "empty.test.":
	case "fail.test.":
		m.Rcode = dns.RcodeServerFailure
	default:
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

// startDNS serves testZone on one loopback port over UDP and TCP.
func startDNS(t *testing.T) (string, *testZone) {
	t.Helper()
	z := &testZone{}
	var pc net.PacketConn
	var l net.Listener
	for try := 0; ; try++ {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			t.Fatalf("no port free for both UDP and TCP: %v", err)
		}
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: z}, {Listener: l, Handler: z}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		done := make(chan error, 1)
		go func() { done <- srv.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-done:
			t.Fatalf("dns server: %v", err)
		}
		t.Cleanup(func() {
			_ = srv.Shutdown()
			<-done
		})
	}
	return pc.LocalAddr().String(), z
}

func TestDNS(t *testing.T) {
	server, zone := startDNS(t)
	tests := []struct {
		name    string
		set     map[string]cty.Value
		healthy bool
		detail  string
	}{
		{"A answer", map[string]cty.Value{"name": str("a.test")}, true, "a.test. A: 192.0.2.1, 192.0.2.2"},
		{"case and trailing dot of the name", map[string]cty.Value{"name": str("A.Test.")}, true, "A.Test. A: 192.0.2.1, 192.0.2.2"},
		{"A expected", map[string]cty.Value{"name": str("a.test"), "expect": strs("192.0.2.2")}, true, "a.test. A: 192.0.2.1, 192.0.2.2"},
		{"A expected, all of them", map[string]cty.Value{"name": str("a.test"), "expect": strs("192.0.2.2", "192.0.2.1")}, true, "a.test. A: 192.0.2.1, 192.0.2.2"},
		{"A expected, one missing", map[string]cty.Value{"name": str("a.test"), "expect": strs("192.0.2.1", "192.0.2.9")}, false,
			"a.test. A: answer lacks 192.0.2.9 (got 192.0.2.1, 192.0.2.2)"},
		{"A mapped IPv6 form", map[string]cty.Value{"name": str("a.test"), "expect": strs("::ffff:192.0.2.1")}, true, "a.test. A: 192.0.2.1, 192.0.2.2"},
		{"AAAA compared as IPs", map[string]cty.Value{"name": str("v6.test"), "type": str("AAAA"), "expect": strs("2001:DB8:0:0::1")}, true, "v6.test. AAAA: 2001:db8::1"},
		{"no AAAA record", map[string]cty.Value{"name": str("a.test"), "type": str("AAAA")}, false, "a.test. AAAA: no AAAA record in the answer"},
		{"CNAME without dot, other case", map[string]cty.Value{"name": str("alias.test"), "type": str("CNAME"), "expect": strs("target.example.test")}, true,
			"alias.test. CNAME: Target.Example.TEST."},
		{"CNAME with dot", map[string]cty.Value{"name": str("alias.test"), "type": str("CNAME"), "expect": strs("TARGET.example.test.")}, true,
			"alias.test. CNAME: Target.Example.TEST."},
		{"CNAME mismatch", map[string]cty.Value{"name": str("alias.test"), "type": str("CNAME"), "expect": strs("other.test")}, false,
			"alias.test. CNAME: answer lacks other.test (got Target.Example.TEST.)"},
		{"MX by exchange", map[string]cty.Value{"name": str("mx.test"), "type": str("MX"), "expect": strs("Mail.Test")}, true, "mx.test. MX: 10 mail.test."},
		{"MX by preference and exchange", map[string]cty.Value{"name": str("mx.test"), "type": str("MX"), "expect": strs("10 mail.test.")}, true, "mx.test. MX: 10 mail.test."},
		{"MX wrong preference", map[string]cty.Value{"name": str("mx.test"), "type": str("MX"), "expect": strs("20 mail.test")}, false,
			"mx.test. MX: answer lacks 20 mail.test (got 10 mail.test.)"},
		{"TXT joined", map[string]cty.Value{"name": str("txt.test"), "type": str("TXT"), "expect": strs("v=spf1 -all")}, true, `txt.test. TXT: "v=spf1" " -all"`},
		{"truncated answer asked again over TCP", map[string]cty.Value{"name": str("big.test"), "expect": strs("192.0.2.50")}, true, "big.test. A: 192.0.2.50"},
		{"no record", map[string]cty.Value{"name": str("empty.test")}, false, "empty.test. A: no A record in the answer"},
		{"NXDOMAIN", map[string]cty.Value{"name": str("missing.test")}, false, "missing.test. A: NXDOMAIN"},
		{"SERVFAIL", map[string]cty.Value{"name": str("fail.test")}, false, "fail.test. A: SERVFAIL"},
		{"sensitive expect", map[string]cty.Value{"name": str("a.test"), "expect": sensitive(strs("192.0.2.9"))}, false,
			"a.test. A: answer lacks 1 of the expected records"},
		{"sensitive name", map[string]cty.Value{"name": sensitive(str("missing.test"))}, false, "(sensitive value) A: NXDOMAIN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]cty.Value{"server": str(server)}
			for k, v := range tc.set {
				set[k] = v
			}
			r := probe(t, newCheck(t, "dns", set, long))
			if r.Healthy != tc.healthy || r.Detail != tc.detail {
				t.Errorf("got (%v, %q), want (%v, %q)", r.Healthy, r.Detail, tc.healthy, tc.detail)
			}
		})
	}
	if n := zone.tcpQueries.Load(); n != 1 {
		t.Errorf("%d queries over TCP, want 1 (the truncated one)", n)
	}
}

func TestDNSUnreachable(t *testing.T) {
	// A UDP socket that never answers: the probe ends at its timeout.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	const timeout = 200 * time.Millisecond
	c := newCheck(t, "dns", map[string]cty.Value{"name": str("a.test"), "server": str(silent.LocalAddr().String())}, timeout)
	r := probe(t, c)
	if r.Healthy || r.Detail != "a.test. A: timeout after 200ms" {
		t.Errorf("got (%v, %q), want a timeout", r.Healthy, r.Detail)
	}
	if r.Latency < timeout || r.Latency > timeout+5*time.Second {
		t.Errorf("latency %s, want about %s", r.Latency, timeout)
	}

	// A port nobody listens on: refused (ICMP) or, where that is filtered,
	// a timeout; unhealthy either way and within the timeout.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := pc.LocalAddr().String()
	pc.Close()
	c = newCheck(t, "dns", map[string]cty.Value{"name": str("a.test"), "server": str(closed)}, timeout)
	if r := probe(t, c); r.Healthy || r.Latency > timeout+5*time.Second {
		t.Errorf("got %+v, want unhealthy within the timeout", r)
	}

	// The caller's cancellation ends a probe before its timeout.
	c = newCheck(t, "dns", map[string]cty.Value{"name": str("a.test"), "server": str(silent.LocalAddr().String())}, long)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := c.Probe(ctx); r.Healthy || !strings.Contains(r.Detail, "cancelled: ") {
		t.Errorf("got %+v, want cancelled", r)
	}
}

func TestDNSConstructorErrors(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]cty.Value
		want string
	}{
		{"bad type", map[string]cty.Value{"type": str("BOGUS")}, "type"},
		{"bad name", map[string]cty.Value{"name": str("a..test")}, "name"},
		{"server without port", map[string]cty.Value{"server": str("127.0.0.1")}, "server"},
		{"A expects an IP", map[string]cty.Value{"expect": strs("not-an-ip")}, "not an IP address"},
		{"A expects IPv4", map[string]cty.Value{"expect": strs("2001:db8::1")}, "IPv4"},
		{"AAAA expects IPv6", map[string]cty.Value{"type": str("AAAA"), "expect": strs("192.0.2.1")}, "IPv6"},
		{"MX expects 1 or 2 fields", map[string]cty.Value{"type": str("MX"), "expect": strs("1 2 3")}, "MX"},
		{"sensitive expect", map[string]cty.Value{"expect": sensitive(strs("s3cr3t"))}, "expect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := map[string]cty.Value{"name": str("a.test"), "server": str("127.0.0.1:53")}
			for k, v := range tc.set {
				set[k] = v
			}
			err := newCheckErr(t, "dns", set, long)
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `dns check "test-dns"`) {
				t.Errorf("error %q, want one naming the check and %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q holds a sensitive value", err)
			}
		})
	}
}
