package gcp

// The cloud_dns_wrr target against fbctl's Cloud DNS emulator
// (internal/sim/clouddns), through the real dns/v1 client.

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
	dns "google.golang.org/api/dns/v1"

	"github.com/fbctl/fbctl/internal/sim/clouddns"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

type wrrItem = dns.RRSetRoutingPolicyWrrPolicyWrrPolicyItem

func wrr(items ...*wrrItem) *dns.RRSetRoutingPolicy {
	return &dns.RRSetRoutingPolicy{Wrr: &dns.RRSetRoutingPolicyWrrPolicy{Items: items}}
}

// newDNSWorld starts an emulator with zone-a (example.test.) holding a WRR
// record set www (A): 192.0.2.1 (90), 198.51.100.1 and 198.51.100.2 in
// one item (10), a health-checked item (5) and 203.0.113.7 (0); and other
// record sets that must not change.
func newDNSWorld(t testing.TB) (*clouddns.Server, string) {
	t.Helper()
	s := clouddns.New(simProject)
	u, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddZone("zone-a", "example.test.")
	s.AddZone("zone-b", "other.test.")
	seedDNS(s)
	return s, u
}

func seedDNS(s *clouddns.Server) {
	s.Put("zone-a", &dns.ResourceRecordSet{Name: "www.example.test.", Type: "A", Ttl: 60, RoutingPolicy: wrr(
		&wrrItem{Weight: 90, Rrdatas: []string{"192.0.2.1"}},
		&wrrItem{Weight: 10, Rrdatas: []string{"198.51.100.1", "198.51.100.2"}},
		&wrrItem{Weight: 5, Rrdatas: []string{"192.0.2.50"}, HealthCheckedTargets: &dns.RRSetRoutingPolicyHealthCheckTargets{
			InternalLoadBalancers: []*dns.RRSetRoutingPolicyLoadBalancerTarget{{IpAddress: "10.0.0.5", IpProtocol: "tcp", Port: "80", LoadBalancerType: "regionalL4ilb", Project: simProject, NetworkUrl: "https://www.googleapis.com/compute/v1/projects/" + simProject + "/global/networks/default", Region: "us-east1"}}}},
		&wrrItem{Weight: 0, Rrdatas: []string{"203.0.113.7"}},
	)})
	s.Put("zone-a", &dns.ResourceRecordSet{Name: "www.example.test.", Type: "AAAA", Ttl: 60, Rrdatas: []string{"2001:db8::1"}})
	s.Put("zone-a", &dns.ResourceRecordSet{Name: "api.example.test.", Type: "A", Ttl: 300, Rrdatas: []string{"192.0.2.9"}})
	s.Put("zone-a", &dns.ResourceRecordSet{Name: "geo.example.test.", Type: "A", Ttl: 300, RoutingPolicy: &dns.RRSetRoutingPolicy{
		Geo: &dns.RRSetRoutingPolicyGeoPolicy{Items: []*dns.RRSetRoutingPolicyGeoPolicyGeoPolicyItem{{Location: "us-east1", Rrdatas: []string{"192.0.2.1"}}}}}})
	s.Put("zone-a", &dns.ResourceRecordSet{Name: "bad.example.test.", Type: "A", Ttl: 300, RoutingPolicy: wrr(
		&wrrItem{Weight: 1500, Rrdatas: []string{"192.0.2.1"}}, &wrrItem{Weight: 1, Rrdatas: []string{"192.0.2.2"}})})
	s.Put("zone-b", &dns.ResourceRecordSet{Name: "www.other.test.", Type: "A", Ttl: 60, RoutingPolicy: wrr(
		&wrrItem{Weight: 1, Rrdatas: []string{"192.0.2.1"}}, &wrrItem{Weight: 1, Rrdatas: []string{"192.0.2.2"}})})
}

func dnsAttrs(zone, name, typ string, primary, secondary []string) map[string]any {
	return map[string]any{"managed_zone": zone, "name": name, "type": typ, "primary": primary, "secondary": secondary}
}

func newWRR(t testing.TB, url string, attrs map[string]any) (*CloudDNSWRR, error) {
	t.Helper()
	pc := providerBlock(t, url)
	return NewCloudDNSWRR(providers.Config{Name: "www", Provider: pc, Attrs: objectOf(t, attrs)}, testOpts...)
}

func mustWRR(t testing.TB, url string, attrs map[string]any) *CloudDNSWRR {
	t.Helper()
	tg, err := newWRR(t, url, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

var wwwAttrs = dnsAttrs("zone-a", "www", "A", []string{"192.0.2.1"}, []string{"198.51.100.1", "198.51.100.2"})

func TestCloudDNSConformance(t *testing.T) {
	s, u := newDNSWorld(t)
	named := func(it *wrrItem) bool {
		return it.Rrdatas[0] == "192.0.2.1" || it.Rrdatas[0] == "198.51.100.1"
	}
	for _, name := range []string{"www", "www.example.test.", "WWW.Example.Test."} {
		t.Run(name, func(t *testing.T) {
			attrs := dnsAttrs("zone-a", name, "A", []string{"192.0.2.1"}, []string{"198.51.100.1", "198.51.100.2"})
			providertest.Conformance(t, providertest.Harness{
				New: func(t *testing.T) providers.Target { return mustWRR(t, u, attrs) },
				Reset: func(t *testing.T) {
					seedDNS(s)
				},
				Snapshot: func(t *testing.T) any {
					var out []*dns.ResourceRecordSet
					for _, z := range []string{"zone-a", "zone-b"} {
						for _, r := range s.Snapshot(z) {
							if r.RoutingPolicy != nil && r.RoutingPolicy.Wrr != nil && r.Name == "www.example.test." {
								for _, it := range r.RoutingPolicy.Wrr.Items {
									if named(it) {
										it.Weight = -1
									}
								}
							}
							out = append(out, r)
						}
					}
					return out
				},
				Owned: func(t *testing.T) any {
					var w []float64
					for _, it := range s.Get("zone-a", "www.example.test.", "A").RoutingPolicy.Wrr.Items {
						if named(it) {
							w = append(w, it.Weight)
						}
					}
					return w
				},
			})
		})
	}
}

func TestCloudDNSShareAndForeign(t *testing.T) {
	_, u := newDNSWorld(t)
	tg := mustWRR(t, u, wwwAttrs)
	ctx := context.Background()
	got, err := tg.Observe(ctx)
	if err != nil || got != 9000 {
		t.Fatalf("Observe = %v, %v; want 9000 (90 of 100)", got, err)
	}
	f, err := tg.Foreign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := "item [192.0.2.50] (health-checked) (weight 5)|item [203.0.113.7] (weight 0)"; strings.Join(f, "|") != want {
		t.Fatalf("Foreign = %q, want %q", f, want)
	}
}

func TestCloudDNSBadInput(t *testing.T) {
	s, u := newDNSWorld(t)
	for _, c := range []struct {
		name  string
		attrs map[string]any
		want  string
	}{
		{"zone not found", dnsAttrs("zone-x", "www.example.test.", "A", []string{"192.0.2.1"}, []string{"198.51.100.1", "198.51.100.2"}), `managed zone "zone-x" does not exist in project`},
		{"zone not found relative", dnsAttrs("zone-x", "www", "A", []string{"192.0.2.1"}, []string{"198.51.100.1"}), `managed zone "zone-x" does not exist`},
		{"record not found", dnsAttrs("zone-a", "nope", "A", []string{"192.0.2.1"}, []string{"198.51.100.1"}), "record set nope.example.test. A in managed zone zone-a (project " + simProject + ") does not exist"},
		{"type not found", dnsAttrs("zone-a", "api", "AAAA", []string{"192.0.2.1"}, []string{"198.51.100.1"}), "api.example.test. AAAA in managed zone zone-a"},
		{"no policy", dnsAttrs("zone-a", "api", "A", []string{"192.0.2.9"}, []string{"198.51.100.1"}), "has no routing policy (plain rrdatas); fbctl steers a weighted round robin"},
		{"geo policy", dnsAttrs("zone-a", "geo", "A", []string{"192.0.2.1"}, []string{"198.51.100.1"}), "has a geolocation (GEO) routing policy"},
		{"weight out of range", dnsAttrs("zone-a", "bad", "A", []string{"192.0.2.1"}, []string{"192.0.2.2"}), "item 0 has weight 1500, outside 0-1000"},
		{"rrdata not held", dnsAttrs("zone-a", "www", "A", []string{"192.0.2.1"}, []string{"198.51.100.9"}), "has no WRR item holding 198.51.100.9 (its items: [192.0.2.1], [198.51.100.1 198.51.100.2], [192.0.2.50], [203.0.113.7])"},
		{"half an item", dnsAttrs("zone-a", "www", "A", []string{"192.0.2.1"}, []string{"198.51.100.1"}), "holds 198.51.100.2, which secondary does not name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := s.Snapshot("zone-a")
			tg := mustWRR(t, u, c.attrs)
			_, err := tg.Observe(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), `cloud_dns_wrr "www": `) {
				t.Fatalf("Observe: %v\nwant %q", err, c.want)
			}
			if _, err := tg.Apply(context.Background(), 5000); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Apply: %v", err)
			}
			if diff := cmpDiff(before, s.Snapshot("zone-a")); diff != "" {
				t.Fatalf("zone changed:\n%s", diff)
			}
		})
	}
	for _, c := range []struct {
		name  string
		attrs map[string]any
		want  string
	}{
		{"zone is a DNS name", dnsAttrs("example.test.", "www", "A", []string{"a"}, []string{"b"}), "managed_zone must be a managed zone's name"},
		{"bad type", dnsAttrs("zone-a", "www", "BOGUS", []string{"a"}, []string{"b"}), "type must be one of"},
		{"bad name", dnsAttrs("zone-a", "w w", "A", []string{"a"}, []string{"b"}), "name must be a DNS name"},
		{"same rrdata twice", dnsAttrs("zone-a", "www", "A", []string{"a"}, []string{"a"}), "a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := newWRR(t, u, c.attrs); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("NewCloudDNSWRR: %v, want %q", err, c.want)
			}
		})
	}
}

// TestCloudDNSConflict: another writer changes the record set between
// fbctl's read and its change: Cloud DNS refuses the change (412), fbctl
// reads again and redoes it, and the other writer's change survives.
func TestCloudDNSConflict(t *testing.T) {
	s, u := newDNSWorld(t)
	tg := mustWRR(t, u, wwwAttrs)
	ctx := providers.WithRunCache(context.Background())
	if _, err := tg.Observe(ctx); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	s.BeforeWrite(func(string) {
		once.Do(func() {
			r := s.Get("zone-a", "www.example.test.", "A")
			r.RoutingPolicy.Wrr.Items[3].Weight = 7 // an item fbctl does not own
			s.Put("zone-a", r)
		})
	})
	s.ResetCalls()
	got, err := tg.Apply(ctx, 2000)
	if err != nil || got != 2000 {
		t.Fatalf("Apply = %v, %v", got, err)
	}
	items := s.Get("zone-a", "www.example.test.", "A").RoutingPolicy.Wrr.Items
	if items[0].Weight*4 != items[1].Weight || items[3].Weight != 7 || items[2].Weight != 5 {
		t.Fatalf("items after: %+v %+v %+v", items[0], items[1], items[3])
	}
	if c := s.Calls(); c["changes.create"] != 2 || c["rrsets.list"] != 2 {
		t.Fatalf("calls = %v, want 2 changes.create (one refused with 412) and 2 rrsets.list (the re-read, the read back)", c)
	}

	// A writer that always comes in between: fbctl gives up, naming the
	// record set, and changes nothing.
	s.BeforeWrite(func(string) {
		r := s.Get("zone-a", "www.example.test.", "A")
		r.RoutingPolicy.Wrr.Items[3].Weight++
		s.Put("zone-a", r)
	})
	_, err = tg.Apply(context.Background(), 8000)
	if err == nil || !strings.Contains(err.Error(), "gave up after 5 attempts") || !strings.Contains(err.Error(), "www.example.test. A in managed zone zone-a") {
		t.Fatalf("Apply under a constant writer: %v", err)
	}
	s.BeforeWrite(nil)
	if got, _ := mustWRR(t, u, wwwAttrs).Observe(context.Background()); got != 2000 {
		t.Fatalf("share after giving up = %v, want 2000", got)
	}
}

// TestCloudDNSEconomy: a run that observes and applies makes one list and
// one change, then one list to read back; a run at the share it wants
// writes nothing.
func TestCloudDNSEconomy(t *testing.T) {
	s, u := newDNSWorld(t)
	tg := mustWRR(t, u, dnsAttrs("zone-a", "www.example.test.", "A", []string{"192.0.2.1"}, []string{"198.51.100.1", "198.51.100.2"}))
	ctx := providers.WithRunCache(context.Background())
	s.ResetCalls()
	if _, err := tg.Observe(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Foreign(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := tg.Apply(ctx, 5000); err != nil || got != 5000 {
		t.Fatalf("Apply = %v, %v", got, err)
	}
	if c := s.Calls(); c["rrsets.list"] != 2 || c["changes.create"] != 1 || len(c) != 2 {
		t.Fatalf("calls = %v, want rrsets.list 2 (read, read back), changes.create 1", c)
	}
	ctx = providers.WithRunCache(context.Background())
	s.ResetCalls()
	if got, err := tg.Apply(ctx, 5000); err != nil || got != 5000 {
		t.Fatalf("Apply again = %v, %v", got, err)
	}
	if c := s.Calls(); c["changes.create"] != 0 {
		t.Fatalf("calls = %v, want no change", c)
	}
	// A relative name asks for the zone's DNS name once per process.
	rel := mustWRR(t, u, wwwAttrs)
	s.ResetCalls()
	for range 2 {
		if _, err := rel.Observe(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if c := s.Calls(); c["managedZones.get"] > 1 || c["rrsets.list"] != 2 {
		t.Fatalf("calls = %v", c)
	}
}

// TestCloudDNSZero: weight 0 goes over the wire (the SDK omits zeros
// unless told), and every other item keeps its weight and targets.
func TestCloudDNSZero(t *testing.T) {
	s, u := newDNSWorld(t)
	tg := mustWRR(t, u, wwwAttrs)
	before := s.Get("zone-a", "www.example.test.", "A")
	if got, err := tg.Apply(context.Background(), 10000); err != nil || got != 10000 {
		t.Fatalf("Apply = %v, %v", got, err)
	}
	after := s.Get("zone-a", "www.example.test.", "A")
	if after.RoutingPolicy.Wrr.Items[1].Weight != 0 || after.RoutingPolicy.Wrr.Items[0].Weight == 0 {
		t.Fatalf("after: %+v", after.RoutingPolicy.Wrr.Items)
	}
	before.RoutingPolicy.Wrr.Items[0].Weight, before.RoutingPolicy.Wrr.Items[1].Weight = 0, 0
	after.RoutingPolicy.Wrr.Items[0].Weight = 0
	if diff := cmpDiff(before, after); diff != "" {
		t.Fatalf("other fields changed:\n%s", diff)
	}
}

// objectOf turns a test's attributes into a block body.
func objectOf(t testing.TB, attrs map[string]any) cty.Value {
	t.Helper()
	m := map[string]cty.Value{}
	for k, v := range attrs {
		switch v := v.(type) {
		case string:
			m[k] = cty.StringVal(v)
		case []string:
			m[k] = strList(v...)
		default:
			t.Fatalf("objectOf: %s: %T", k, v)
		}
	}
	return cty.ObjectVal(m)
}

func cmpDiff(a, b any) string { return cmp.Diff(a, b) }

// TestCloudDNSBatch: in one run, targets of two record sets of zone-a and
// one of zone-b (three failbacks) make one changes.create per zone and
// one rrsets.list per record set before it; two stagings that set one
// item to different weights both fail and send nothing.
func TestCloudDNSBatch(t *testing.T) {
	s, u := newDNSWorld(t)
	s.Put("zone-a", &dns.ResourceRecordSet{Name: "app.example.test.", Type: "A", Ttl: 60, RoutingPolicy: wrr(
		&wrrItem{Weight: 1, Rrdatas: []string{"192.0.2.1"}}, &wrrItem{Weight: 1, Rrdatas: []string{"192.0.2.2"}})})
	tgs := []*CloudDNSWRR{
		mustWRR(t, u, dnsAttrs("zone-a", "www.example.test.", "A", []string{"192.0.2.1"}, []string{"198.51.100.1", "198.51.100.2"})),
		mustWRR(t, u, dnsAttrs("zone-a", "app.example.test.", "A", []string{"192.0.2.1"}, []string{"192.0.2.2"})),
		mustWRR(t, u, dnsAttrs("zone-b", "www.other.test.", "A", []string{"192.0.2.1"}, []string{"192.0.2.2"})),
		// Another failback's item of the www record set of zone-a.
		mustWRR(t, u, dnsAttrs("zone-a", "www.example.test.", "A", []string{"203.0.113.7"}, []string{"192.0.2.50"})),
	}
	wants := []providers.Share{2500, 7500, 4000, 10000}
	ctx := providers.WithRunCache(context.Background())
	s.ResetCalls()
	var ps []providers.Pending
	for i, tg := range tgs {
		p, err := tg.Stage(ctx, wants[i])
		if err != nil {
			t.Fatalf("Stage %d: %v", i, err)
		}
		ps = append(ps, p)
	}
	if err := providers.FlushRun(ctx); err != nil {
		t.Fatalf("FlushRun: %v", err)
	}
	if c := s.Calls(); c["changes.create"] != 2 || c["rrsets.list"] != 3 {
		t.Fatalf("calls = %v, want 2 changes.create (one per zone) and 3 rrsets.list (one per record set)", c)
	}
	for i, p := range ps {
		if got, err := p.Wait(ctx); err != nil || got != wants[i] {
			t.Fatalf("Wait %d = %v, %v; want %v", i, got, err, wants[i])
		}
	}
	items := s.Get("zone-a", "www.example.test.", "A").RoutingPolicy.Wrr.Items
	if items[2].Weight != 0 || items[3].Weight == 0 || items[0].Weight*3 != items[1].Weight {
		t.Fatalf("www items: %v %v %v %v", items[0].Weight, items[1].Weight, items[2].Weight, items[3].Weight)
	}

	// Two stagings of one item at different weights.
	ctx = providers.WithRunCache(context.Background())
	before := s.Snapshot("zone-a")
	twin := mustWRR(t, u, dnsAttrs("zone-a", "www", "A", []string{"192.0.2.1"}, []string{"198.51.100.1", "198.51.100.2"}))
	p0, err0 := tgs[0].Stage(ctx, 5000)
	p1, err1 := twin.Stage(ctx, 6000)
	if err0 != nil || err1 != nil {
		t.Fatal(err0, err1)
	}
	s.ResetCalls()
	_ = providers.FlushRun(ctx)
	for _, p := range []providers.Pending{p0, p1} {
		if _, err := p.Wait(ctx); err == nil || !strings.Contains(err.Error(), "set to different weights in one run") {
			t.Fatalf("Wait: %v", err)
		}
	}
	if c := s.Calls(); c["changes.create"] != 0 {
		t.Fatalf("calls = %v, want no change", c)
	}
	if diff := cmpDiff(before, s.Snapshot("zone-a")); diff != "" {
		t.Fatalf("zone changed:\n%s", diff)
	}
}

// TestCloudDNSFaults: 429 and 5xx are retried within the attempt budget;
// 403 (permissions) is not, and names the record set; a fault that
// outlasts the budget changes nothing.
func TestCloudDNSFaults(t *testing.T) {
	s, u := newDNSWorld(t)
	tg := mustWRR(t, u, wwwAttrs)
	s.Fail("rrsets.list", 503, 429)
	s.Fail("changes.create", 500)
	s.ResetCalls()
	if got, err := tg.Apply(context.Background(), 3000); err != nil || got != 3000 {
		t.Fatalf("Apply = %v, %v", got, err)
	}
	if c := s.Calls(); c["rrsets.list"] != 4 || c["changes.create"] != 2 {
		t.Fatalf("calls = %v", c)
	}

	s.Fail("rrsets.list", 403)
	s.ResetCalls()
	_, err := tg.Observe(context.Background())
	if err == nil || !strings.Contains(err.Error(), "www.example.test. A in managed zone zone-a") || !strings.Contains(err.Error(), "403") {
		t.Fatalf("Observe with 403: %v", err)
	}
	if c := s.Calls(); c["rrsets.list"] != 1 {
		t.Fatalf("403 retried: %v", c)
	}

	before := s.Snapshot("zone-a")
	s.Fail("changes.create", 503, 503, 503, 503, 503)
	if _, err := tg.Apply(context.Background(), 9000); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("Apply under 5 503s: %v", err)
	}
	if diff := cmpDiff(before, s.Snapshot("zone-a")); diff != "" {
		t.Fatalf("zone changed:\n%s", diff)
	}
}

// Values the policy marks sensitive stay out of errors and Foreign.
func TestCloudDNSSensitive(t *testing.T) {
	_, u := newDNSWorld(t)
	for _, c := range []struct {
		attr, secret string
		attrs        map[string]any
	}{
		{"managed_zone", "zone-secret", dnsAttrs("zone-secret", "www", "A", []string{"192.0.2.1"}, []string{"198.51.100.1", "198.51.100.2"})},
		{"name", "hidden-name", dnsAttrs("zone-a", "hidden-name", "A", []string{"192.0.2.1"}, []string{"198.51.100.1", "198.51.100.2"})},
	} {
		m := objectOf(t, c.attrs).AsValueMap()
		m[c.attr] = m[c.attr].Mark("sensitive")
		tg, err := NewCloudDNSWRR(providers.Config{Name: "www", Provider: providerBlock(t, u), Attrs: cty.ObjectVal(m)}, testOpts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tg.Observe(context.Background())
		if err == nil || strings.Contains(err.Error(), c.secret) {
			t.Fatalf("%s: Observe: %v", c.attr, err)
		}
		_, err = tg.Apply(context.Background(), 5000)
		if err == nil || strings.Contains(err.Error(), c.secret) {
			t.Fatalf("%s: Apply: %v", c.attr, err)
		}
	}
	// A sensitive rrdata that no item holds is not shown.
	m := objectOf(t, dnsAttrs("zone-a", "www", "A", []string{"192.0.2.99"}, []string{"198.51.100.1", "198.51.100.2"})).AsValueMap()
	m["primary"] = m["primary"].Mark("sensitive")
	tg, err := NewCloudDNSWRR(providers.Config{Name: "www", Provider: providerBlock(t, u), Attrs: cty.ObjectVal(m)}, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Observe(context.Background()); err == nil || strings.Contains(err.Error(), "192.0.2.99") || !strings.Contains(err.Error(), "has no WRR item holding") {
		t.Fatalf("Observe: %v", err)
	}
}
