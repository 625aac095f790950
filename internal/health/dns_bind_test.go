package health

import (
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
)

// The dns check against a real BIND: the same server the dns_rrset target
// steers in its tests.
func TestDNSCheckAgainstBIND(t *testing.T) {
	b := testenv.StartBIND(t, testenv.BINDConfig{Zones: []testenv.BINDZone{{Name: "example.test", Records: `
www   60 IN A     192.0.2.1
www   60 IN A     198.51.100.1
v6    60 IN AAAA  2001:db8::1
app   60 IN CNAME primary.cdn.test.
empty 60 IN TXT   "no address here"
`}}})
	check := func(name, qtype string, expect ...string) map[string]cty.Value {
		set := map[string]cty.Value{"name": str(name), "type": str(qtype), "server": str(b.Addr)}
		if len(expect) > 0 {
			set["expect"] = strs(expect...)
		}
		return set
	}
	// Details list the answer in the server's order, which BIND rotates:
	// only order-free fragments are compared.
	for _, tc := range []struct {
		name    string
		set     map[string]cty.Value
		healthy bool
		detail  string
	}{
		{"every expected address", check("www.example.test", "A", "192.0.2.1", "198.51.100.1"), true, "www.example.test. A: "},
		{"one expected address of two", check("www.example.test", "A", "198.51.100.1"), true, "198.51.100.1"},
		{"any answer", check("www.example.test.", "A"), true, "192.0.2.1"},
		{"AAAA", check("v6.example.test", "AAAA", "2001:DB8:0::1"), true, "2001:db8::1"},
		{"CNAME", check("app.example.test", "CNAME", "Primary.CDN.test"), true, "primary.cdn.test."},
		{"wrong answer", check("www.example.test", "A", "203.0.113.7"), false, "answer lacks 203.0.113.7 (got "}, // BIND rotates the order
		{"wrong CNAME", check("app.example.test", "CNAME", "secondary.cdn.test"), false, "answer lacks secondary.cdn.test"},
		{"NXDOMAIN", check("nothere.example.test", "A"), false, "NXDOMAIN"},
		{"no record of the type", check("empty.example.test", "A"), false, "no A record in the answer"},
		{"outside the zones", check("example.com", "A"), false, "REFUSED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := probe(t, newCheck(t, "dns", tc.set, 5*time.Second))
			if r.Healthy != tc.healthy || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("healthy=%v detail=%q; want healthy=%v with %q", r.Healthy, r.Detail, tc.healthy, tc.detail)
			}
		})
	}

	// The server goes away: the check fails at once (the port is closed),
	// within its timeout either way.
	c := newCheck(t, "dns", check("www.example.test", "A", "192.0.2.1"), 2*time.Second)
	if r := probe(t, c); !r.Healthy {
		t.Fatalf("before Stop: %q", r.Detail)
	}
	b.Stop()
	start := time.Now()
	r := probe(t, c)
	if r.Healthy || !strings.Contains(r.Detail, "www.example.test. A: ") {
		t.Errorf("server down: healthy=%v detail=%q", r.Healthy, r.Detail)
	}
	if !strings.Contains(r.Detail, "refused") && !strings.Contains(r.Detail, "timed out") && !strings.Contains(r.Detail, "timeout") {
		t.Errorf("server down: detail %q says neither refused nor timed out", r.Detail)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("server down: the probe took %v, beyond its 2s timeout", d)
	}
}
