package libdns_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

// harness runs the conformance suite on the RRset name/qtype of a real
// BIND. Snapshot is the AXFR of the whole zone minus the SOA (its serial
// moves with every update) and minus the owned RRset, record by record;
// Owned is that RRset, TTL included; Reset puts back its initial records.
func harness(b *testenv.BIND, name string, qtype uint16, initial []string, given map[string]any) providertest.Harness {
	return providertest.Harness{
		New: func(t *testing.T) providers.Target {
			g := map[string]any{}
			for k, v := range given {
				g[k] = v
			}
			return newTarget(t, provider(b, nil), g)
		},
		Snapshot: func(t *testing.T) any { return others(t, b, name, qtype) },
		Owned:    func(t *testing.T) any { return owned(t, b, name, qtype) },
		Reset:    func(t *testing.T) { setRRset(t, b, name, initial...) },
		Timeout:  10 * time.Second,
	}
}

// owned is the RRset of name and qtype by AXFR, each record with its TTL.
func owned(t testing.TB, b *testenv.BIND, name string, qtype uint16) []string {
	owner := dns.Fqdn(name + "." + zone)
	var out []string
	for _, rr := range b.AXFR(t, zone) {
		if h := rr.Header(); h.Rrtype == qtype && dns.CanonicalName(h.Name) == owner {
			out = append(out, rr.String())
		}
	}
	slices.Sort(out)
	return out
}

func TestConformanceA1x1(t *testing.T) {
	b := startBIND(t)
	providertest.Conformance(t, harness(b, "www", dns.TypeA,
		[]string{"60 IN A 192.0.2.1", "60 IN A 198.51.100.1"},
		map[string]any{"name": "www", "primary": []string{"192.0.2.1"}, "secondary": []string{"198.51.100.1"}}))
}

func TestConformanceA4x4(t *testing.T) {
	b := startBIND(t)
	providertest.Conformance(t, harness(b, "big", dns.TypeA,
		[]string{"60 IN A 192.0.2.11", "60 IN A 198.51.100.11"},
		map[string]any{"name": "big",
			"primary":   []string{"192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"},
			"secondary": []string{"198.51.100.11", "198.51.100.12", "198.51.100.13", "198.51.100.14"}}))
}

// AAAA with 2+3 addresses and a ttl set by the policy.
func TestConformanceAAAA2x3(t *testing.T) {
	b := startBIND(t)
	providertest.Conformance(t, harness(b, "www", dns.TypeAAAA,
		[]string{"60 IN AAAA 2001:db8:1::1", "60 IN AAAA 2001:db8:2::1"},
		map[string]any{"name": "www", "type": "AAAA", "ttl": 120,
			"primary":   []string{"2001:db8:1::1", "2001:DB8:1:0::2"},
			"secondary": []string{"2001:db8:2::1", "2001:db8:2::2", "2001:db8:2::3"}}))
}

// A CNAME delivers 0 or 100 %: its resolution is the whole range.
func TestConformanceCNAME(t *testing.T) {
	b := startBIND(t)
	providertest.Conformance(t, harness(b, "app", dns.TypeCNAME,
		[]string{"60 IN CNAME sec.cdn.test."},
		map[string]any{"name": "app", "type": "CNAME", "cname_threshold": 25,
			"primary": []string{"pri.cdn.test"}, "secondary": []string{"Sec.CDN.test."}}))
}

// A whole rollout, judged by real DNS answers and by the zone around the
// RRset, transferred before and after.
func TestRollout(t *testing.T) {
	type step struct {
		want    providers.Share
		answers []string
		share   providers.Share
	}
	for _, tc := range []struct {
		name               string
		primary, secondary []string
		steps              []step
	}{
		{"1+1", []string{"192.0.2.1"}, []string{"198.51.100.1"}, []step{
			{0, []string{"198.51.100.1"}, 0},
			{500, []string{"198.51.100.1"}, 0},
			{1000, []string{"198.51.100.1"}, 0},
			{2500, []string{"198.51.100.1"}, 0},
			{5000, []string{"192.0.2.1", "198.51.100.1"}, 5000},
			{10000, []string{"192.0.2.1"}, 10000},
		}},
		{"4+4", []string{"192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"},
			[]string{"198.51.100.11", "198.51.100.12", "198.51.100.13", "198.51.100.14"}, []step{
				{0, []string{"198.51.100.11", "198.51.100.12", "198.51.100.13", "198.51.100.14"}, 0},
				{500, []string{"198.51.100.11", "198.51.100.12", "198.51.100.13", "198.51.100.14"}, 0},
				{1000, []string{"198.51.100.11", "198.51.100.12", "198.51.100.13", "198.51.100.14"}, 0},
				{2500, []string{"192.0.2.11", "198.51.100.11", "198.51.100.12", "198.51.100.13"}, 2500},
				{5000, []string{"192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14",
					"198.51.100.11", "198.51.100.12", "198.51.100.13", "198.51.100.14"}, 5000},
				{10000, []string{"192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"}, 10000},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBIND(t)
			name := "big"
			if len(tc.primary) == 1 {
				name = "www"
			}
			before := others(t, b, name, dns.TypeA)
			beforeOther := b.Records(t, "elsewhere.test")
			ctx := context.Background()
			given := map[string]any{"name": name, "primary": tc.primary, "secondary": tc.secondary}
			tg := newTarget(t, provider(b, nil), given)
			kindAttrs := attrs(t, map[string]any{"zone": zone, "name": name, "primary": tc.primary, "secondary": tc.secondary})
			for _, s := range tc.steps {
				got, err := tg.Apply(ctx, s.want)
				if err != nil {
					t.Fatalf("Apply(%v): %v", s.want, err)
				}
				if got != s.share {
					t.Errorf("Apply(%v) = %v, want %v", s.want, got, s.share)
				}
				if d := tg.(providers.Quantizer).Deliverable(s.want); d != got {
					t.Errorf("Deliverable(%v) = %v, but Apply delivered %v", s.want, d, got)
				}
				if d, ok := kind(t).Deliverable(kindAttrs, s.want); !ok || d != got {
					t.Errorf("Kind.Deliverable(%v) = %v, %v; Apply delivered %v", s.want, d, ok, got)
				}
				if a := rrset(t, b, name, dns.TypeA); !slices.Equal(a, s.answers) {
					t.Errorf("after Apply(%v) BIND answers %v, want %v", s.want, a, s.answers)
				}
				// The TTL of the RRset is kept.
				for _, rr := range mustQuery(t, b, name+"."+zone, dns.TypeA) {
					if rr.Header().Ttl != 60 {
						t.Errorf("after Apply(%v): TTL %d, want 60 (kept)", s.want, rr.Header().Ttl)
					}
				}
			}
			if diff := cmpStrings(before, others(t, b, name, dns.TypeA)); diff != "" {
				t.Errorf("the rest of the zone changed:\n%s", diff)
			}
			if diff := cmpStrings(beforeOther, b.Records(t, "elsewhere.test")); diff != "" {
				t.Errorf("another zone changed:\n%s", diff)
			}
		})
	}
}

func mustQuery(t testing.TB, b *testenv.BIND, name string, qtype uint16) []dns.RR {
	rrs, rcode := b.Query(t, name, qtype)
	if rcode != dns.RcodeSuccess {
		t.Fatalf("%s: %s", name, dns.RcodeToString[rcode])
	}
	return rrs
}

func cmpStrings(a, b []string) string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, "- "+x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, "+ "+x)
		}
	}
	return strings.Join(out, "\n")
}

// serial is the zone's SOA serial: it moves with every write.
func serial(t testing.TB, b *testenv.BIND) uint32 {
	rrs := mustQuery(t, b, zone, dns.TypeSOA)
	if len(rrs) != 1 {
		t.Fatalf("SOA: %v", rrs)
	}
	return rrs[0].(*dns.SOA).Serial
}

// An Apply whose RRset is already the composition writes nothing.
func TestApplyWritesNothingWhenInPlace(t *testing.T) {
	b := startBIND(t)
	tg := newTarget(t, provider(b, nil), map[string]any{"name": "www", "primary": []string{"192.0.2.1"}, "secondary": []string{"198.51.100.1"}})
	s0 := serial(t, b)
	for _, want := range []providers.Share{5000, 4000, 6000} {
		if got, err := tg.Apply(context.Background(), want); err != nil || got != 5000 {
			t.Fatalf("Apply(%v) = %v, %v", want, got, err)
		}
	}
	if s := serial(t, b); s != s0 {
		t.Errorf("serial moved from %d to %d: Apply wrote an RRset already in place", s0, s)
	}
	// The same addresses in another order, with another TTL: a write.
	setRRset(t, b, "www", "90 IN A 198.51.100.1", "90 IN A 192.0.2.1")
	s1 := serial(t, b)
	if got, err := tg.Apply(context.Background(), 5000); err != nil || got != 5000 {
		t.Fatalf("Apply = %v, %v", got, err)
	}
	if s := serial(t, b); s != s1 {
		t.Errorf("the RRset held the composition at TTL 90 (kept), yet Apply wrote")
	}
}

// ttl set in the policy replaces the RRset's TTL; otherwise it is kept.
func TestTTL(t *testing.T) {
	b := startBIND(t)
	setRRset(t, b, "www", "45 IN A 198.51.100.1")
	keep := newTarget(t, provider(b, nil), map[string]any{"name": "www", "primary": []string{"192.0.2.1"}, "secondary": []string{"198.51.100.1"}})
	if _, err := keep.Apply(context.Background(), 10000); err != nil {
		t.Fatal(err)
	}
	if got := owned(t, b, "www", dns.TypeA); !slices.Equal(got, []string{"www.example.test.\t45\tIN\tA\t192.0.2.1"}) {
		t.Errorf("kept TTL: %q", got)
	}
	set := newTarget(t, provider(b, nil), map[string]any{"name": "www", "ttl": 30, "primary": []string{"192.0.2.1"}, "secondary": []string{"198.51.100.1"}})
	if _, err := set.Apply(context.Background(), 10000); err != nil {
		t.Fatal(err)
	}
	if got := owned(t, b, "www", dns.TypeA); !slices.Equal(got, []string{"www.example.test.\t30\tIN\tA\t192.0.2.1"}) {
		t.Errorf("ttl = 30: %q", got)
	}
}

// Addresses of neither side count in the share and are reported; the
// next Apply writes the composition without them.
func TestForeignAddresses(t *testing.T) {
	b := startBIND(t)
	tg := newTarget(t, provider(b, nil), map[string]any{"name": "www", "primary": []string{"192.0.2.1"}, "secondary": []string{"198.51.100.1"}})
	setRRset(t, b, "www", "60 IN A 192.0.2.1", "60 IN A 198.51.100.1", "60 IN A 203.0.113.9")
	ctx := context.Background()
	if got, err := tg.Observe(ctx); err != nil || got != 3333 {
		t.Errorf("Observe = %v, %v; want 33.33%% (one primary address of three)", got, err)
	}
	f, err := tg.(providers.ForeignReporter).Foreign(ctx)
	if err != nil || !slices.Equal(f, []string{`address "203.0.113.9"`}) {
		t.Errorf("Foreign = %q, %v", f, err)
	}
	if got, err := tg.Apply(ctx, 5000); err != nil || got != 5000 {
		t.Errorf("Apply(50%%) = %v, %v", got, err)
	}
	if a := rrset(t, b, "www", dns.TypeA); !slices.Equal(a, []string{"192.0.2.1", "198.51.100.1"}) {
		t.Errorf("after Apply: %v", a)
	}
	if f, err := tg.(providers.ForeignReporter).Foreign(ctx); err != nil || len(f) != 0 {
		t.Errorf("Foreign after Apply = %q, %v", f, err)
	}

	// Only foreign addresses: no traffic to either side is an error.
	setRRset(t, b, "www", "60 IN A 203.0.113.9")
	_, err = tg.Observe(ctx)
	wantErr(t, err, b, `dns_rrset "rr"`, "holds none of the policy's", `"203.0.113.9"`)
	_, err = tg.Apply(ctx, 10000)
	wantErr(t, err, b, "holds none of the policy's")
	if a := rrset(t, b, "www", dns.TypeA); !slices.Equal(a, []string{"203.0.113.9"}) {
		t.Errorf("Apply overwrote an RRset pointed elsewhere: %v", a)
	}
}

// wantErr requires err to name the target, the zone and the server, to
// contain every fragment, and never to show the key.
func wantErr(t testing.TB, err error, b *testenv.BIND, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one with %q", fragments)
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	for _, f := range append([]string{`dns_rrset "rr"`, "zone ", "server " + b.Addr, "(libdns rfc2136)"}, fragments...) {
		if !strings.Contains(msg, f) {
			t.Errorf("error lacks %q:\n%s", f, msg)
		}
	}
	if strings.Contains(msg, b.KeySecret) || strings.Contains(msg, wrongKey) {
		t.Errorf("error shows a key:\n%s", msg)
	}
}

// wantClass requires err to be of class want (providers.Classify).
func wantClass(t testing.TB, err error, want providers.ErrorClass) {
	t.Helper()
	if got := providers.Classify(err); err == nil || got != want {
		t.Errorf("error %v is %v, want %v", err, got, want)
	}
}

const wrongKey = "d3JvbmctYnV0LXdlbGwtZm9ybWVkLWtleS0xMjM0NTY3OA=="

func TestErrors(t *testing.T) {
	b := startBIND(t)
	ctx := context.Background()
	given := func(name string) map[string]any {
		return map[string]any{"name": name, "primary": []string{"192.0.2.1"}, "secondary": []string{"198.51.100.1"}}
	}
	before := b.Records(t, zone)
	unchanged := func(t *testing.T) {
		t.Helper()
		if diff := cmpStrings(before, b.Records(t, zone)); diff != "" {
			t.Errorf("the zone changed:\n%s", diff)
		}
	}
	both := func(t *testing.T, tg providers.Target, fragments ...string) {
		t.Helper()
		fragments = append(fragments, "zone "+zone)
		_, err := tg.Observe(ctx)
		wantErr(t, err, b, fragments...)
		wantClass(t, err, providers.Fatal)
		_, err = tg.Apply(ctx, 10000)
		wantErr(t, err, b, fragments...)
		wantClass(t, err, providers.Fatal)
		unchanged(t)
	}

	t.Run("wrong key", func(t *testing.T) {
		tg := newTarget(t, provider(b, func(c map[string]string) { c["key"] = wrongKey }), given("www"))
		both(t, tg, "rejected the TSIG key", `"fbctl-key."`)
	})
	t.Run("wrong key name", func(t *testing.T) {
		tg := newTarget(t, provider(b, func(c map[string]string) { c["key_name"] = "other-key" }), given("www"))
		both(t, tg, "rejected the TSIG key", `"other-key."`)
	})
	t.Run("wrong algorithm", func(t *testing.T) {
		tg := newTarget(t, provider(b, func(c map[string]string) { c["key_alg"] = "hmac-sha512" }), given("www"))
		both(t, tg, "rejected the TSIG key")
	})
	t.Run("zone not served", func(t *testing.T) {
		g := given("www")
		g["zone"] = "not-served.test"
		tg := newTarget(t, provider(b, nil), g)
		_, err := tg.Observe(ctx)
		wantErr(t, err, b, "does not serve the zone", "zone not-served.test.")
		wantClass(t, err, providers.Fatal)
		_, err = tg.Apply(ctx, 5000)
		wantErr(t, err, b, "does not serve the zone")
		wantClass(t, err, providers.Fatal)
		unchanged(t)
	})
	t.Run("name not present", func(t *testing.T) {
		tg := newTarget(t, provider(b, nil), given("nothere"))
		both(t, tg, "name not present", "nothere.example.test.", "never creates records")
		if rrs, rcode := b.Query(t, "nothere."+zone, dns.TypeA); rcode != dns.RcodeNameError || len(rrs) != 0 {
			t.Errorf("nothere A: %v %s; Apply must not create it", rrs, dns.RcodeToString[rcode])
		}
	})
	t.Run("type not present", func(t *testing.T) {
		// mail has an A RRset but no AAAA: the name exists, the RRset not.
		g := map[string]any{"name": "mail", "type": "AAAA", "primary": []string{"2001:db8::1"}, "secondary": []string{"2001:db8::2"}}
		both(t, newTarget(t, provider(b, nil), g), "name not present", "AAAA RRset mail.example.test.")
	})
	t.Run("server down", func(t *testing.T) {
		down := startBIND(t)
		tg := newTarget(t, provider(down, nil), given("www"))
		down.Stop()
		_, err := tg.Observe(ctx)
		wantErr(t, err, down, "not reachable (connection refused)")
		wantClass(t, err, providers.Transient)
		_, err = tg.Apply(ctx, 5000)
		wantErr(t, err, down, "not reachable (connection refused)")
		wantClass(t, err, providers.Transient)
	})
	t.Run("context", func(t *testing.T) {
		tg := newTarget(t, provider(b, nil), given("www"))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := tg.Apply(cctx, 10000)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Apply with a canceled context: %v", err)
		}
		wantClass(t, err, providers.Fatal)
		unchanged(t)
	})
}

// The key is checked at construction, with errors that never show it.
func TestProviderConfigErrors(t *testing.T) {
	b := startBIND(t)
	given := map[string]any{"name": "www", "zone": zone, "primary": []string{"192.0.2.1"}, "secondary": []string{"198.51.100.1"}}
	for _, tc := range []struct {
		name   string
		change func(map[string]string)
		want   string
	}{
		{"key not base64", func(c map[string]string) { c["key"] = "not base64 " + b.KeySecret }, "key must be the TSIG key's secret in base64"},
		{"server without port", func(c map[string]string) { c["server"] = "127.0.0.1" }, "server must be host:port"},
		{"server port", func(c map[string]string) { c["server"] = "127.0.0.1:99999" }, "port must be a number between 1 and 65535"},
		{"unknown algorithm", func(c map[string]string) { c["key_alg"] = "hmac-md5" }, "key_alg must be one of hmac-sha256"},
		{"key name", func(c map[string]string) { c["key_name"] = "bad..name" }, "key_name must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kind(t).NewTarget(providers.Config{Name: "rr", Attrs: attrs(t, given), Provider: provider(b, tc.change)})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `dns_rrset "rr"`) {
				t.Fatalf("NewTarget: %v; want an error with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), b.KeySecret) {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
}

// Values the policy marks sensitive never show in errors or in Foreign,
// nor does a server address that comes from a sensitive variable.
func TestSensitiveValuesHidden(t *testing.T) {
	b := startBIND(t)
	ctx := context.Background()
	secretServer := provider(b, nil)
	cfg := secretServer.Attrs.GetAttr("config")
	raw, _ := cfg.Unmark()
	vals := raw.AsValueMap()
	vals["server"] = vals["server"].Mark("sensitive") // as from a sensitive variable
	secretServer.Attrs = cty.ObjectVal(map[string]cty.Value{"driver": cty.StringVal("rfc2136"), "config": cty.MapVal(vals).Mark("sensitive")})

	body := attrs(t, map[string]any{"zone": zone, "name": cty.StringVal("nothere").Mark("sensitive"),
		"primary": []string{"192.0.2.1"}, "secondary": []string{"198.51.100.1"}})
	tg, err := kind(t).NewTarget(providers.Config{Name: "rr", Attrs: body, Provider: secretServer})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tg.Observe(ctx)
	if err == nil || strings.Contains(err.Error(), "nothere") || strings.Contains(err.Error(), b.Addr) ||
		!strings.Contains(err.Error(), "name not present") || !strings.Contains(err.Error(), "server (sensitive value)") {
		t.Errorf("Observe: %v", err)
	}

	setRRset(t, b, "www", "60 IN A 192.0.2.1", "60 IN A 203.0.113.77")
	body = attrs(t, map[string]any{"zone": zone, "name": "www",
		"primary":   cty.ListVal([]cty.Value{cty.StringVal("192.0.2.1")}),
		"secondary": cty.ListVal([]cty.Value{cty.StringVal("203.0.113.77")}).Mark("sensitive")})
	tg, err = kind(t).NewTarget(providers.Config{Name: "rr", Attrs: body, Provider: provider(b, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := tg.Observe(ctx); err != nil || s != 5000 {
		t.Fatalf("Observe = %v, %v", s, err)
	}
	setRRset(t, b, "www", "60 IN A 203.0.113.77", "60 IN A 203.0.113.78")
	f, err := tg.(providers.ForeignReporter).Foreign(ctx)
	if err != nil || !slices.Equal(f, []string{`address "203.0.113.78"`}) {
		t.Errorf("Foreign = %q, %v", f, err)
	}
	setRRset(t, b, "www", "60 IN A 203.0.113.99")
	if _, err := tg.Observe(ctx); err == nil || strings.Contains(err.Error(), "203.0.113.77") {
		t.Errorf("Observe: %v", err)
	}
}

// The server reads fine but refuses the update: its update-policy does not
// grant the key this RRset.
func TestUpdateRefused(t *testing.T) {
	b := testenv.StartBIND(t, testenv.BINDConfig{Zones: []testenv.BINDZone{{Name: zone, Records: zoneRecords,
		UpdatePolicy: "grant KEY name www.example.test. TXT;"}}})
	before := b.Records(t, zone)
	tg := newTarget(t, provider(b, nil), map[string]any{"name": "www", "primary": []string{"192.0.2.1"}, "secondary": []string{"198.51.100.1"}})
	if s, err := tg.Observe(context.Background()); err != nil || s != 5000 {
		t.Fatalf("Observe = %v, %v", s, err)
	}
	_, err := tg.Apply(context.Background(), 10000)
	wantErr(t, err, b, "replacing the RRset www.example.test. A", "the server refused the update (REFUSED)", `update-policy must grant the key "fbctl-key." this RRset`)
	wantClass(t, err, providers.Fatal)
	if diff := cmpStrings(before, b.Records(t, zone)); diff != "" {
		t.Errorf("the zone changed:\n%s", diff)
	}
}
