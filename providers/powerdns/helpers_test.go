package powerdns_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/powerdns"
	"github.com/fbctl/fbctl/providers/providertest"
)

const zone = "example.test."

// initial is the target's record before a test: all traffic on the
// primary.
const initial = `A "pickwhashed({{1000, '192.0.2.1'}, {0, '198.51.100.1'}})"`

// zoneRRsets is the test zone: the target's LUA A record at www beside a
// LUA AAAA record of the same name (same rrset), and records the target
// must never touch.
func zoneRRsets() string {
	type rec struct {
		Content  string `json:"content"`
		Disabled bool   `json:"disabled"`
	}
	type rrset struct {
		Name    string `json:"name"`
		Type    string `json:"type"`
		TTL     int    `json:"ttl"`
		Records []rec  `json:"records"`
	}
	rs := []rrset{
		{"www." + zone, "LUA", 30, []rec{{initial, false}, {`AAAA "pickwrandom({{1, '2001:db8::1'}, {1, '2001:db8::2'}})"`, false}}},
		{"www." + zone, "TXT", 60, []rec{{`"owned by nobody"`, false}}},
		{"www2." + zone, "A", 60, []rec{{"192.0.2.1", false}}},
		{"plain." + zone, "A", 60, []rec{{"192.0.2.7", false}, {"198.51.100.7", false}}},
		{"expr." + zone, "LUA", 60, []rec{{`A "pickrandom({'192.0.2.1', '198.51.100.1'})"`, false}}},
		{"mail." + zone, "A", 60, []rec{{"192.0.2.25", false}}},
		{zone, "MX", 60, []rec{{"10 mail." + zone, false}}},
	}
	b, _ := json.Marshal(rs)
	return string(b)
}

// startPDNS starts a real PowerDNS with the test zone.
func startPDNS(t testing.TB) *testenv.PDNS {
	t.Helper()
	p := testenv.StartPDNS(t)
	p.CreateZone(t, zone, zoneRRsets())
	return p
}

func kind(t testing.TB) *providers.Kind {
	t.Helper()
	r := providers.NewRegistry()
	powerdns.Register(r)
	k, err := r.Kind(providers.ClassTarget, powerdns.Kind)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// provider is the powerdns provider block for p, api_key marked
// sensitive as the policy language marks it.
func provider(p *testenv.PDNS, key string) *providers.ProviderConfig {
	return &providers.ProviderConfig{Type: "powerdns", Name: "pdns", Attrs: cty.ObjectVal(map[string]cty.Value{
		"api_url":   cty.StringVal(p.APIURL),
		"api_key":   cty.StringVal(key).Mark("sensitive"),
		"server_id": cty.StringVal("localhost"),
	})}
}

// newTarget builds a target through the registry, as the engine does.
func newTarget(t testing.TB, pc *providers.ProviderConfig, given map[string]any) providers.Target {
	t.Helper()
	body := map[string]any{"zone": zone, "name": "www", "primary": []string{"192.0.2.1"},
		"secondary": []string{"198.51.100.1"}, "function": "pickwhashed"}
	for k, v := range given {
		body[k] = v
	}
	tg, err := kind(t).NewTarget(providers.Config{Name: "web", Attrs: providertest.ValidBody(t, kind(t), body), Provider: pc})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// others is the zone export without the SOA and without the LUA A record
// at name: what a target on that record must leave as it is.
func others(t testing.TB, p *testenv.PDNS, name string) []string {
	t.Helper()
	owner := name + "." + zone
	var out []string
	for _, line := range strings.Split(p.Export(t, zone), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		if f[3] == "SOA" || (strings.EqualFold(f[0], owner) && f[3] == "LUA" && len(f) > 4 && f[4] == "A") {
			continue
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

// luaRecords is the LUA rrset at name as the API reports it.
func luaRecords(t testing.TB, p *testenv.PDNS, name string) []string {
	t.Helper()
	var z struct {
		RRsets []struct {
			Name, Type string
			Records    []struct{ Content string }
		}
	}
	if err := json.Unmarshal(p.API(t, http.MethodGet, "/api/v1/servers/localhost/zones/"+zone, "", http.StatusOK), &z); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rs := range z.RRsets {
		if rs.Name == name+"."+zone && rs.Type == "LUA" {
			for _, r := range rs.Records {
				out = append(out, r.Content)
			}
		}
	}
	slices.Sort(out)
	return out
}

// setRecord replaces the LUA rrset at www with the given records, as an
// operator would.
func setLUA(t testing.TB, p *testenv.PDNS, name string, contents ...string) {
	t.Helper()
	var recs []string
	for _, c := range contents {
		b, _ := json.Marshal(c)
		recs = append(recs, fmt.Sprintf(`{"content":%s,"disabled":false}`, b))
	}
	body := fmt.Sprintf(`{"rrsets":[{"name":%q,"type":"LUA","ttl":30,"changetype":"REPLACE","records":[%s]}]}`,
		name+"."+zone, strings.Join(recs, ","))
	p.API(t, http.MethodPatch, "/api/v1/servers/localhost/zones/"+zone, body, http.StatusNoContent)
}

// sources are n distinct loopback client addresses, 127.1.0.1 on.
func sources(n int) []net.IP {
	out := make([]net.IP, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, net.IPv4(127, 1, byte((i+1)>>8), byte((i+1)&0xff)))
	}
	return out
}

// primaryFraction asks name's A record once from each source and returns
// the fraction of answers that are exactly primary.
func primaryFraction(t testing.TB, p *testenv.PDNS, name, primary, secondary string, srcs []net.IP) float64 {
	t.Helper()
	hits := 0
	for _, src := range srcs {
		ans, err := p.QueryFrom(src, name, 1)
		if err != nil {
			t.Fatalf("query from %s: %v", src, err)
		}
		switch {
		case slices.Equal(ans, []string{primary}):
			hits++
		case slices.Equal(ans, []string{secondary}):
		default:
			t.Fatalf("query from %s: answer %v is neither side's address", src, ans)
		}
	}
	return float64(hits) / float64(len(srcs))
}
