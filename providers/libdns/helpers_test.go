package libdns_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/libdns"
	"github.com/fbctl/fbctl/providers/providertest"
)

const zone = "example.test."

// zoneRecords is the rest of the test zone: records the target must never
// touch, among them the same name with other types, a name that extends
// the target's, and the same type on a neighbouring name.
const zoneRecords = `
www     60 IN A     192.0.2.1
www     60 IN A     198.51.100.1
www     60 IN AAAA  2001:db8:1::1
www     60 IN AAAA  2001:db8:2::1
www     60 IN TXT   "owned by nobody"
www     60 IN MX    10 mail
app     60 IN CNAME sec.cdn.test.
big     60 IN A     192.0.2.11
big     60 IN A     192.0.2.12
big     60 IN A     192.0.2.13
big     60 IN A     192.0.2.14
big     60 IN A     198.51.100.11
big     60 IN A     198.51.100.12
big     60 IN A     198.51.100.13
big     60 IN A     198.51.100.14
x.www   60 IN A     192.0.2.99
www2    60 IN A     192.0.2.1
mail    60 IN A     192.0.2.25
@       60 IN A     192.0.2.80
@       60 IN MX    10 mail
txt     60 IN TXT   "v=spf1 -all"
`

// startBIND starts a real named serving the test zone.
func startBIND(t testing.TB) *testenv.BIND {
	t.Helper()
	return testenv.StartBIND(t, testenv.BINDConfig{Zones: []testenv.BINDZone{
		{Name: zone, Records: zoneRecords},
		{Name: "elsewhere.test", Records: "www 60 IN A 192.0.2.1\n"},
	}})
}

func kind(t testing.TB) *providers.Kind {
	t.Helper()
	r := providers.NewRegistry()
	libdns.Register(r)
	k, err := r.Kind(providers.ClassTarget, "dns_rrset")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// attrs builds a dns_rrset body as the policy language hands it over
// and fails the test when the kind's validation rejects it.
func attrs(t testing.TB, given map[string]any) cty.Value {
	t.Helper()
	return providertest.ValidBody(t, kind(t), given)
}

// rawAttrs is attrs without the kind's validation.
func rawAttrs(t testing.TB, given map[string]any) cty.Value {
	t.Helper()
	return providertest.Body(t, kind(t), given)
}

// provider is the libdns provider block for b, the whole config map
// marked sensitive as the policy language marks it; change edits the
// settings first.
func provider(b *testenv.BIND, change func(map[string]string)) *providers.ProviderConfig {
	cfg := map[string]string{"server": b.Addr, "key_name": b.KeyName, "key": b.KeySecret, "key_alg": b.KeyAlg}
	if change != nil {
		change(cfg)
	}
	vals := map[string]cty.Value{}
	for k, v := range cfg {
		vals[k] = cty.StringVal(v)
	}
	return &providers.ProviderConfig{Type: "libdns", Name: "bind", Attrs: cty.ObjectVal(map[string]cty.Value{
		"driver": cty.StringVal("rfc2136"),
		"config": cty.MapVal(vals).Mark("sensitive"),
	})}
}

// newTarget builds a target through the registry, as the engine does.
func newTarget(t testing.TB, p *providers.ProviderConfig, given map[string]any) providers.Target {
	t.Helper()
	if _, ok := given["zone"]; !ok {
		given["zone"] = zone
	}
	tg, err := kind(t).NewTarget(providers.Config{Name: "rr", Attrs: attrs(t, given), Provider: p})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// rrset is the live RRset of name and type, read with real queries.
func rrset(t testing.TB, b *testenv.BIND, name string, qtype uint16) []string {
	t.Helper()
	return b.Answers(t, name+"."+zone, qtype)
}

// others is the zone by AXFR without the SOA and without the RRset of name
// and type: what a target on that RRset must leave as it is.
func others(t testing.TB, b *testenv.BIND, name string, qtype uint16) []string {
	t.Helper()
	owner := dns.Fqdn(name + "." + zone)
	var out []string
	for _, rr := range b.AXFR(t, zone) {
		h := rr.Header()
		if h.Rrtype == dns.TypeSOA || (h.Rrtype == qtype && dns.CanonicalName(h.Name) == owner) {
			continue
		}
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

// setRRset replaces an RRset behind the target's back, as a person would.
func setRRset(t testing.TB, b *testenv.BIND, name string, records ...string) {
	t.Helper()
	owner := dns.Fqdn(name + "." + zone)
	m := new(dns.Msg)
	m.SetUpdate(zone)
	var rrs []dns.RR
	for _, r := range records {
		rr, err := dns.NewRR(owner + " " + r)
		if err != nil {
			t.Fatal(err)
		}
		rrs = append(rrs, rr)
	}
	if len(rrs) > 0 {
		m.RemoveRRset(rrs)
		m.Insert(rrs)
	}
	key := dns.Fqdn(b.KeyName)
	m.SetTsig(key, dns.HmacSHA256, 300, nowUnix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{key: b.KeySecret}}
	r, _, err := c.ExchangeContext(context.Background(), m, b.Addr)
	if err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("update %s: %v %v", owner, r, err)
	}
}

// deleteRRset removes an RRset behind the target's back.
func deleteRRset(t testing.TB, b *testenv.BIND, name string, qtype uint16) {
	t.Helper()
	owner := dns.Fqdn(name + "." + zone)
	m := new(dns.Msg)
	m.SetUpdate(zone)
	m.RemoveRRset([]dns.RR{&dns.ANY{Hdr: dns.RR_Header{Name: owner, Rrtype: qtype, Class: dns.ClassINET}}})
	key := dns.Fqdn(b.KeyName)
	m.SetTsig(key, dns.HmacSHA256, 300, nowUnix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{key: b.KeySecret}}
	r, _, err := c.ExchangeContext(context.Background(), m, b.Addr)
	if err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("delete %s: %v %v", owner, r, err)
	}
}

func nowUnix() int64 { return time.Now().Unix() }
