package gcpsim

import (
	"context"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

func TestFingerprintPreconditions(t *testing.T) {
	s, d, c := start(t, Options{})
	ctx := context.Background()
	m := getURLMap(t, c, s.Project(), d.URLMap)

	missing := setWeights(m, 500, 500)
	missing.Fingerprint = nil
	_, err := patchURLMap(ctx, c, s.Project(), d.URLMap, missing)
	g := wantAPIError(t, err, 412, "conditionNotMet")
	if g.Message != "Invalid fingerprint." || !strings.Contains(g.Body, `"domain": "global"`) {
		t.Fatalf("412 body: %+v", g)
	}

	op, err := patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, 500, 500))
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// m's fingerprint is now stale.
	_, err = patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, 1000, 0))
	wantAPIError(t, err, 412, "conditionNotMet")
	got, _ := s.URLMap("", d.URLMap)
	if w := got.GetDefaultRouteAction().GetWeightedBackendServices(); w[0].GetWeight() != 500 {
		t.Fatalf("stale PATCH applied: %v", w)
	}

	bs := getBS(t, c, s.Project(), d.CapacityService)
	bs.Fingerprint = proto.String("AAAAAAAAAAA=")
	_, err = patchBS(ctx, c, s.Project(), d.CapacityService, bs)
	wantAPIError(t, err, 412, "conditionNotMet")
}

// TestMergePatch: members the body leaves out are kept, nested objects
// merge, lists are replaced whole.
func TestMergePatch(t *testing.T) {
	s, d, c := start(t, Options{})
	ctx := context.Background()
	m, _ := s.URLMap("", d.URLMap)
	m.DefaultRouteAction.Timeout = &computepb.Duration{Seconds: proto.Int64(15)}
	if err := s.PutURLMap("", m); err != nil {
		t.Fatal(err)
	}
	before := getURLMap(t, c, s.Project(), d.URLMap)

	body := &computepb.UrlMap{
		Fingerprint: before.Fingerprint,
		DefaultRouteAction: &computepb.HttpRouteAction{WeightedBackendServices: []*computepb.WeightedBackendService{
			{BackendService: proto.String("global/backendServices/checkout-gcp"), Weight: proto.Uint32(7)},
		}},
	}
	op, err := patchURLMap(ctx, c, s.Project(), d.URLMap, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	after := getURLMap(t, c, s.Project(), d.URLMap)
	want := proto.Clone(before).(*computepb.UrlMap)
	want.Fingerprint = after.Fingerprint
	want.DefaultRouteAction.WeightedBackendServices = []*computepb.WeightedBackendService{
		{BackendService: proto.String(d.SecondaryService), Weight: proto.Uint32(7)}, // stored as a full URL
	}
	if diff := cmp.Diff(want, after, protocmp.Transform()); diff != "" {
		t.Fatalf("merge patch:\n%s", diff)
	}

	bsBefore := getBS(t, c, s.Project(), d.CapacityService)
	op, err = patchBS(ctx, c, s.Project(), d.CapacityService, &computepb.BackendService{
		Fingerprint: bsBefore.Fingerprint,
		Backends:    []*computepb.Backend{{Group: proto.String(d.SecondaryGroup), CapacityScaler: proto.Float32(1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	bsAfter := getBS(t, c, s.Project(), d.CapacityService)
	if len(bsAfter.GetBackends()) != 1 || bsAfter.GetBackends()[0].BalancingMode != nil {
		t.Fatalf("backends not replaced whole: %v", bsAfter.GetBackends())
	}
	if bsAfter.GetProtocol() != bsBefore.GetProtocol() || bsAfter.GetTimeoutSec() != bsBefore.GetTimeoutSec() ||
		bsAfter.GetLoadBalancingScheme() != bsBefore.GetLoadBalancingScheme() || bsAfter.GetId() != bsBefore.GetId() {
		t.Fatalf("other members lost: %v", bsAfter)
	}
}

// TestServerFieldsKept: the body cannot rename or relink a resource.
func TestServerFieldsKept(t *testing.T) {
	s, d, c := start(t, Options{})
	ctx := context.Background()
	m := getURLMap(t, c, s.Project(), d.URLMap)
	body := setWeights(m, 1, 2)
	body.Name, body.SelfLink, body.Id, body.Kind = proto.String("other"), proto.String("x"), proto.Uint64(1), proto.String("k")
	op, err := patchURLMap(ctx, c, s.Project(), d.URLMap, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	after := getURLMap(t, c, s.Project(), d.URLMap)
	if after.GetName() != m.GetName() || after.GetSelfLink() != m.GetSelfLink() || after.GetId() != m.GetId() || after.GetKind() != m.GetKind() {
		t.Fatalf("server fields changed: %v", after)
	}
}

func TestValidation(t *testing.T) {
	type urlMapCase struct {
		name   string
		edit   func(s *Server, m *computepb.UrlMap)
		reason string
		msg    string
	}
	wbs := func(m *computepb.UrlMap) []*computepb.WeightedBackendService {
		return m.DefaultRouteAction.WeightedBackendServices
	}
	for _, tc := range []urlMapCase{
		{"weight over 1000", func(_ *Server, m *computepb.UrlMap) { wbs(m)[1].Weight = proto.Uint32(1001) },
			"invalid", "resource.defaultRouteAction.weightedBackendServices[1].weight"},
		{"all weights zero", func(_ *Server, m *computepb.UrlMap) { wbs(m)[1].Weight = proto.Uint32(0) },
			"invalid", "at least one weight must be non-zero"},
		{"weight missing", func(_ *Server, m *computepb.UrlMap) { wbs(m)[0].Weight = nil },
			"required", "resource.defaultRouteAction.weightedBackendServices[0].weight"},
		{"defaultService and weighted", func(s *Server, m *computepb.UrlMap) {
			m.DefaultService = proto.String(s.BackendServiceURL("", "static-assets"))
		}, "invalid", "only one of defaultService"},
		{"path matcher service and redirect", func(_ *Server, m *computepb.UrlMap) {
			m.PathMatchers[0].DefaultUrlRedirect = &computepb.HttpRedirectAction{HostRedirect: proto.String("example.com")}
		}, "invalid", "resource.pathMatchers[0]': only one of"},
		{"unknown backend service", func(_ *Server, m *computepb.UrlMap) {
			wbs(m)[0].BackendService = proto.String("global/backendServices/nope")
		}, "invalid", "projects/demo-project/global/backendServices/nope' was not found"},
		{"regional service in a global map", func(s *Server, m *computepb.UrlMap) {
			wbs(m)[0].BackendService = proto.String(s.BackendServiceURL("us-central1", "regional-bs"))
		}, "invalid", "A global URL map can only reference global backend services"},
		{"bare name", func(_ *Server, m *computepb.UrlMap) { m.PathMatchers[0].DefaultService = proto.String("static-assets") },
			"invalid", "resource.pathMatchers[0].defaultService': 'static-assets'. The URL is malformed"},
		{"other project", func(_ *Server, m *computepb.UrlMap) {
			wbs(m)[0].BackendService = proto.String("projects/elsewhere/global/backendServices/checkout-aws")
		}, "invalid", "projects/elsewhere"},
		{"unknown path matcher", func(_ *Server, m *computepb.UrlMap) { m.HostRules[0].PathMatcher = proto.String("nope") },
			"invalid", "resource.hostRules[0].pathMatcher"},
		{"duplicate path matcher", func(_ *Server, m *computepb.UrlMap) {
			m.PathMatchers = append(m.PathMatchers, proto.Clone(m.PathMatchers[0]).(*computepb.PathMatcher))
		}, "invalid", "Duplicate path matcher"},
		{"backend bucket", func(_ *Server, m *computepb.UrlMap) {
			m.PathMatchers[0].DefaultService = proto.String("global/backendBuckets/assets")
		}, "invalid", "Must reference a backend service"},
	} {
		t.Run("urlMap/"+tc.name, func(t *testing.T) {
			s, d, c := start(t, Options{})
			if err := s.PutBackendService("us-central1", &computepb.BackendService{Name: proto.String("regional-bs")}); err != nil {
				t.Fatal(err)
			}
			m := getURLMap(t, c, s.Project(), d.URLMap)
			body := proto.Clone(m).(*computepb.UrlMap)
			tc.edit(s, body)
			_, err := patchURLMap(context.Background(), c, s.Project(), d.URLMap, body)
			g := wantAPIError(t, err, 400, tc.reason)
			if !strings.Contains(g.Message, tc.msg) {
				t.Fatalf("message %q lacks %q", g.Message, tc.msg)
			}
			if after := getURLMap(t, c, s.Project(), d.URLMap); !proto.Equal(after, m) {
				t.Fatal("a refused PATCH changed the URL map")
			}
			// Put refuses the same.
			if err := s.PutURLMap("", body); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("PutURLMap: %v", err)
			}
		})
	}

	for _, tc := range []struct {
		name    string
		service string
		edit    func(s *Server, d *Demo, bs *computepb.BackendService)
		reason  string
		msg     string
	}{
		{"scaler below 0.1", "checkout-pool", func(_ *Server, _ *Demo, bs *computepb.BackendService) {
			bs.Backends[0].CapacityScaler = proto.Float32(0.05)
		}, "invalid", "resource.backends[0].capacityScaler': '0.05'"},
		{"scaler above 1", "checkout-pool", func(_ *Server, _ *Demo, bs *computepb.BackendService) {
			bs.Backends[1].CapacityScaler = proto.Float32(1.5)
		}, "invalid", "resource.backends[1].capacityScaler': '1.5'"},
		{"scaler 0 on a single backend", "checkout-gcp", func(_ *Server, _ *Demo, bs *computepb.BackendService) {
			bs.Backends[0].CapacityScaler = proto.Float32(0)
		}, "invalid", "single backend"},
		{"duplicate group", "checkout-pool", func(_ *Server, d *Demo, bs *computepb.BackendService) {
			// The same group, once as a partial path.
			bs.Backends[1].Group = proto.String(strings.TrimPrefix(d.PrimaryGroup, linkPrefix))
		}, "invalid", "resource.backends[1].group"},
		{"malformed group", "checkout-pool", func(_ *Server, _ *Demo, bs *computepb.BackendService) {
			bs.Backends[1].Group = proto.String("zones/us-central1-a/instances/vm-1")
		}, "invalid", "malformed"},
		{"missing group", "checkout-pool", func(_ *Server, _ *Demo, bs *computepb.BackendService) {
			bs.Backends[1].Group = nil
		}, "required", "resource.backends[1].group"},
	} {
		t.Run("backendService/"+tc.name, func(t *testing.T) {
			s, d, c := start(t, Options{})
			bs := getBS(t, c, s.Project(), tc.service)
			body := proto.Clone(bs).(*computepb.BackendService)
			tc.edit(s, d, body)
			_, err := patchBS(context.Background(), c, s.Project(), tc.service, body)
			g := wantAPIError(t, err, 400, tc.reason)
			if !strings.Contains(g.Message, tc.msg) {
				t.Fatalf("message %q lacks %q", g.Message, tc.msg)
			}
			if after := getBS(t, c, s.Project(), tc.service); !proto.Equal(after, bs) {
				t.Fatal("a refused PATCH changed the backend service")
			}
			if err := s.PutBackendService("", body); err == nil {
				t.Fatal("PutBackendService accepted it")
			}
		})
	}

	// The bounds themselves are accepted.
	s, d, c := start(t, Options{})
	for _, v := range []float32{0.1, 1.0, 0} {
		bs := getBS(t, c, s.Project(), d.CapacityService)
		bs.Backends[0].CapacityScaler = proto.Float32(v)
		op, err := patchBS(context.Background(), c, s.Project(), d.CapacityService, bs)
		if err != nil {
			t.Fatalf("capacityScaler %v: %v", v, err)
		}
		if err := op.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	m := getURLMap(t, c, s.Project(), d.URLMap)
	if _, err := patchURLMap(context.Background(), c, s.Project(), d.URLMap, setWeights(m, 0, 1000)); err != nil {
		t.Fatal(err)
	}
}

func TestPutRequiresReferencedServices(t *testing.T) {
	s := New(Options{})
	err := s.PutURLMap("", &computepb.UrlMap{Name: proto.String("m"), DefaultService: proto.String("global/backendServices/missing")})
	if err == nil || !strings.Contains(err.Error(), "was not found") {
		t.Fatalf("PutURLMap: %v", err)
	}
	if err := s.PutBackendService("", &computepb.BackendService{Name: proto.String("Bad_Name")}); err == nil {
		t.Fatal("PutBackendService accepted an invalid name")
	}
	if _, err := s.URLMap("", "m"); err == nil {
		t.Fatal("a refused Put stored the URL map")
	}
}

// TestRegional: regional URL maps and backend services, their scope rule
// and their operations (polled through regions/{r}/operations).
func TestRegional(t *testing.T) {
	s, _, c := start(t, Options{PendingPolls: 1})
	ctx := context.Background()
	const r = "us-central1"
	for _, n := range []string{"r-aws", "r-gcp"} {
		if err := s.PutBackendService(r, &computepb.BackendService{Name: proto.String(n), Backends: []*computepb.Backend{
			{Group: proto.String(s.GroupURL("us-central1-a", "instanceGroups", "ig-"+n))},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutURLMap(r, &computepb.UrlMap{Name: proto.String("r-lb"), DefaultRouteAction: &computepb.HttpRouteAction{
		WeightedBackendServices: []*computepb.WeightedBackendService{
			{BackendService: proto.String("regions/us-central1/backendServices/r-aws"), Weight: proto.Uint32(0)},
			{BackendService: proto.String(s.BackendServiceURL(r, "r-gcp")), Weight: proto.Uint32(100)},
		}}}); err != nil {
		t.Fatal(err)
	}
	m, err := c.regionURLMaps.Get(ctx, &computepb.GetRegionUrlMapRequest{Project: s.Project(), Region: r, UrlMap: "r-lb"})
	if err != nil {
		t.Fatal(err)
	}
	if m.GetRegion() != linkPrefix+s.Project()+"/regions/"+r || m.GetSelfLink() != s.URLMapURL(r, "r-lb") {
		t.Fatalf("regional fields: %v", m)
	}
	// A global backend service in a regional map, or one of another region.
	for _, ref := range []string{s.BackendServiceURL("", "checkout-gcp"), "regions/europe-west1/backendServices/r-gcp"} {
		body := setWeights(m, 50, 50)
		body.DefaultRouteAction.WeightedBackendServices[0].BackendService = proto.String(ref)
		_, err = c.regionURLMaps.Patch(ctx, &computepb.PatchRegionUrlMapRequest{Project: s.Project(), Region: r, UrlMap: "r-lb", UrlMapResource: body})
		g := wantAPIError(t, err, 400, "invalid")
		if !strings.Contains(g.Message, "region us-central1") {
			t.Fatalf("message: %s", g.Message)
		}
	}
	op, err := c.regionURLMaps.Patch(ctx, &computepb.PatchRegionUrlMapRequest{Project: s.Project(), Region: r, UrlMap: "r-lb", UrlMapResource: setWeights(m, 50, 50)})
	if err != nil {
		t.Fatal(err)
	}
	if op.Proto().GetRegion() == "" || !strings.Contains(op.Proto().GetSelfLink(), "/regions/us-central1/operations/") {
		t.Fatalf("regional operation: %v", op.Proto())
	}
	for i := 0; !op.Done(); i++ {
		if i > 2 {
			t.Fatal("operation never DONE")
		}
		if err := op.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Calls()["regionOperations.get"]; n != 2 {
		t.Fatalf("calls: %v", s.Calls())
	}

	bs, err := c.regionBS.Get(ctx, &computepb.GetRegionBackendServiceRequest{Project: s.Project(), Region: r, BackendService: "r-aws"})
	if err != nil {
		t.Fatal(err)
	}
	bs.Description = proto.String("patched")
	rop, err := c.regionBS.Patch(ctx, &computepb.PatchRegionBackendServiceRequest{Project: s.Project(), Region: r, BackendService: "r-aws", BackendServiceResource: bs})
	if err != nil {
		t.Fatal(err)
	}
	for !rop.Done() {
		if err := rop.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.BackendService(r, "r-aws"); got.GetDescription() != "patched" {
		t.Fatalf("regional backend service: %v", got)
	}
	h, err := c.regionBS.GetHealth(ctx, &computepb.GetHealthRegionBackendServiceRequest{Project: s.Project(), Region: r, BackendService: "r-aws",
		ResourceGroupReferenceResource: &computepb.ResourceGroupReference{Group: proto.String(s.GroupURL("us-central1-a", "instanceGroups", "ig-r-aws"))}})
	if err != nil || h.GetKind() != "compute#backendServiceGroupHealth" || len(h.GetHealthStatus()) != 0 {
		t.Fatalf("regional getHealth: %v %v", h, err)
	}
	// The global scope does not see regional resources.
	_, err = c.urlMaps.Get(ctx, &computepb.GetUrlMapRequest{Project: s.Project(), UrlMap: "r-lb"})
	wantAPIError(t, err, 404, "notFound")
}

func TestNotFound(t *testing.T) {
	s, d, c := start(t, Options{})
	ctx := context.Background()
	_, err := c.urlMaps.Get(ctx, &computepb.GetUrlMapRequest{Project: s.Project(), UrlMap: "nope"})
	g := wantAPIError(t, err, 404, "notFound")
	if !strings.Contains(g.Message, "projects/demo-project/global/urlMaps/nope") {
		t.Fatalf("message: %s", g.Message)
	}
	_, err = c.urlMaps.Get(ctx, &computepb.GetUrlMapRequest{Project: "other-project", UrlMap: d.URLMap})
	wantAPIError(t, err, 404, "notFound")
	_, err = patchBS(ctx, c, s.Project(), "nope", &computepb.BackendService{Fingerprint: proto.String("x")})
	wantAPIError(t, err, 404, "notFound")
	_, err = c.bs.GetHealth(ctx, &computepb.GetHealthBackendServiceRequest{Project: s.Project(), BackendService: "nope",
		ResourceGroupReferenceResource: &computepb.ResourceGroupReference{Group: proto.String(d.PrimaryGroup)}})
	wantAPIError(t, err, 404, "notFound")
	_, err = c.globalOps.Get(ctx, &computepb.GetGlobalOperationRequest{Project: s.Project(), Operation: "operation-99"})
	wantAPIError(t, err, 404, "notFound")
	_, err = c.regionURLMaps.Get(ctx, &computepb.GetRegionUrlMapRequest{Project: s.Project(), Region: "us-east1", UrlMap: d.URLMap})
	wantAPIError(t, err, 404, "notFound")
}

func TestGetHealth(t *testing.T) {
	s, d, c := start(t, Options{})
	ctx := context.Background()
	req := func(group string) *computepb.GetHealthBackendServiceRequest {
		return &computepb.GetHealthBackendServiceRequest{Project: s.Project(), BackendService: d.CapacityService,
			ResourceGroupReferenceResource: &computepb.ResourceGroupReference{Group: proto.String(group)}}
	}
	h, err := c.bs.GetHealth(ctx, req(d.PrimaryGroup))
	if err != nil {
		t.Fatal(err)
	}
	if h.GetKind() != "compute#backendServiceGroupHealth" || len(h.GetHealthStatus()) != 1 || h.GetHealthStatus()[0].GetHealthState() != "HEALTHY" ||
		h.GetHealthStatus()[0].GetInstance() == "" || h.GetHealthStatus()[0].GetPort() != 443 {
		t.Fatalf("health: %v", h)
	}
	// A partial group URL names the same group.
	if err := s.SetGroupHealth("", d.CapacityService, strings.TrimPrefix(d.SecondaryGroup, linkPrefix+s.Project()+"/"), []*computepb.HealthStatus{
		{Instance: proto.String("i1"), IpAddress: proto.String("10.0.0.1"), Port: proto.Int32(80), HealthState: proto.String("UNHEALTHY")},
		{Instance: proto.String("i2"), IpAddress: proto.String("10.0.0.2"), Port: proto.Int32(80), HealthState: proto.String("HEALTHY")},
	}); err != nil {
		t.Fatal(err)
	}
	h, err = c.bs.GetHealth(ctx, req(d.SecondaryGroup))
	if err != nil || len(h.GetHealthStatus()) != 2 || h.GetHealthStatus()[0].GetHealthState() != "UNHEALTHY" {
		t.Fatalf("health: %v %v", h, err)
	}
	// A group that is not a backend of the service.
	_, err = c.bs.GetHealth(ctx, req(s.GroupURL("us-central1-a", "instanceGroups", "ig-other")))
	g := wantAPIError(t, err, 400, "invalid")
	if !strings.Contains(g.Message, "resource.group") {
		t.Fatalf("message: %s", g.Message)
	}
	_, err = c.bs.GetHealth(ctx, req("not a url"))
	wantAPIError(t, err, 400, "invalid")
	_, err = c.bs.GetHealth(ctx, &computepb.GetHealthBackendServiceRequest{Project: s.Project(), BackendService: d.CapacityService,
		ResourceGroupReferenceResource: &computepb.ResourceGroupReference{}})
	wantAPIError(t, err, 400, "required")
	if err := s.SetGroupHealth("", "nope", d.PrimaryGroup, nil); err == nil {
		t.Fatal("SetGroupHealth on a missing service")
	}
	if n := s.Calls()["backendServices.getHealth"]; n != 5 {
		t.Fatalf("calls: %v", s.Calls())
	}
}

// TestOperationsPending: with PendingPolls, operations.get answers RUNNING
// that many times, then DONE; the change is visible at once.
func TestOperationsPending(t *testing.T) {
	s, d, c := start(t, Options{PendingPolls: 2})
	ctx := context.Background()
	m := getURLMap(t, c, s.Project(), d.URLMap)
	op, err := patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, 100, 900))
	if err != nil {
		t.Fatal(err)
	}
	if op.Done() || op.Proto().GetStatus() != computepb.Operation_RUNNING {
		t.Fatalf("PATCH answer: %v", op.Proto())
	}
	if got := getURLMap(t, c, s.Project(), d.URLMap); got.GetFingerprint() == m.GetFingerprint() {
		t.Fatal("the change is applied when accepted")
	}
	var states []computepb.Operation_Status
	for !op.Done() && len(states) < 5 {
		if err := op.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		states = append(states, op.Proto().GetStatus())
	}
	want := []computepb.Operation_Status{computepb.Operation_RUNNING, computepb.Operation_RUNNING, computepb.Operation_DONE}
	if !cmp.Equal(states, want) || op.Proto().GetProgress() != 100 || op.Proto().GetEndTime() == "" {
		t.Fatalf("polls: %v, %v", states, op.Proto())
	}
	// Polling a DONE operation keeps answering DONE.
	if err := op.Poll(ctx); err != nil || !op.Done() {
		t.Fatal(err)
	}
	if n := s.Calls()["globalOperations.get"]; n != 4 {
		t.Fatalf("calls: %v", s.Calls())
	}
}

// TestFailedOperation: a failed operation surfaces from Poll and Wait, and
// its change is not applied.
func TestFailedOperation(t *testing.T) {
	for _, pending := range []int{0, 1} {
		s, d, c := start(t, Options{PendingPolls: pending})
		ctx := context.Background()
		s.FailOperations(1, 403, "Quota 'BACKEND_SERVICES' exceeded.")
		m := getURLMap(t, c, s.Project(), d.URLMap)
		op, err := patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		if op.Done() {
			t.Fatal("a failing operation starts RUNNING")
		}
		for i := 0; i < pending; i++ {
			if err := op.Poll(ctx); err != nil || op.Done() {
				t.Fatalf("poll %d: %v", i, err)
			}
		}
		err = op.Wait(ctx)
		g := googleErr(t, err)
		if g.Code != 403 || !strings.Contains(g.Message, "Quota 'BACKEND_SERVICES' exceeded.") || !strings.Contains(g.Message, "FORBIDDEN") {
			t.Fatalf("error: %v", g)
		}
		pb := op.Proto()
		if pb.GetStatus() != computepb.Operation_DONE || pb.GetHttpErrorStatusCode() != 403 || len(pb.GetError().GetErrors()) != 1 ||
			pb.GetError().GetErrors()[0].GetCode() != "QUOTA_EXCEEDED" {
			t.Fatalf("operation: %v", pb)
		}
		if got := getURLMap(t, c, s.Project(), d.URLMap); !proto.Equal(got, m) {
			t.Fatal("a failed operation changed the URL map")
		}
		// The next PATCH (same fingerprint: it did not move) succeeds.
		op, err = patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, 1, 1))
		if err != nil {
			t.Fatal(err)
		}
		for !op.Done() {
			if err := op.Poll(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestRequestID(t *testing.T) {
	s, d, c := start(t, Options{})
	ctx := context.Background()
	m := getURLMap(t, c, s.Project(), d.URLMap)
	req := &computepb.PatchUrlMapRequest{Project: s.Project(), UrlMap: d.URLMap, UrlMapResource: setWeights(m, 3, 4),
		RequestId: proto.String("6ba7b810-9dad-11d1-80b4-00c04fd430c8")}
	op1, err := c.urlMaps.Patch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	after := getURLMap(t, c, s.Project(), d.URLMap)
	// The retry carries the now stale fingerprint, yet gets the same operation.
	op2, err := c.urlMaps.Patch(ctx, req)
	if err != nil || op2.Name() != op1.Name() {
		t.Fatalf("retry: %v %v", op2, err)
	}
	if got := getURLMap(t, c, s.Project(), d.URLMap); got.GetFingerprint() != after.GetFingerprint() {
		t.Fatal("the retry wrote again")
	}
	req.RequestId = proto.String("not-a-uuid")
	_, err = c.urlMaps.Patch(ctx, req)
	wantAPIError(t, err, 400, "invalid")
}

// TestInterleaveWrite: another writer between our read and our write makes
// our PATCH fail with 412; a re-read and retry succeeds and keeps the other
// writer's change.
func TestInterleaveWrite(t *testing.T) {
	s, d, c := start(t, Options{})
	ctx := context.Background()
	s.InterleaveWrite(kindURLMap, "", d.URLMap, 1, func(p proto.Message) {
		um := p.(*computepb.UrlMap)
		um.Description = proto.String("edited by someone else")
		um.Name = proto.String("renamed") // restored: server-side
	})
	s.InterleaveWrite(kindBackendService, "", d.CapacityService, 2, func(p proto.Message) {
		p.(*computepb.BackendService).Description = proto.String("other writer")
	})
	m := getURLMap(t, c, s.Project(), d.URLMap)
	_, err := patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, 500, 500))
	wantAPIError(t, err, 412, "conditionNotMet")
	m2 := getURLMap(t, c, s.Project(), d.URLMap)
	if m2.GetDescription() != "edited by someone else" || m2.GetName() != d.URLMap || m2.GetFingerprint() == m.GetFingerprint() ||
		m2.GetDefaultRouteAction().GetWeightedBackendServices()[0].GetWeight() != 0 {
		t.Fatalf("after the interleaved write: %v", m2)
	}
	op, err := patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m2, 500, 500))
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.URLMap("", d.URLMap); got.GetDescription() != "edited by someone else" ||
		got.GetDefaultRouteAction().GetWeightedBackendServices()[0].GetWeight() != 500 {
		t.Fatalf("final: %v", got)
	}

	// The backend service hook fires on its 2nd PATCH only.
	for i, want := range []int{200, 412} {
		bs := getBS(t, c, s.Project(), d.CapacityService)
		bs.Backends[0].CapacityScaler = proto.Float32(0.5)
		_, err := patchBS(ctx, c, s.Project(), d.CapacityService, bs)
		if want == 200 && err != nil {
			t.Fatalf("PATCH %d: %v", i+1, err)
		}
		if want == 412 {
			wantAPIError(t, err, 412, "conditionNotMet")
		}
	}
}

// TestConcurrentWriters: of writers racing with the same fingerprint,
// exactly one wins.
func TestConcurrentWriters(t *testing.T) {
	s, d, c := start(t, Options{})
	ctx := context.Background()
	for round := 0; round < 10; round++ {
		m := getURLMap(t, c, s.Project(), d.URLMap)
		const writers = 4
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, uint32(i+1), 10))
			}()
			wg.Add(1)
			go func() { // readers alongside
				defer wg.Done()
				if _, err := c.bs.Get(ctx, &computepb.GetBackendServiceRequest{Project: s.Project(), BackendService: d.CapacityService}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
				continue
			}
			wantAPIError(t, err, 412, "conditionNotMet")
		}
		if wins != 1 {
			t.Fatalf("round %d: %d winners", round, wins)
		}
	}
}
