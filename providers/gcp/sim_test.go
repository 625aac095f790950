package gcp

// The gcp_url_map and gcp_backend_capacity targets against fbctl's own
// Compute emulator (internal/sim/gcp), through the real REST clients: the
// conformance suite, the concurrent writer, and Stage's batching.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/fbctl/fbctl/internal/sim/fault"
	gcpsim "github.com/fbctl/fbctl/internal/sim/gcp"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

// steeredRoute names one conformance target's route.
type steeredRoute struct {
	region, urlMap, matcher string
	rule                    int
	primary, secondary      []string // as the policy writes them
	named                   []string // service names, both sides
}

func (r steeredRoute) list(st simState) []*computepb.WeightedBackendService {
	return routeList(st.Maps[r.region+"/"+r.urlMap], r.matcher, r.rule)
}

func (r steeredRoute) isNamed(svc string) bool {
	for _, n := range r.named {
		if strings.HasSuffix(svc, "/"+n) {
			return true
		}
	}
	return false
}

func TestSimURLMapConformance(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 1, PendingPolls: 1})
	for _, r := range []steeredRoute{
		{urlMap: "lb", rule: -1, primary: []string{"bs-aws"}, secondary: []string{"bs-gcp"}, named: []string{"bs-aws", "bs-gcp"}},
		{region: simRegion, urlMap: "rlb", rule: -1, primary: []string{"r-aws"},
			secondary: []string{w.srv.BackendServiceURL(simRegion, "r-gcp")}, named: []string{"r-aws", "r-gcp"}},
		{urlMap: "lb", matcher: "api", rule: 10, primary: []string{w.srv.BackendServiceURL("", "bs-aws")},
			secondary: []string{"global/backendServices/bs-gcp"}, named: []string{"bs-aws", "bs-gcp"}},
		{urlMap: "lb", matcher: "api", rule: -1, primary: []string{"projects/" + simProject + "/global/backendServices/bs-aws"},
			secondary: []string{"bs-gcp"}, named: []string{"bs-aws", "bs-gcp"}},
	} {
		name := fmt.Sprintf("%s/%s/%s/%d", location(r.region), r.urlMap, r.matcher, r.rule)
		t.Run(name, func(t *testing.T) {
			pc := providerBlock(t, w.url)
			providertest.Conformance(t, providertest.Harness{
				New: func(t *testing.T) providers.Target {
					tg, err := NewURLMap(providers.Config{Name: "lb", Provider: pc,
						Attrs: urlMapAttrs(r.urlMap, r.region, r.matcher, r.rule, r.primary, r.secondary)}, testOpts...)
					if err != nil {
						t.Fatal(err)
					}
					return tg
				},
				Reset: func(t *testing.T) { w.reset(t) },
				Snapshot: func(t *testing.T) any {
					st := w.state(t)
					for _, e := range r.list(st) {
						if r.isNamed(e.GetBackendService()) {
							e.Weight = nil
						}
					}
					return st
				},
				Owned: func(t *testing.T) any {
					out := map[string]uint32{}
					for _, e := range r.list(w.state(t)) {
						if r.isNamed(e.GetBackendService()) {
							out[e.GetBackendService()] = e.GetWeight()
						}
					}
					return out
				},
				CmpOptions: protoCmp,
			})
		})
	}
}

func TestSimBackendCapacityConformance(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 2, PendingPolls: 1})
	for _, c := range []struct {
		region, service    string
		primary, secondary []string
		named              []string
	}{
		{"", "pool", []string{"us-east1-b/ig-aws"}, []string{w.group("us-central1-a", "instanceGroups", "ig-gcp")}, []string{"ig-aws", "ig-gcp"}},
		{simRegion, "r-pool", []string{"zones/us-central1-b/instanceGroups/r-ig-aws"}, []string{"us-central1-c/r-ig-gcp"}, []string{"r-ig-aws", "r-ig-gcp"}},
	} {
		t.Run(location(c.region)+"/"+c.service, func(t *testing.T) {
			pc := providerBlock(t, w.url)
			named := func(g string) bool {
				for _, n := range c.named {
					if strings.HasSuffix(g, "/"+n) {
						return true
					}
				}
				return false
			}
			providertest.Conformance(t, providertest.Harness{
				New: func(t *testing.T) providers.Target {
					tg, err := NewBackendCapacity(providers.Config{Name: "cap", Provider: pc,
						Attrs: capacityAttrs(c.service, c.region, c.primary, c.secondary)}, testOpts...)
					if err != nil {
						t.Fatal(err)
					}
					return tg
				},
				Reset: func(t *testing.T) { w.reset(t) },
				Snapshot: func(t *testing.T) any {
					st := w.state(t)
					for _, b := range st.Services[c.region+"/"+c.service].GetBackends() {
						if named(b.GetGroup()) {
							b.CapacityScaler = nil
						}
					}
					return st
				},
				Owned: func(t *testing.T) any {
					return scalersOf(w.state(t).Services[c.region+"/"+c.service])
				},
				CmpOptions: protoCmp,
			})
		})
	}
}

// The route rule's foreign service is reported, keeps its weight, and
// the share counts the named services only.
func TestSimURLMapForeign(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 3})
	tg, err := NewURLMap(providers.Config{Name: "v2", Provider: providerBlock(t, w.url),
		Attrs: urlMapAttrs("lb", "", "api", 10, []string{"bs-aws"}, []string{"bs-gcp"})}, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	f, err := tg.Foreign(ctx)
	want := []string{"backend service " + w.srv.BackendServiceURL("", "bs-legacy") + " (weight 100)"}
	if err != nil || !cmp.Equal(f, want) {
		t.Errorf("Foreign = %q, %v; want %q", f, err, want)
	}
	got, err := tg.Apply(ctx, 2500)
	if err != nil || got != 2500 {
		t.Fatalf("Apply(25%%) = %v, %v", got, err)
	}
	ws := weightsOf(routeList(w.state(t).Maps["/lb"], "api", 10))
	if ws["bs-legacy"] != 100 || ws["bs-aws"] != 250 || ws["bs-gcp"] != 750 {
		t.Errorf("weights after Apply(25%%) = %v; want bs-aws 250, bs-gcp 750 and bs-legacy untouched at 100", ws)
	}
	var ap providers.Approximate = &BackendCapacity{}
	if !strings.Contains(ap.Approximation(), "not an exact traffic split") {
		t.Errorf("Approximation = %q", ap.Approximation())
	}
}

// Another writer changes the map between fbctl's read and its PATCH: the
// PATCH gets 412, fbctl reads again and redoes its change, and the other
// writer's change survives.
func TestSimConcurrentWriter(t *testing.T) {
	for _, kind := range []string{"urlMaps", "backendServices"} {
		t.Run(kind, func(t *testing.T) {
			w := newSimWorld(t, gcpsim.Options{Seed: 4})
			pc := providerBlock(t, w.url)
			var tg providers.Target
			var err error
			if kind == "urlMaps" {
				tg, err = NewURLMap(providers.Config{Name: "lb", Provider: pc,
					Attrs: urlMapAttrs("lb", "", "", -1, []string{"bs-aws"}, []string{"bs-gcp"})}, testOpts...)
				// The other writer edits the description and another
				// path matcher's route: fields fbctl sends back whole.
				w.srv.InterleaveWrite("urlMaps", "", "lb", 1, func(m proto.Message) {
					um := m.(*computepb.UrlMap)
					um.Description = proto.String("edited by someone else")
					um.PathMatchers[0].DefaultRouteAction.WeightedBackendServices[0].Weight = proto.Uint32(7)
				})
			} else {
				tg, err = NewBackendCapacity(providers.Config{Name: "cap", Provider: pc,
					Attrs: capacityAttrs("pool", "", []string{"us-east1-b/ig-aws"}, []string{"us-central1-a/ig-gcp"})}, testOpts...)
				w.srv.InterleaveWrite("backendServices", "", "pool", 1, func(m proto.Message) {
					bs := m.(*computepb.BackendService)
					bs.Description = proto.String("edited by someone else")
					bs.Backends[2].CapacityScaler = proto.Float32(0.7)
				})
			}
			if err != nil {
				t.Fatal(err)
			}
			w.srv.ResetCalls()
			got, err := tg.Apply(testCtx(t), 5000)
			if err != nil || got != 5000 {
				t.Fatalf("Apply(50%%) = %v, %v; want it to re-read after the 412 and converge", got, err)
			}
			st := w.state(t)
			if kind == "urlMaps" {
				m := st.Maps["/lb"]
				if m.GetDescription() != "edited by someone else" || weightsOf(routeList(m, "api", -1))["bs-aws"] != 7 {
					t.Errorf("the other writer's change was lost: description %q, api default route %v", m.GetDescription(), weightsOf(routeList(m, "api", -1)))
				}
			} else {
				bs := st.Services["/pool"]
				if bs.GetDescription() != "edited by someone else" || scalersOf(bs)["neg-edge"] != 0.7 {
					t.Errorf("the other writer's change was lost: description %q, scalers %v", bs.GetDescription(), scalersOf(bs))
				}
			}
			calls := w.srv.Calls()
			patch := strings.TrimSuffix(kind, "s")
			_ = patch
			if calls[kind+".patch"] != 2 {
				t.Errorf("%s.patch calls = %d, want 2 (the 412 and the retry): %v", kind, calls[kind+".patch"], calls)
			}
		})
	}
}

// A writer that always comes in between: fbctl gives up after
// MaxConflicts attempts with a clear, Fatal error, and changes nothing.
func TestSimConflictsExhausted(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 5})
	for n := 1; n <= MaxConflicts; n++ {
		w.srv.InterleaveWrite("urlMaps", "", "lb", n, func(m proto.Message) {
			m.(*computepb.UrlMap).Description = proto.String(fmt.Sprintf("edit %d", n))
		})
	}
	tg, err := NewURLMap(providers.Config{Name: "lb", Provider: providerBlock(t, w.url),
		Attrs: urlMapAttrs("lb", "", "", -1, []string{"bs-aws"}, []string{"bs-gcp"})}, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	before := weightsOf(routeList(w.state(t).Maps["/lb"], "", -1))
	_, err = tg.Apply(testCtx(t), 5000)
	if err == nil || !strings.Contains(err.Error(), "412 conditionNotMet") || !strings.Contains(err.Error(), "gave up after 5 attempts") {
		t.Fatalf("Apply = %v; want a give-up error after %d conflicts", err, MaxConflicts)
	}
	if c := providers.Classify(err); c != providers.Fatal {
		t.Errorf("a 412 that outlasted the re-reads is %v, want Fatal", c)
	}
	if after := weightsOf(routeList(w.state(t).Maps["/lb"], "", -1)); !cmp.Equal(before, after) {
		t.Errorf("weights moved from %v to %v", before, after)
	}
}

// ---- Stage ----

// batchWorld adds n path matchers to URL map lb, each with a default
// route [bs-aws 0, bs-gcp 1000] and a route rule (priority 100)
// [bs-aws 0, bs-gcp 1000], and returns gcp_url_map targets for them,
// alternating between matcher default routes and route rules.
func batchWorld(t testing.TB, w *simWorld, urlMap string, n int, pc *providers.ProviderConfig) []*URLMap {
	t.Helper()
	m, err := w.srv.URLMap("", "lb")
	if err != nil {
		t.Fatal(err)
	}
	m.Name = proto.String(urlMap)
	m.Fingerprint = nil
	split := func() *computepb.HttpRouteAction {
		return &computepb.HttpRouteAction{WeightedBackendServices: []*computepb.WeightedBackendService{
			{BackendService: proto.String(w.srv.BackendServiceURL("", "bs-aws")), Weight: proto.Uint32(0)},
			{BackendService: proto.String(w.srv.BackendServiceURL("", "bs-gcp")), Weight: proto.Uint32(1000)},
		}}
	}
	var tgs []*URLMap
	for i := 0; i < (n+1)/2; i++ {
		pm := fmt.Sprintf("svc%d", i)
		m.HostRules = append(m.HostRules, &computepb.HostRule{Hosts: []string{pm + ".example.com"}, PathMatcher: proto.String(pm)})
		m.PathMatchers = append(m.PathMatchers, &computepb.PathMatcher{Name: proto.String(pm), DefaultRouteAction: split(),
			RouteRules: []*computepb.HttpRouteRule{{Priority: proto.Int32(100),
				MatchRules: []*computepb.HttpRouteRuleMatch{{PrefixMatch: proto.String("/canary/")}}, RouteAction: split()}}})
		for _, rule := range []int{-1, 100} {
			if len(tgs) == n {
				break
			}
			tg, err := NewURLMap(providers.Config{Name: fmt.Sprintf("%s-%s-%d", urlMap, pm, rule), Provider: pc,
				Attrs: urlMapAttrs(urlMap, "", pm, rule, []string{"bs-aws"}, []string{"bs-gcp"})}, testOpts...)
			if err != nil {
				t.Fatal(err)
			}
			tgs = append(tgs, tg)
		}
	}
	if err := w.srv.PutURLMap("", m); err != nil {
		t.Fatal(err)
	}
	return tgs
}

// N targets on one map staged in one run: one read, one PATCH, one
// read-back, whatever N.
func TestSimStageBatchesOneWritePerMap(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 6, PendingPolls: 2})
	pc := providerBlock(t, w.url)
	const n = 20
	tgs := batchWorld(t, w, "lb-batch", n, pc)
	other := w.state(t).Maps["/lb"]

	w.srv.ResetCalls()
	ctx := providers.WithRunCache(testCtx(t))
	var pendings []providers.Pending
	for i, tg := range tgs {
		p, err := tg.Stage(ctx, providers.Share(100*(i+1)))
		if err != nil {
			t.Fatalf("Stage %d: %v", i, err)
		}
		pendings = append(pendings, p)
	}
	if c := w.srv.Calls(); c["urlMaps.patch"] != 0 || c["urlMaps.get"] != 1 {
		t.Fatalf("staging made calls %v; want one read and no write", c)
	}
	if err := providers.FlushRun(ctx); err != nil {
		t.Fatalf("FlushRun: %v", err)
	}
	// Every Pending reads back, concurrently, through one shared read.
	var wg sync.WaitGroup
	got := make([]providers.Share, n)
	errs := make([]error, n)
	for i, p := range pendings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = p.Wait(ctx)
		}()
	}
	wg.Wait()
	for i := range pendings {
		if errs[i] != nil || got[i] != providers.Share(100*(i+1)) {
			t.Errorf("Pending %d = %v, %v; want %v", i, got[i], errs[i], providers.Share(100*(i+1)))
		}
	}
	calls := w.srv.Calls()
	t.Logf("calls for %d staged targets: %v", n, calls)
	if calls["urlMaps.get"] != 2 || calls["urlMaps.patch"] != 1 || calls["globalOperations.get"] != 3 || total(calls) != 6 {
		t.Errorf("calls = %v; want exactly 1 urlMaps.get + 1 urlMaps.patch + 3 operation polls (PendingPolls 2) + 1 read-back", calls)
	}
	if diff := cmp.Diff(other, w.state(t).Maps["/lb"], protoCmp...); diff != "" {
		t.Errorf("another URL map changed:\n%s", diff)
	}
	// The engine reads back after the Pendings: still the run's read.
	for _, tg := range tgs {
		if _, err := tg.Observe(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if c := w.srv.Calls(); c["urlMaps.get"] != 2 {
		t.Errorf("Observe after the flush read again: %v", c)
	}
}

// A 412 at the flush: one re-read, every staged change re-applied, one
// more PATCH; the other writer's change survives.
func TestSimStageConflictRetries(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 7})
	pc := providerBlock(t, w.url)
	tgs := batchWorld(t, w, "lb-batch", 6, pc)
	w.srv.InterleaveWrite("urlMaps", "", "lb-batch", 1, func(m proto.Message) {
		m.(*computepb.UrlMap).Description = proto.String("someone else")
	})
	w.srv.ResetCalls()
	ctx := providers.WithRunCache(testCtx(t))
	var ps []providers.Pending
	for _, tg := range tgs {
		p, err := tg.Stage(ctx, 5000)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if err := providers.FlushRun(ctx); err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		if got, err := p.Wait(ctx); err != nil || got != 5000 {
			t.Errorf("Pending %d = %v, %v", i, got, err)
		}
	}
	m, _ := w.srv.URLMap("", "lb-batch")
	if m.GetDescription() != "someone else" {
		t.Errorf("the other writer's description was lost: %q", m.GetDescription())
	}
	if c := w.srv.Calls(); c["urlMaps.patch"] != 2 || c["urlMaps.get"] != 3 {
		t.Errorf("calls = %v; want 2 PATCHes (412, then the retry) and 3 reads (stage, re-read, read-back)", c)
	}
}

// Two stagings of one run that set one route differently both fail, and
// nothing is written for them; an independent staging on the same map
// goes through.
func TestSimStageConflictingStagings(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 8})
	pc := providerBlock(t, w.url)
	tgs := batchWorld(t, w, "lb-batch", 2, pc)
	twin, err := NewURLMap(providers.Config{Name: "twin", Provider: pc,
		Attrs: urlMapAttrs("lb-batch", "", "svc0", -1, []string{"bs-aws"}, []string{"bs-gcp"})}, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := providers.WithRunCache(testCtx(t))
	p0, err0 := tgs[0].Stage(ctx, 2500)
	p1, err1 := twin.Stage(ctx, 7500)
	p2, err2 := tgs[1].Stage(ctx, 5000)
	if err0 != nil || err1 != nil || err2 != nil {
		t.Fatal(err0, err1, err2)
	}
	_ = providers.FlushRun(ctx)
	for _, p := range []providers.Pending{p0, p1} {
		if _, err := p.Wait(ctx); err == nil || !strings.Contains(err.Error(), "different weights in one run") {
			t.Errorf("conflicting staging: Wait = %v", err)
		}
	}
	if got, err := p2.Wait(ctx); err != nil || got != 5000 {
		t.Errorf("independent staging: Wait = %v, %v", got, err)
	}
	m, _ := w.srv.URLMap("", "lb-batch")
	if ws := weightsOf(routeList(m, "svc0", -1)); ws["bs-aws"] != 0 || ws["bs-gcp"] != 1000 {
		t.Errorf("the conflicting route changed: %v", ws)
	}
}

// Without a run cache, Stage falls back to Apply at Wait.
func TestSimStageWithoutRun(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 9})
	tg, err := NewURLMap(providers.Config{Name: "lb", Provider: providerBlock(t, w.url),
		Attrs: urlMapAttrs("lb", "", "", -1, []string{"bs-aws"}, []string{"bs-gcp"})}, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tg.Stage(context.Background(), 5000)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p.Wait(testCtx(t)); err != nil || got != 5000 {
		t.Errorf("Wait = %v, %v", got, err)
	}
}

// TestSimStageOperationErrorIsUncertain: a batch whose PATCH Compute
// accepted but whose operation ended in error may have taken effect in
// part (Compute says so): the Pendings report a providers.UncertainError,
// so that the engine puts the target back instead of trusting that
// nothing changed.
func TestSimStageOperationErrorIsUncertain(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 7})
	pc := providerBlock(t, w.url)
	tgs := batchWorld(t, w, "lb-batch", 2, pc)
	w.srv.FailOperations(1, 500, "backend error")
	ctx := providers.WithRunCache(testCtx(t))
	var ps []providers.Pending
	for _, tg := range tgs {
		p, err := tg.Stage(ctx, 5000)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if err := providers.FlushRun(ctx); err == nil {
		t.Fatal("FlushRun: no error")
	}
	for i, p := range ps {
		_, err := p.Wait(ctx)
		var unc *providers.UncertainError
		if !errors.As(err, &unc) {
			t.Errorf("Pending %d: %v (%T), want a providers.UncertainError", i, err, err)
		}
	}
}

// TestSimStageRefusedIsNotUncertain: a PATCH Compute refused changed
// nothing: a plain error, and the engine leaves the target alone.
func TestSimStageRefusedIsNotUncertain(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 7})
	pc := providerBlock(t, w.url)
	tgs := batchWorld(t, w, "lb-batch", 1, pc)
	w.srv.Faults().Add(fault.Rule{Op: "urlMaps.patch", Kind: fault.ServerError, Rate: 1})
	ctx := providers.WithRunCache(testCtx(t))
	p, err := tgs[0].Stage(ctx, 5000)
	if err != nil {
		t.Fatal(err)
	}
	_ = providers.FlushRun(ctx)
	_, err = p.Wait(ctx)
	var unc *providers.UncertainError
	if err == nil || errors.As(err, &unc) {
		t.Errorf("Pending: %v, want a plain error", err)
	}
}
