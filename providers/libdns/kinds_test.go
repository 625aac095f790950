package libdns_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/libdns"
)

func TestValidate(t *testing.T) {
	base := func(change map[string]any) map[string]any {
		g := map[string]any{"zone": "example.com", "name": "www", "primary": []string{"192.0.2.1"}, "secondary": []string{"192.0.2.2"}}
		for k, v := range change {
			g[k] = v
		}
		return g
	}
	for _, tc := range []struct {
		name   string
		given  map[string]any
		attr   string
		detail string
	}{
		{"ok", base(nil), "", ""},
		{"ok apex", base(map[string]any{"name": "@"}), "", ""},
		{"ok AAAA", base(map[string]any{"type": "AAAA", "primary": []string{"2001:db8::1"}, "secondary": []string{"2001:db8::2"}}), "", ""},
		{"ok CNAME", base(map[string]any{"type": "CNAME", "primary": []string{"a.example.net"}, "secondary": []string{"b.example.net."}}), "", ""},
		{"IPv6 in A", base(map[string]any{"primary": []string{"2001:db8::1"}}), "primary", `"2001:db8::1" is not an IPv4 address`},
		{"IPv4 in AAAA", base(map[string]any{"type": "AAAA", "primary": []string{"2001:db8::1"}}), "secondary", `"192.0.2.2" is not an IPv6 address`},
		{"mapped IPv4 in AAAA", base(map[string]any{"type": "AAAA", "primary": []string{"::ffff:192.0.2.1"}, "secondary": []string{"2001:db8::2"}}), "primary", "is not an IPv6 address"},
		{"not an address", base(map[string]any{"secondary": []string{"dr.example.com"}}), "secondary", `"dr.example.com" is not an IP address`},
		{"two CNAME targets", base(map[string]any{"type": "CNAME", "primary": []string{"a.example.net", "c.example.net"}, "secondary": []string{"b.example.net"}}), "primary", "exactly one target"},
		{"CNAME at apex", base(map[string]any{"name": "@", "type": "CNAME", "primary": []string{"a.example.net"}, "secondary": []string{"b.example.net"}}), "name", "apex"},
		{"absolute name", base(map[string]any{"name": "www.example.com."}), "name", "relative to the zone"},
		{"name with zone", base(map[string]any{"name": "www.example.com"}), "name", "ends with the zone's name"},
		{"same address twice, spelled apart", base(map[string]any{"type": "AAAA", "primary": []string{"2001:db8::1"}, "secondary": []string{"2001:DB8:0::1"}}), "secondary", "both primary and secondary"},
		{"type", base(map[string]any{"type": "MX"}), "type", `must be one of "A", "AAAA", "CNAME"`},
		{"ttl", base(map[string]any{"ttl": 0}), "ttl", "between 1 and"},
		{"threshold 0", base(map[string]any{"cname_threshold": 0}), "cname_threshold", "at least 0.01"},
		{"threshold rounding to 0", base(map[string]any{"cname_threshold": cty.NumberFloatVal(0.004)}), "cname_threshold", "at least 0.01"},
		{"too many", base(map[string]any{"primary": manyAddresses(51)}), "primary", "at most 50"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := kind(t).Validate(rawAttrs(t, tc.given))
			if tc.attr == "" {
				if len(p) > 0 {
					t.Fatalf("problems: %+v", p)
				}
				return
			}
			if len(p) != 1 || p[0].Attr != tc.attr || !strings.Contains(p[0].Detail, tc.detail) {
				t.Fatalf("problems = %+v; want one at %s with %q", p, tc.attr, tc.detail)
			}
		})
	}
}

func manyAddresses(n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, "10.0.0."+itoa(i+1))
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// Duplicates as written and empty sides are the policy language's to
// report; Validate stays silent so each mistake is reported once, but the
// constructor still refuses them.
func TestValidateLeavesPolicyChecks(t *testing.T) {
	body := rawAttrs(t, map[string]any{"zone": "example.com", "name": "www", "primary": []string{"192.0.2.1"}, "secondary": []string{"192.0.2.1"}})
	if p := kind(t).Validate(body); len(p) != 0 {
		t.Errorf("problems: %+v", p)
	}
	_, err := kind(t).NewTarget(providers.Config{Name: "rr", Attrs: body, Provider: cloudflareProvider("t0ken")})
	if err == nil || !strings.Contains(err.Error(), "both primary and secondary") {
		t.Errorf("NewTarget: %v", err)
	}
}

func TestDeliverable(t *testing.T) {
	k := kind(t)
	a := attrs(t, map[string]any{"zone": "example.com", "name": "www", "primary": []string{"192.0.2.1", "192.0.2.2"}, "secondary": []string{"192.0.2.3", "192.0.2.4", "192.0.2.5"}})
	for want, d := range map[providers.Share]providers.Share{0: 0, 500: 0, 1000: 0, 2500: 2500, 5000: 5000, 7500: 6667, 10000: 10000} {
		if got, ok := k.Deliverable(a, want); !ok || got != d {
			t.Errorf("Deliverable(%v) = %v, %v; want %v", want, got, ok, d)
		}
	}
	// A CNAME switches at its threshold by design: no step warning for it.
	c := attrs(t, map[string]any{"zone": "example.com", "name": "www", "type": "CNAME", "cname_threshold": cty.NumberFloatVal(12.5),
		"primary": []string{"a.example.net"}, "secondary": []string{"b.example.net"}})
	if got, ok := k.Deliverable(c, 1250); ok {
		t.Errorf("CNAME Deliverable = %v, true; want not known (no step warnings for a CNAME)", got)
	}
	// Unknown or marked values: not known yet, never a panic.
	unknown := rawAttrs(t, map[string]any{"zone": "example.com", "name": "www", "primary": cty.UnknownVal(providers.StringList), "secondary": []string{"192.0.2.3"}})
	if _, ok := k.Deliverable(unknown, 5000); ok {
		t.Error("Deliverable with unknown primary: ok")
	}
	marked := rawAttrs(t, map[string]any{"zone": "example.com", "name": cty.StringVal("www").Mark("sensitive"), "primary": []string{"192.0.2.1"}, "secondary": []string{"192.0.2.3"}})
	if got, ok := k.Deliverable(marked, 5000); !ok || got != 5000 {
		t.Errorf("Deliverable with a marked name = %v, %v", got, ok)
	}
	for _, v := range []cty.Value{cty.NilVal, cty.NullVal(cty.DynamicPseudoType), cty.DynamicVal, cty.StringVal("x"), cty.EmptyObjectVal} {
		if _, ok := k.Deliverable(v, 5000); ok {
			t.Errorf("Deliverable(%#v) ok", v)
		}
		_ = k.Validate(v)
	}
}

func cloudflareProvider(token string) *providers.ProviderConfig {
	return &providers.ProviderConfig{Type: "libdns", Name: "cf", Attrs: cty.ObjectVal(map[string]cty.Value{
		"driver": cty.StringVal("cloudflare"),
		"config": cty.MapVal(map[string]cty.Value{"api_token": cty.StringVal(token)}).Mark("sensitive"),
	})}
}

// The cloudflare driver is built (no I/O); it cannot be exercised here,
// since the tests have no network.
func TestCloudflareConstructs(t *testing.T) {
	tg, err := kind(t).NewTarget(providers.Config{Name: "rr", Provider: cloudflareProvider("t0ken-s3cr3t"),
		Attrs: attrs(t, map[string]any{"zone": "example.com", "name": "www", "primary": []string{"192.0.2.1"}, "secondary": []string{"192.0.2.2"}})})
	if err != nil || tg.Resolution() != 5000 {
		t.Fatalf("NewTarget = %v, %v", tg, err)
	}
	_, err = kind(t).NewTarget(providers.Config{Name: "rr", Provider: cloudflareProvider(" "),
		Attrs: attrs(t, map[string]any{"zone": "example.com", "name": "www", "primary": []string{"192.0.2.1"}, "secondary": []string{"192.0.2.2"}})})
	if err == nil || !strings.Contains(err.Error(), "api_token must be") {
		t.Errorf("empty token: %v", err)
	}
}

func TestProviderValidation(t *testing.T) {
	r := providers.NewRegistry()
	libdns.Register(r)
	pt, err := r.Provider("libdns")
	if err != nil {
		t.Fatal(err)
	}
	body := func(driver string, cfg map[string]string) cty.Value {
		vals := map[string]cty.Value{}
		for k, v := range cfg {
			vals[k] = cty.StringVal(v)
		}
		m := cty.MapValEmpty(cty.String)
		if len(vals) > 0 {
			m = cty.MapVal(vals)
		}
		return cty.ObjectVal(map[string]cty.Value{"driver": cty.StringVal(driver), "config": m.Mark("sensitive")})
	}
	const secret = "not-base64-but-validate-does-not-judge-secrets"
	for _, tc := range []struct {
		name, driver string
		cfg          map[string]string
		want         string
	}{
		{"ok", "rfc2136", map[string]string{"server": "ns1.example.net:53", "key_name": "k", "key": secret}, ""},
		{"server", "rfc2136", map[string]string{"server": "dns.corp.internal", "key_name": "k", "key": secret}, "The rfc2136 driver's server must be host:port"},
		{"alg", "rfc2136", map[string]string{"server": "dns.corp.internal:53", "key_name": "k", "key": secret, "key_alg": "hmac-md5"}, "key_alg must be one of"},
		{"cloudflare", "cloudflare", map[string]string{"api_token": "x"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pt.Validate(body(tc.driver, tc.cfg))
			if tc.want == "" {
				if len(p) != 0 {
					t.Fatalf("problems: %+v", p)
				}
				return
			}
			if len(p) != 1 || !strings.Contains(p[0].Detail, tc.want) || p[0].Attr != "config" {
				t.Fatalf("problems = %+v, want %q", p, tc.want)
			}
			for _, v := range tc.cfg {
				if strings.Contains(p[0].Detail, v) && len(v) > 1 {
					t.Errorf("detail quotes a setting: %s", p[0].Detail)
				}
			}
		})
	}
}

// The constructor refuses, and never panics on, any shape of input.
func TestNewTargetOddInput(t *testing.T) {
	good := attrs(t, map[string]any{"zone": "example.com", "name": "www", "primary": []string{"192.0.2.1"}, "secondary": []string{"192.0.2.2"}})
	odd := []cty.Value{cty.NilVal, cty.NullVal(cty.DynamicPseudoType), cty.DynamicVal, cty.StringVal("x"), cty.EmptyObjectVal,
		cty.ObjectVal(map[string]cty.Value{"zone": cty.NumberIntVal(1)}), good.Mark("sensitive")}
	provs := []*providers.ProviderConfig{nil, {Type: "aws", Name: "x", Attrs: cty.EmptyObjectVal}, {Type: "libdns", Name: "x"},
		{Type: "libdns", Name: "x", Attrs: cty.ObjectVal(map[string]cty.Value{"driver": cty.StringVal("nope"), "config": cty.NullVal(cty.Map(cty.String))})},
		{Type: "libdns", Name: "x", Attrs: cty.ObjectVal(map[string]cty.Value{"driver": cty.UnknownVal(cty.String), "config": cty.NullVal(cty.Map(cty.String))})},
		{Type: "libdns", Name: "x", Attrs: cty.ObjectVal(map[string]cty.Value{"driver": cty.StringVal("rfc2136"), "config": cty.UnknownVal(cty.Map(cty.String))})},
		{Type: "libdns", Name: "x", Attrs: cty.ObjectVal(map[string]cty.Value{"driver": cty.StringVal("rfc2136"), "config": cty.NullVal(cty.Map(cty.String))})},
		cloudflareProvider("tok")}
	for i, p := range provs {
		for j, a := range append(odd, good) {
			tg, err := kind(t).NewTarget(providers.Config{Name: "rr", Attrs: a, Provider: p})
			// The good body, marked or not, with the good provider.
			if (err == nil) != (i == len(provs)-1 && j >= len(odd)-1) {
				t.Errorf("provider %d, attrs %d: %v, %v", i, j, tg, err)
			}
		}
	}
}
