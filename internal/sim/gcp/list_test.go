package gcpsim

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/proto"
)

// seedRegional adds two backend services and a URL map in region r.
func seedRegional(t *testing.T, s *Server, r string) {
	t.Helper()
	for _, n := range []string{"r-aws", "r-gcp"} {
		if err := s.PutBackendService(r, &computepb.BackendService{Name: proto.String(n), Backends: []*computepb.Backend{
			{Group: proto.String(s.GroupURL(r+"-a", "instanceGroups", "ig-"+n))},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutURLMap(r, &computepb.UrlMap{Name: proto.String("r-lb"), DefaultRouteAction: &computepb.HttpRouteAction{
		WeightedBackendServices: []*computepb.WeightedBackendService{
			{BackendService: proto.String(s.BackendServiceURL(r, "r-aws")), Weight: proto.Uint32(0)},
			{BackendService: proto.String(s.BackendServiceURL(r, "r-gcp")), Weight: proto.Uint32(100)},
		}}}); err != nil {
		t.Fatal(err)
	}
}

// TestList: list and aggregatedList through the Go clients' iterators,
// which follow nextPageToken.
func TestList(t *testing.T) {
	s, _, c := start(t, Options{})
	seedRegional(t, s, "us-central1")
	seedRegional(t, s, "europe-west1")
	ctx := context.Background()
	p := s.Project()

	var names []string
	it := c.bs.List(ctx, &computepb.ListBackendServicesRequest{Project: p, MaxResults: proto.Uint32(1)})
	for {
		bs, err := it.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, bs.GetName())
	}
	if want := []string{"checkout-aws", "checkout-gcp", "checkout-pool", "static-assets"}; !cmp.Equal(names, want) {
		t.Fatalf("global backend services: %v", names)
	}
	if n := s.Calls()["backendServices.list"]; n != 4 {
		t.Fatalf("one page per item: %v", s.Calls())
	}

	names = nil
	rit := c.regionURLMaps.List(ctx, &computepb.ListRegionUrlMapsRequest{Project: p, Region: "europe-west1"})
	for {
		m, err := rit.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m.GetName()+"@"+m.GetRegion())
	}
	if want := []string{"r-lb@" + s.regionURL("europe-west1")}; !cmp.Equal(names, want) {
		t.Fatalf("regional URL maps: %v", names)
	}
	empty := c.regionBS.List(ctx, &computepb.ListRegionBackendServicesRequest{Project: p, Region: "asia-east1"})
	if _, err := empty.Next(); err != iterator.Done {
		t.Fatalf("empty region: %v", err)
	}

	scoped := map[string][]string{}
	ait := c.urlMaps.AggregatedList(ctx, &computepb.AggregatedListUrlMapsRequest{Project: p, MaxResults: proto.Uint32(2)})
	for {
		pair, err := ait.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pair.Value.GetUrlMaps() {
			scoped[pair.Key] = append(scoped[pair.Key], m.GetName())
		}
	}
	want := map[string][]string{"global": {"checkout-lb"}, "regions/europe-west1": {"r-lb"}, "regions/us-central1": {"r-lb"}}
	if !cmp.Equal(scoped, want) {
		t.Fatalf("aggregated URL maps: %v", scoped)
	}
	count := 0
	bit := c.bs.AggregatedList(ctx, &computepb.AggregatedListBackendServicesRequest{Project: p})
	for {
		pair, err := bit.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, bs := range pair.Value.GetBackendServices() {
			if !strings.HasSuffix(bs.GetSelfLink(), pair.Key+"/backendServices/"+bs.GetName()) {
				t.Fatalf("%s in scope %s", bs.GetSelfLink(), pair.Key)
			}
			count++
		}
	}
	if count != 8 || s.Calls()["urlMaps.aggregatedList"] != 2 || s.Calls()["backendServices.aggregatedList"] != 1 {
		t.Fatalf("aggregated backend services: %d, calls %v", count, s.Calls())
	}
}

// TestUpdate: PUT replaces the whole resource under the fingerprint check.
func TestUpdate(t *testing.T) {
	s, d, c := start(t, Options{})
	ctx := context.Background()
	p := s.Project()
	m := getURLMap(t, c, p, d.URLMap)
	body := setWeights(m, 300, 700)
	body.Description = nil // gone after a replacement
	body.HostRules = append(body.HostRules, &computepb.HostRule{Hosts: []string{"api.example.com"}, PathMatcher: proto.String("static")})
	op, err := c.urlMaps.Update(ctx, &computepb.UpdateUrlMapRequest{Project: p, UrlMap: d.URLMap, UrlMapResource: body})
	if err != nil {
		t.Fatal(err)
	}
	if !op.Done() || op.Proto().GetOperationType() != "update" {
		t.Fatalf("operation: %v", op.Proto())
	}
	got, _ := s.URLMap("", d.URLMap)
	if got.Description != nil || len(got.GetHostRules()) != 2 || got.GetFingerprint() == m.GetFingerprint() ||
		got.GetDefaultRouteAction().GetWeightedBackendServices()[0].GetWeight() != 300 || got.GetId() != m.GetId() {
		t.Fatalf("after update: %v", got)
	}
	// The fingerprint read before is stale now.
	_, err = c.urlMaps.Update(ctx, &computepb.UpdateUrlMapRequest{Project: p, UrlMap: d.URLMap, UrlMapResource: setWeights(m, 1, 1)})
	wantAPIError(t, err, 412, "conditionNotMet")
	// Validated as PATCH is.
	_, err = c.urlMaps.Update(ctx, &computepb.UpdateUrlMapRequest{Project: p, UrlMap: d.URLMap, UrlMapResource: setWeights(got, 1001, 1)})
	wantAPIError(t, err, 400, "invalid")

	bs := getBS(t, c, p, d.CapacityService)
	bs.Backends[0].CapacityScaler = proto.Float32(0.5)
	bs.TimeoutSec = nil
	if _, err := c.bs.Update(ctx, &computepb.UpdateBackendServiceRequest{Project: p, BackendService: d.CapacityService, BackendServiceResource: bs}); err != nil {
		t.Fatal(err)
	}
	gotBS, _ := s.BackendService("", d.CapacityService)
	if gotBS.GetBackends()[0].GetCapacityScaler() != 0.5 || gotBS.TimeoutSec != nil {
		t.Fatalf("backend service after update: %v", gotBS)
	}

	seedRegional(t, s, "us-central1")
	rm, err := c.regionURLMaps.Get(ctx, &computepb.GetRegionUrlMapRequest{Project: p, Region: "us-central1", UrlMap: "r-lb"})
	if err != nil {
		t.Fatal(err)
	}
	op, err = c.regionURLMaps.Update(ctx, &computepb.UpdateRegionUrlMapRequest{Project: p, Region: "us-central1", UrlMap: "r-lb", UrlMapResource: setWeights(rm, 50, 50)})
	if err != nil || !strings.Contains(op.Proto().GetSelfLink(), "/regions/us-central1/operations/") {
		t.Fatalf("regional update: %v %v", op, err)
	}
	if c := s.Calls(); c["urlMaps.update"] != 3 || c["backendServices.update"] != 1 || c["regionUrlMaps.update"] != 1 {
		t.Fatalf("calls: %v", c)
	}
}

// TestWaitAndGetByID: operations.wait answers DONE at once, whatever
// PendingPolls says; operations.get also finds an operation by its numeric
// id; a failed operation's error surfaces from Wait.
func TestWaitAndGetByID(t *testing.T) {
	s, d, c := start(t, Options{PendingPolls: 5})
	ctx := context.Background()
	p := s.Project()
	m := getURLMap(t, c, p, d.URLMap)
	op, err := patchURLMap(ctx, c, p, d.URLMap, setWeights(m, 100, 900))
	if err != nil || op.Done() {
		t.Fatalf("PATCH: %v %v", op, err)
	}
	byID, err := c.globalOps.Get(ctx, &computepb.GetGlobalOperationRequest{Project: p, Operation: "1" + "0"})
	if err == nil {
		t.Fatalf("an unknown id: %v", byID)
	}
	wantAPIError(t, err, 404, "notFound")
	id := op.Proto().GetId()
	byID, err = c.globalOps.Get(ctx, &computepb.GetGlobalOperationRequest{Project: p, Operation: uint64String(id)})
	if err != nil || byID.GetName() != op.Name() || byID.GetStatus() != computepb.Operation_RUNNING {
		t.Fatalf("get by id: %v %v", byID, err)
	}
	done, err := c.globalOps.Wait(ctx, &computepb.WaitGlobalOperationRequest{Project: p, Operation: op.Name()})
	if err != nil || done.GetStatus() != computepb.Operation_DONE || done.GetProgress() != 100 {
		t.Fatalf("wait: %v %v", done, err)
	}
	if again, err := c.globalOps.Get(ctx, &computepb.GetGlobalOperationRequest{Project: p, Operation: op.Name()}); err != nil || again.GetStatus() != computepb.Operation_DONE {
		t.Fatalf("get after wait: %v %v", again, err)
	}

	seedRegional(t, s, "us-central1")
	rm, err := c.regionURLMaps.Get(ctx, &computepb.GetRegionUrlMapRequest{Project: p, Region: "us-central1", UrlMap: "r-lb"})
	if err != nil {
		t.Fatal(err)
	}
	s.FailOperations(1, 409, "The resource is not ready")
	rop, err := c.regionURLMaps.Patch(ctx, &computepb.PatchRegionUrlMapRequest{Project: p, Region: "us-central1", UrlMap: "r-lb", UrlMapResource: setWeights(rm, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	rdone, err := c.regionOps.Wait(ctx, &computepb.WaitRegionOperationRequest{Project: p, Region: "us-central1", Operation: rop.Name()})
	if err != nil || rdone.GetStatus() != computepb.Operation_DONE || rdone.GetHttpErrorStatusCode() != 409 {
		t.Fatalf("regional wait of a failed operation: %v %v", rdone, err)
	}
	// The client's op.Wait polls get: the failure surfaces there too.
	if err := rop.Wait(ctx); err == nil {
		t.Fatal("op.Wait of a failed operation")
	}
	if c := s.Calls(); c["globalOperations.wait"] != 1 || c["regionOperations.wait"] != 1 || c["globalOperations.get"] != 3 {
		t.Fatalf("calls: %v", c)
	}
}

func uint64String(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestPatchNulls: gcloud's PATCH (url-maps import) carries explicit nulls,
// nested ones included, and empty lists; RFC 7386 deletes a member for a
// null and replaces a list whole.
func TestPatchNulls(t *testing.T) {
	s, d, _ := start(t, Options{})
	m, _ := s.URLMap("", d.URLMap)
	body := `{"fingerprint":"` + m.GetFingerprint() + `","description":null,"defaultService":null,"tests":[],` +
		`"defaultRouteAction":{"weightedBackendServices":[{"backendService":"` + d.PrimaryService + `","weight":250},` +
		`{"backendService":"` + d.SecondaryService + `","weight":750}],"timeout":null,"urlRewrite":null},` +
		`"hostRules":[{"hosts":["static.example.com"],"pathMatcher":"static","description":null}],"id":null,"selfLink":null}`
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("PATCH", "/compute/v1/projects/"+s.Project()+"/global/urlMaps/"+d.URLMap, strings.NewReader(body)))
	if rec.Code != 200 {
		t.Fatalf("PATCH: %d %s", rec.Code, rec.Body)
	}
	got, _ := s.URLMap("", d.URLMap)
	var weights []uint32
	for _, w := range got.GetDefaultRouteAction().GetWeightedBackendServices() {
		weights = append(weights, w.GetWeight())
	}
	if got.Description != nil || !slices.Equal(weights, []uint32{250, 750}) || got.GetId() != m.GetId() ||
		got.GetSelfLink() != m.GetSelfLink() || len(got.GetPathMatchers()) != 1 {
		t.Fatalf("after PATCH: %v", got)
	}
	// null at the top deletes even what validation needs: a map with no
	// default at all is refused, and nothing changes.
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("PATCH", "/compute/v1/projects/"+s.Project()+"/global/urlMaps/"+d.URLMap,
		strings.NewReader(`{"fingerprint":"`+got.GetFingerprint()+`","pathMatchers":null}`)))
	if rec.Code != 400 {
		t.Fatalf("PATCH removing the path matcher a host rule names: %d %s", rec.Code, rec.Body)
	}
}
