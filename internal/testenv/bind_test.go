package testenv

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestBINDServesZonesAndAcceptsSignedUpdates(t *testing.T) {
	b := StartBIND(t, BINDConfig{Zones: []BINDZone{
		{Name: "example.test", Records: "www 60 IN A 192.0.2.1\nwww 60 IN A 192.0.2.2\nalias IN CNAME www\n"},
		{Name: "other.test.", Records: "x IN TXT \"hello\""},
	}})
	if !strings.HasPrefix(b.Addr, "127.0.0.1:") || b.KeyName != "fbctl-key" || b.KeyAlg != "hmac-sha256" || b.KeySecret == "" {
		t.Fatalf("BIND = %+v", b)
	}
	if want := []string{"example.test.", "other.test."}; !slices.Equal(b.Zones, want) {
		t.Fatalf("Zones = %v, want %v", b.Zones, want)
	}

	// Real queries, over UDP.
	if got := b.Answers(t, "www.example.test", dns.TypeA); !slices.Equal(got, []string{"192.0.2.1", "192.0.2.2"}) {
		t.Errorf("www A = %v", got)
	}
	if got := b.Answers(t, "x.other.test", dns.TypeTXT); !slices.Equal(got, []string{`"hello"`}) {
		t.Errorf("x TXT = %v", got)
	}
	if _, rcode := b.Query(t, "nope.example.test", dns.TypeA); rcode != dns.RcodeNameError {
		t.Errorf("nope A: rcode %s, want NXDOMAIN", dns.RcodeToString[rcode])
	}
	// Recursion is off: a name outside the zones is refused.
	if _, rcode := b.Query(t, "example.com", dns.TypeA); rcode != dns.RcodeRefused {
		t.Errorf("example.com A: rcode %s, want REFUSED", dns.RcodeToString[rcode])
	}

	// AXFR: signed, SOA first and last; Records drops the SOA and sorts.
	rrs := b.AXFR(t, "example.test")
	if len(rrs) < 2 || rrs[0].Header().Rrtype != dns.TypeSOA || rrs[len(rrs)-1].Header().Rrtype != dns.TypeSOA {
		t.Fatalf("AXFR = %v", rrs)
	}
	recs := b.Records(t, "example.test")
	if len(recs) != 5 || !slices.IsSorted(recs) {
		t.Fatalf("Records = %q", recs)
	}

	// A transfer without the key is refused.
	m := new(dns.Msg)
	m.SetAxfr("example.test.")
	ch, err := (&dns.Transfer{}).In(m, b.Addr)
	if err == nil {
		var xfrErr error
		for env := range ch {
			if env.Error != nil {
				xfrErr = env.Error
			}
		}
		err = xfrErr
	}
	if err == nil {
		t.Error("an unsigned AXFR succeeded; allow-transfer should require the key")
	}

	// A signed update replaces the RRset; the zone's other records stay.
	u := new(dns.Msg)
	u.SetUpdate("example.test.")
	rr, _ := dns.NewRR("www.example.test. 60 IN A 192.0.2.9")
	u.RemoveRRset([]dns.RR{rr})
	u.Insert([]dns.RR{rr})
	u.SetTsig("fbctl-key.", dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{"fbctl-key.": b.KeySecret}}
	r, _, err := c.Exchange(u, b.Addr)
	if err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("signed update: %v, %v", r, err)
	}
	if got := b.Answers(t, "www.example.test", dns.TypeA); !slices.Equal(got, []string{"192.0.2.9"}) {
		t.Errorf("www A after the update = %v", got)
	}
	if got := b.Answers(t, "alias.example.test", dns.TypeCNAME); !slices.Equal(got, []string{"www.example.test."}) {
		t.Errorf("alias CNAME = %v", got)
	}

	// Stop: the server is gone, TCP connections are refused.
	b.Stop()
	_, err = net.DialTimeout("tcp", b.Addr, time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after Stop: %v, want connection refused", err)
	}
	b.Stop() // a second Stop is harmless
}

// Two servers at once get different ports, each free for UDP and TCP.
func TestBINDPortsDiffer(t *testing.T) {
	a := StartBIND(t, BINDConfig{Zones: []BINDZone{{Name: "a.test"}}, KeyName: "key-a"})
	b := StartBIND(t, BINDConfig{Zones: []BINDZone{{Name: "b.test"}}})
	if a.Addr == b.Addr {
		t.Fatalf("both servers on %s", a.Addr)
	}
	if a.KeyName != "key-a" || a.KeySecret == b.KeySecret {
		t.Errorf("keys: %q/%q", a.KeyName, b.KeyName)
	}
	if got := b.Answers(t, "ns1.b.test", dns.TypeA); !slices.Equal(got, []string{"127.0.0.1"}) {
		t.Errorf("ns1.b.test A = %v", got)
	}
	if len(a.AXFR(t, "a.test")) != 4 { // SOA, NS, A, SOA
		t.Errorf("AXFR a.test = %v", a.AXFR(t, "a.test"))
	}
}

// A zone named's checks reject makes StartBIND fail with named's output.
func TestBINDStartFailureShowsOutput(t *testing.T) {
	ft := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		StartBIND(ft, BINDConfig{Zones: []BINDZone{{Name: "bad.test", Records: "www IN A not-an-address\n"}}})
	}()
	<-done
	if !ft.failed {
		t.Fatal("StartBIND succeeded with a broken zone")
	}
	if !strings.Contains(ft.msg, "named output:") || !strings.Contains(ft.msg, "bad.test") {
		t.Errorf("failure message lacks named's output:\n%s", ft.msg)
	}
	// The configuration is in the message, with the key's secret hidden.
	if !strings.Contains(ft.msg, `secret "(secret)"`) {
		t.Errorf("failure message lacks the configuration, or shows the key:\n%s", ft.msg)
	}
}

// fakeTB records a Fatal and ends the goroutine, as testing does.
type fakeTB struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatal(args ...any) {
	f.failed, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
