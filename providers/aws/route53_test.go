package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

// r53World is a moto server with a hosted zone full of records: the
// steered group api.example.com A {aws, gcp} and many neighbours the
// target must leave alone (another type with the same set identifiers,
// another weighted group, an alias, a CNAME, TXT, MX).
type r53World struct {
	moto  *testenv.Moto
	zone  string
	named []r53types.ResourceRecordSet // the steered sets as seeded
	hc    string
}

func newR53World(t *testing.T) *r53World {
	t.Helper()
	m := testenv.StartMoto(t)
	w := &r53World{moto: m, zone: m.CreateHostedZone(t, "example.com")}
	w.hc = m.CreateHealthCheck(t, "192.0.2.1", 80, "/healthz")
	aws1 := testenv.WeightedA("api.example.com", "aws", 1, "192.0.2.1")
	aws1.HealthCheckId = aws.String(w.hc)
	gcp := testenv.WeightedA("api.example.com", "gcp", 1, "198.51.100.1")
	w.named = []r53types.ResourceRecordSet{aws1, gcp}
	m.UpsertRecordSets(t, w.zone, aws1, gcp,
		r53types.ResourceRecordSet{Name: aws.String("api.example.com"), Type: r53types.RRTypeAaaa, SetIdentifier: aws.String("aws"),
			Weight: aws.Int64(7), TTL: aws.Int64(60), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("2001:db8::1")}}},
		r53types.ResourceRecordSet{Name: aws.String("api.example.com"), Type: r53types.RRTypeAaaa, SetIdentifier: aws.String("gcp"),
			Weight: aws.Int64(9), TTL: aws.Int64(60), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("2001:db8::2")}}},
		testenv.WeightedA("db.example.com", "aws", 10, "192.0.2.10"),
		testenv.WeightedA("db.example.com", "gcp", 20, "198.51.100.10"),
		r53types.ResourceRecordSet{Name: aws.String("www.example.com"), Type: r53types.RRTypeCname, TTL: aws.Int64(300),
			ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("api.example.com")}}},
		r53types.ResourceRecordSet{Name: aws.String("cdn.example.com"), Type: r53types.RRTypeA,
			AliasTarget: &r53types.AliasTarget{HostedZoneId: aws.String(w.zone), DNSName: aws.String("api.example.com."), EvaluateTargetHealth: true}},
		r53types.ResourceRecordSet{Name: aws.String("txt.example.com"), Type: r53types.RRTypeTxt, TTL: aws.Int64(120),
			ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(`"v=spf1 -all"`)}}},
		r53types.ResourceRecordSet{Name: aws.String("example.com"), Type: r53types.RRTypeMx, TTL: aws.Int64(3600),
			ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("10 mx1.example.com")}, {Value: aws.String("20 mx2.example.com")}}},
	)
	return w
}

func isSteered(rr r53types.ResourceRecordSet) bool {
	return aws.ToString(rr.Name) == "api.example.com." && rr.Type == r53types.RRTypeA
}

// others returns every record set of the zone but the steered ones.
func (w *r53World) others(t *testing.T) []r53types.ResourceRecordSet {
	var out []r53types.ResourceRecordSet
	for _, rr := range w.moto.RecordSets(t, w.zone) {
		if !isSteered(rr) {
			out = append(out, rr)
		}
	}
	return out
}

// steered returns the steered sets by set identifier.
func (w *r53World) steered(t *testing.T) map[string]r53types.ResourceRecordSet {
	out := map[string]r53types.ResourceRecordSet{}
	for _, rr := range w.moto.RecordSets(t, w.zone) {
		if isSteered(rr) {
			out[aws.ToString(rr.SetIdentifier)] = rr
		}
	}
	return out
}

func (w *r53World) weights(t *testing.T) map[string]int64 {
	out := map[string]int64{}
	for id, rr := range w.steered(t) {
		out[id] = aws.ToInt64(rr.Weight)
	}
	return out
}

func (w *r53World) target(t *testing.T, pc *providers.ProviderConfig, opts ...Option) *Route53Weighted {
	t.Helper()
	tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc,
		Attrs: r53Attrs(w.zone, "", "api.example.com", "A", []string{"aws"}, []string{"gcp"})}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestRoute53WeightedConformance(t *testing.T) {
	w := newR53World(t)
	pc := providerBlock(t, w.moto.URL, nil)
	providertest.Conformance(t, providertest.Harness{
		New:        func(t *testing.T) providers.Target { return w.target(t, pc) },
		Snapshot:   func(t *testing.T) any { return w.others(t) },
		Owned:      func(t *testing.T) any { return w.steered(t) },
		Reset:      func(t *testing.T) { w.moto.UpsertRecordSets(t, w.zone, w.named...) },
		CmpOptions: []cmp.Option{ignoreUnexported},
	})
}

// Only the weight changes: TTL, values, health check id, alias target and
// set identifier of each steered set are what they were.
func TestRoute53WeightedPreservesEveryOtherField(t *testing.T) {
	w := newR53World(t)
	// The secondary is an alias set with target health evaluation.
	alias := r53types.ResourceRecordSet{Name: aws.String("api.example.com"), Type: r53types.RRTypeA, SetIdentifier: aws.String("gcp"),
		Weight: aws.Int64(3), AliasTarget: &r53types.AliasTarget{HostedZoneId: aws.String(w.zone), DNSName: aws.String("cdn.example.com."), EvaluateTargetHealth: true}}
	w.moto.UpsertRecordSets(t, w.zone, alias)
	before := w.steered(t)
	if before["gcp"].AliasTarget == nil || before["aws"].HealthCheckId == nil {
		t.Fatalf("seeding: %+v", before)
	}
	p := startProxy(t, w.moto.URL)
	tg := w.target(t, providerBlock(t, p.URL, nil))
	for _, want := range []providers.Share{10000, 2500, 0, 5000} {
		if _, err := tg.Apply(testCtx(t), want); err != nil {
			t.Fatal(err)
		}
		after := w.steered(t)
		noWeight := cmp.FilterPath(func(p cmp.Path) bool {
			sf, ok := p.Last().(cmp.StructField)
			return ok && sf.Name() == "Weight"
		}, cmp.Ignore())
		if diff := cmp.Diff(before, after, ignoreUnexported, noWeight); diff != "" {
			t.Errorf("Apply(%v) changed more than the weights (-before +after):\n%s", want, diff)
		}
	}
	if got := w.weights(t); got["aws"] != 128 || got["gcp"] != 128 {
		t.Errorf("weights at 50%% = %v, want 128/128", got)
	}
	// One change per Apply, each an UPSERT of named sets only; the alias
	// set goes without the TTL moto lists for it (Route 53 rejects one).
	bodies := p.bodiesOf("ChangeResourceRecordSets")
	if len(bodies) != 4 {
		t.Fatalf("%d ChangeResourceRecordSets for 4 Applies", len(bodies))
	}
	for _, b := range bodies {
		for _, ch := range strings.Split(b, "<Change>")[1:] {
			if !strings.Contains(ch, "<Action>UPSERT</Action>") || !strings.Contains(ch, "<Name>api.example.com.</Name>") {
				t.Errorf("change %s is not an UPSERT of a steered set", ch)
			}
			if strings.Contains(ch, "<AliasTarget>") == strings.Contains(ch, "<TTL>") {
				t.Errorf("change %s: an alias set must go without TTL, a plain one with", ch)
			}
		}
	}
}

func TestRoute53WeightedObserve(t *testing.T) {
	w := newR53World(t)
	pc := providerBlock(t, w.moto.URL, nil)
	ctx := testCtx(t)
	set := func(aw, gw int64) {
		a, g := w.named[0], w.named[1]
		a.Weight, g.Weight = aws.Int64(aw), aws.Int64(gw)
		w.moto.UpsertRecordSets(t, w.zone, a, g)
	}
	tg := w.target(t, pc)
	for _, c := range []struct {
		aws, gcp int64
		want     providers.Share
	}{{1, 1, 5000}, {1, 3, 2500}, {255, 0, 10000}, {0, 255, 0}, {1, 2, 3333}, {2, 1, 6667}, {1, 255, 39}} {
		set(c.aws, c.gcp)
		if got, err := tg.Observe(ctx); err != nil || got != c.want {
			t.Errorf("weights %d/%d: Observe = %v, %v; want %v", c.aws, c.gcp, got, err, c.want)
		}
	}

	// Names compare without the trailing dot and case; zone by name.
	for _, attrs := range []cty.Value{
		r53Attrs(w.zone, "", "API.Example.COM.", "A", []string{"aws"}, []string{"gcp"}),
		r53Attrs("/hostedzone/"+w.zone, "", "api.example.com", "A", []string{"aws"}, []string{"gcp"}),
		r53Attrs("", "Example.com.", "api.example.com", "A", []string{"aws"}, []string{"gcp"}),
	} {
		tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc, Attrs: attrs})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tg.Observe(ctx); err != nil || got != 39 {
			t.Errorf("%#v: Observe = %v, %v; want 0.39%%", attrs.GoString(), got, err)
		}
	}

	// Two primaries and two secondaries: weights sum per side.
	w.moto.UpsertRecordSets(t, w.zone,
		testenv.WeightedA("multi.example.com", "p1", 10, "192.0.2.1"), testenv.WeightedA("multi.example.com", "p2", 30, "192.0.2.2"),
		testenv.WeightedA("multi.example.com", "s1", 50, "192.0.2.3"), testenv.WeightedA("multi.example.com", "s2", 70, "192.0.2.4"))
	multi, err := NewRoute53Weighted(providers.Config{Name: "multi", Provider: pc,
		Attrs: r53Attrs(w.zone, "", "multi.example.com", "A", []string{"p1", "p2"}, []string{"s1", "s2"})})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := multi.Observe(ctx); err != nil || got != 2500 {
		t.Errorf("multi: Observe = %v, %v; want 25%%", got, err)
	}
	if got, err := multi.Apply(ctx, 7000); err != nil || got != 7000 {
		t.Errorf("multi: Apply(70%%) = %v, %v", got, err)
	}
}

func TestRoute53WeightedErrors(t *testing.T) {
	w := newR53World(t)
	pc := providerBlock(t, w.moto.URL, nil)
	ctx := testCtx(t)
	build := func(attrs cty.Value) *Route53Weighted {
		t.Helper()
		tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc, Attrs: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	before := w.moto.RecordSets(t, w.zone)
	for _, c := range []struct {
		name  string
		attrs cty.Value
		want  []string
	}{
		{"missing set", r53Attrs(w.zone, "", "api.example.com", "A", []string{"aws"}, []string{"azure"}),
			[]string{`route53_weighted "dns"`, "hosted zone " + w.zone, "api.example.com. A", `set identifier "azure"`, `its sets are "aws", "gcp"`}},
		{"missing record", r53Attrs(w.zone, "", "nope.example.com", "A", []string{"aws"}, []string{"gcp"}),
			[]string{"nope.example.com. A", `"aws", "gcp"`, "there is no record set of that name and type"}},
		{"wrong type", r53Attrs(w.zone, "", "api.example.com", "TXT", []string{"aws"}, []string{"gcp"}),
			[]string{"api.example.com. TXT", "no record set"}},
		{"unknown zone id", r53Attrs("ZNOSUCHZONE", "", "api.example.com", "A", []string{"aws"}, []string{"gcp"}),
			[]string{"hosted zone ZNOSUCHZONE", "ListResourceRecordSets", "NoSuchHostedZone"}},
		{"unknown zone name", r53Attrs("", "nosuch.example.org", "api.example.com", "A", []string{"aws"}, []string{"gcp"}),
			[]string{"no hosted zone named nosuch.example.org."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg := build(c.attrs)
			_, oerr := tg.Observe(ctx)
			_, aerr := tg.Apply(ctx, 5000)
			for _, err := range []error{oerr, aerr} {
				if err == nil {
					t.Fatalf("no error")
				}
				for _, s := range c.want {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
			}
		})
	}
	if diff := cmp.Diff(before, w.moto.RecordSets(t, w.zone), ignoreUnexported); diff != "" {
		t.Errorf("failed calls changed the zone:\n%s", diff)
	}

	// A named set that is not weighted.
	w.moto.UpsertRecordSets(t, w.zone,
		r53types.ResourceRecordSet{Name: aws.String("fo.example.com"), Type: r53types.RRTypeA, SetIdentifier: aws.String("p"),
			Failover: r53types.ResourceRecordSetFailoverPrimary, TTL: aws.Int64(60), HealthCheckId: aws.String(w.hc),
			ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("192.0.2.1")}}},
		r53types.ResourceRecordSet{Name: aws.String("fo.example.com"), Type: r53types.RRTypeA, SetIdentifier: aws.String("s"),
			Failover: r53types.ResourceRecordSetFailoverSecondary, TTL: aws.Int64(60),
			ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("192.0.2.2")}}})
	if _, err := build(r53Attrs(w.zone, "", "fo.example.com", "A", []string{"p"}, []string{"s"})).Observe(ctx); err == nil ||
		!strings.Contains(err.Error(), `record set "p", "s" has no weight`) {
		t.Errorf("failover sets: %v, want a not-weighted error", err)
	}

	// Every named set at weight 0: Observe says why; Apply repairs it.
	a, g := w.named[0], w.named[1]
	a.Weight, g.Weight = aws.Int64(0), aws.Int64(0)
	w.moto.UpsertRecordSets(t, w.zone, a, g)
	tg := w.target(t, pc)
	if _, err := tg.Observe(ctx); err == nil || !strings.Contains(err.Error(), "answers every set of the group equally") {
		t.Errorf("all weights 0: Observe = %v", err)
	}
	if got, err := tg.Apply(ctx, 2500); err != nil || got != 2500 {
		t.Errorf("Apply from all-zero weights = %v, %v", got, err)
	}

	// Bad blocks.
	for _, c := range []struct {
		attrs cty.Value
		want  string
	}{
		{r53Attrs(w.zone, "example.com", "a", "A", []string{"x"}, []string{"y"}), "exactly one of zone_id and zone"},
		{r53Attrs("", "", "a", "A", []string{"x"}, []string{"y"}), "exactly one of zone_id and zone"},
		{r53Attrs(w.zone, "", "a", "A", []string{"x"}, []string{"x"}), `"x" is named twice`},
		{r53Attrs(w.zone, "", "a", "A", nil, []string{"y"}), "primary names no set identifier"},
		{r53Attrs(w.zone, "", "a", "A", []string{strings.Repeat("x", 129)}, []string{"y"}), "longer than 128"},
	} {
		if _, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc, Attrs: c.attrs}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewRoute53Weighted: %v, want %q", err, c.want)
		}
	}
}

// Weighted sets of the same name and type that the policy does not name
// are foreign weight: Observe works on the named sets, Foreign lists the
// others, Apply leaves them alone.
func TestRoute53WeightedForeignSets(t *testing.T) {
	w := newR53World(t)
	legacy := testenv.WeightedA("api.example.com", "legacy", 5, "203.0.113.5")
	w.moto.UpsertRecordSets(t, w.zone, legacy, testenv.WeightedA("api.example.com", "canary", 0, "203.0.113.6"))
	tg := w.target(t, providerBlock(t, w.moto.URL, nil))
	ctx := testCtx(t)
	if got, err := tg.Observe(ctx); err != nil || got != 5000 {
		t.Fatalf("Observe = %v, %v; want 50%% of the named sets", got, err)
	}
	foreign, err := tg.Foreign(ctx)
	if want := []string{`set "canary" (weight 0)`, `set "legacy" (weight 5)`}; err != nil || !cmp.Equal(foreign, want) {
		t.Errorf("Foreign = %q, %v; want %q", foreign, err, want)
	}
	// All named sets at 0: the foreign set takes everything, and the
	// error says so.
	a, g := w.named[0], w.named[1]
	a.Weight, g.Weight = aws.Int64(0), aws.Int64(0)
	w.moto.UpsertRecordSets(t, w.zone, a, g)
	if _, err := tg.Observe(ctx); err == nil || !strings.Contains(err.Error(), "so the 1 weighted sets fbctl does not name take all the traffic") {
		t.Errorf("all named sets at 0 beside foreign weight: %v", err)
	}
	if got, err := tg.Apply(ctx, 10000); err != nil || got != 10000 {
		t.Fatalf("Apply(100%%) = %v, %v", got, err)
	}
	if got := w.weights(t); got["legacy"] != 5 || got["canary"] != 0 || got["aws"] != 255 || got["gcp"] != 0 {
		t.Errorf("weights = %v; the foreign sets must keep theirs", got)
	}
	// No foreign weight: an empty list.
	db, _ := NewRoute53Weighted(providers.Config{Name: "db", Provider: providerBlock(t, w.moto.URL, nil),
		Attrs: r53Attrs(w.zone, "", "db.example.com", "A", []string{"aws"}, []string{"gcp"})})
	if foreign, err := db.Foreign(ctx); err != nil || len(foreign) != 0 {
		t.Errorf("db Foreign = %q, %v; want none", foreign, err)
	}
}

// API economy: targets of one run on the same zone share one
// ListResourceRecordSets walk; an Apply makes one change and one read-back
// walk; an Apply that changes nothing makes no call at all.
func TestRoute53WeightedAPIEconomy(t *testing.T) {
	w := newR53World(t)
	// Enough records that the walk takes two pages (Route 53 and moto
	// return at most 300 a page).
	var many []r53types.ResourceRecordSet
	for i := 0; i < 320; i++ {
		many = append(many, r53types.ResourceRecordSet{Name: aws.String(fmt.Sprintf("h%03d.example.com", i)), Type: r53types.RRTypeA,
			TTL: aws.Int64(60), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("192.0.2.99")}}})
	}
	w.moto.UpsertRecordSets(t, w.zone, many...)
	p := startProxy(t, w.moto.URL)
	pc := providerBlock(t, p.URL, nil)
	api := w.target(t, pc)
	db, err := NewRoute53Weighted(providers.Config{Name: "db", Provider: pc,
		Attrs: r53Attrs("", "example.com", "db.example.com", "A", []string{"aws"}, []string{"gcp"})})
	if err != nil {
		t.Fatal(err)
	}

	run := providers.WithRunCache(testCtx(t))
	var wg sync.WaitGroup
	for _, tg := range []providers.Target{api, db, api, db} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tg.Observe(run); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	observe := p.snapshot()
	t.Logf("observe of 2 targets x2 on one zone: %v", observe)
	if observe["ListResourceRecordSets"] != 2 || observe["ListHostedZonesByName"] != 1 || len(observe) != 2 {
		t.Errorf("observe made %v; want one walk (2 pages) and one zone lookup", observe)
	}

	p.reset()
	if _, err := api.Apply(run, 2500); err != nil {
		t.Fatal(err)
	}
	apply := p.snapshot()
	t.Logf("apply: %v", apply)
	if apply["ChangeResourceRecordSets"] != 1 || apply["ListResourceRecordSets"] != 2 || len(apply) != 2 {
		t.Errorf("apply made %v; want one change and one read-back walk", apply)
	}

	p.reset()
	if got, err := db.Observe(run); err != nil || got != 3333 {
		t.Errorf("db Observe after api's Apply = %v, %v", got, err)
	}
	if got, err := api.Observe(run); err != nil || got != 2500 {
		t.Errorf("api Observe after its Apply = %v, %v", got, err)
	}
	if got, err := api.Apply(run, 2500); err != nil || got != 2500 {
		t.Errorf("repeated Apply = %v, %v", got, err)
	}
	if n := p.total(); n != 0 {
		t.Errorf("observes after the write and a no-op Apply made %d calls (%v), want 0", n, p.snapshot())
	}

	// Without a run cache every Observe walks.
	p.reset()
	api.Observe(testCtx(t))
	api.Observe(testCtx(t))
	if n := p.count("ListResourceRecordSets"); n != 4 {
		t.Errorf("two Observes without a run cache made %d list calls, want 4 (2 walks of 2 pages)", n)
	}
}

func TestRoute53WeightedWait(t *testing.T) {
	w := newR53World(t)
	p := startProxy(t, w.moto.URL)
	tg := w.target(t, providerBlock(t, p.URL, nil), WithPollInterval(time.Millisecond))
	ctx := testCtx(t)

	// Nothing applied yet: nothing to wait for.
	if err := tg.Wait(ctx); err != nil || p.count("GetChange") != 0 {
		t.Fatalf("Wait before any change: %v, %d GetChange", err, p.count("GetChange"))
	}
	// moto answers INSYNC at once; make the first two polls PENDING.
	p.setFault(func(op string, n int) (int, string, bool) {
		if op == "GetChange" && n < 2 {
			return 200, `<?xml version="1.0" encoding="UTF-8"?><GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status><SubmittedAt>2026-01-01T00:00:00Z</SubmittedAt></ChangeInfo></GetChangeResponse>`, true
		}
		return 0, "", false
	})
	if _, err := tg.Apply(ctx, 2500); err != nil {
		t.Fatal(err)
	}
	if err := tg.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if n := p.count("GetChange"); n != 3 {
		t.Errorf("Wait polled %d times, want 3 (PENDING, PENDING, INSYNC)", n)
	}
	// Once INSYNC, there is nothing left to wait for.
	if err := tg.Wait(ctx); err != nil || p.count("GetChange") != 3 {
		t.Errorf("second Wait: %v, %d polls", err, p.count("GetChange"))
	}

	// A change that stays PENDING: Wait gives up at the bound, or when
	// the context ends, and says so.
	p.setFault(func(op string, n int) (int, string, bool) {
		if op == "GetChange" {
			return 200, `<?xml version="1.0"?><GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo><Id>/change/C2</Id><Status>PENDING</Status><SubmittedAt>2026-01-01T00:00:00Z</SubmittedAt></ChangeInfo></GetChangeResponse>`, true
		}
		return 0, "", false
	})
	bounded := w.target(t, providerBlock(t, p.URL, nil), WithPollInterval(time.Millisecond), WithMaxWait(50*time.Millisecond))
	if _, err := bounded.Apply(ctx, 7500); err != nil {
		t.Fatal(err)
	}
	if err := bounded.Wait(ctx); err == nil || !strings.Contains(err.Error(), "is still PENDING after 50ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait on a change that stays PENDING: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := bounded.Wait(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled context: %v", err)
	}
}

// Throttling, PriorRequestNotComplete and 5xx are retried by the SDK
// within MaxAttempts; a change that fails for good changes nothing and
// names the error code.
func TestRoute53WeightedRetries(t *testing.T) {
	w := newR53World(t)
	p := startProxy(t, w.moto.URL)
	tg := w.target(t, providerBlock(t, p.URL, nil))
	ctx := testCtx(t)
	errBody := func(code string) string {
		return `<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>` +
			code + `</Code><Message>injected ` + code + `</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`
	}
	p.setFault(func(op string, n int) (int, string, bool) {
		switch {
		case op == "ListResourceRecordSets" && n == 0:
			return 400, errBody("Throttling"), true
		case op == "ChangeResourceRecordSets" && n == 0:
			return 400, errBody("PriorRequestNotComplete"), true
		case op == "ChangeResourceRecordSets" && n == 1:
			return 503, errBody("ServiceUnavailable"), true
		}
		return 0, "", false
	})
	if got, err := tg.Apply(ctx, 2500); err != nil || got != 2500 {
		t.Fatalf("Apply through faults = %v, %v", got, err)
	}
	if n := p.count("ChangeResourceRecordSets"); n != 3 {
		t.Errorf("ChangeResourceRecordSets attempts = %d, want 3 (PriorRequestNotComplete, 503, success)", n)
	}
	if got := w.weights(t); got["aws"] != 64 || got["gcp"] != 192 {
		t.Errorf("weights = %v, want 64/192", got)
	}

	// InvalidChangeBatch is not retried and changes nothing.
	p.reset()
	p.setFault(func(op string, n int) (int, string, bool) {
		if op == "ChangeResourceRecordSets" {
			return 400, `<?xml version="1.0"?><InvalidChangeBatch xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Messages><Message>injected: Tried to create resource record set but it already exists</Message></Messages><RequestId>r-2</RequestId></InvalidChangeBatch>`, true
		}
		return 0, "", false
	})
	_, err := tg.Apply(ctx, 10000)
	if err == nil || !strings.Contains(err.Error(), "InvalidChangeBatch") || !strings.Contains(err.Error(), "hosted zone "+w.zone) ||
		!strings.Contains(err.Error(), "api.example.com. A") {
		t.Errorf("Apply with a rejected change: %v", err)
	}
	var ce *CallError
	if !errors.As(err, &ce) || ce.Op != "ChangeResourceRecordSets" || ce.Code != "InvalidChangeBatch" || ce.Status != 400 {
		t.Errorf("CallError = %+v", ce)
	}
	if n := p.count("ChangeResourceRecordSets"); n != 1 {
		t.Errorf("InvalidChangeBatch was sent %d times, want 1 (no retry)", n)
	}
	if got := w.weights(t); got["aws"] != 64 || got["gcp"] != 192 {
		t.Errorf("weights after a rejected change = %v, want 64/192 still", got)
	}

	// Throttled beyond the budget: MaxAttempts attempts, then the error.
	p.reset()
	p.setFault(func(op string, n int) (int, string, bool) {
		if op == "ListResourceRecordSets" {
			return 400, errBody("Throttling"), true
		}
		return 0, "", false
	})
	if _, err := tg.Observe(ctx); err == nil || !strings.Contains(err.Error(), "Throttling") {
		t.Errorf("Observe when always throttled: %v", err)
	}
	if n := p.count("ListResourceRecordSets"); n != MaxAttempts {
		t.Errorf("always throttled: %d attempts, want %d", n, MaxAttempts)
	}
}

// A sensitive zone_id never shows in an error.
func TestRoute53WeightedHidesSensitiveValues(t *testing.T) {
	w := newR53World(t)
	pc := providerBlock(t, w.moto.URL, nil)
	attrs := r53Attrs("ZSECRETZONE", "", "api.example.com", "A", []string{"aws"}, []string{"gcp"})
	m := attrs.AsValueMap()
	m["zone_id"] = m["zone_id"].Mark("sensitive")
	tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc, Attrs: cty.ObjectVal(m)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tg.Observe(testCtx(t))
	if err == nil || strings.Contains(err.Error(), "ZSECRETZONE") || !strings.Contains(err.Error(), "(sensitive value)") {
		t.Errorf("error = %v; want the zone hidden", err)
	}
}

func TestNormName(t *testing.T) {
	for in, want := range map[string]string{
		"API.example.com.":       "api.example.com",
		"api.example.com":        "api.example.com",
		`\052.example.com.`:      "*.example.com",
		`a\\b.example.com`:       `a\\b.example.com`,
		`\999.example.com`:       `\999.example.com`,
		"":                       "",
		`trailing\05`:            `trailing\05`,
		`x\101\102.Example.COM.`: "xab.example.com",
	} {
		if got := normName(in); got != want {
			t.Errorf("normName(%q) = %q, want %q", in, got, want)
		}
	}
}
