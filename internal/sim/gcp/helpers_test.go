package gcpsim

import (
	"context"
	"errors"
	"testing"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/proto"
)

// clients are the real compute REST clients pointed at one emulator.
type clients struct {
	urlMaps       *compute.UrlMapsClient
	regionURLMaps *compute.RegionUrlMapsClient
	bs            *compute.BackendServicesClient
	regionBS      *compute.RegionBackendServicesClient
	globalOps     *compute.GlobalOperationsClient
	regionOps     *compute.RegionOperationsClient
}

// start starts an emulator seeded with the demo scenario and returns it
// with its clients.
func start(t *testing.T, opts Options) (*Server, *Demo, *clients) {
	t.Helper()
	s := New(opts)
	d, err := SeedDemo(s)
	if err != nil {
		t.Fatal(err)
	}
	url, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, d, newClients(t, url)
}

func newClients(t *testing.T, url string) *clients {
	t.Helper()
	ctx := context.Background()
	o := []option.ClientOption{option.WithEndpoint(url), option.WithoutAuthentication()}
	var c clients
	var err error
	must := func(e error) {
		if e != nil {
			t.Fatal(e)
		}
	}
	c.urlMaps, err = compute.NewUrlMapsRESTClient(ctx, o...)
	must(err)
	c.regionURLMaps, err = compute.NewRegionUrlMapsRESTClient(ctx, o...)
	must(err)
	c.bs, err = compute.NewBackendServicesRESTClient(ctx, o...)
	must(err)
	c.regionBS, err = compute.NewRegionBackendServicesRESTClient(ctx, o...)
	must(err)
	c.globalOps, err = compute.NewGlobalOperationsRESTClient(ctx, o...)
	must(err)
	c.regionOps, err = compute.NewRegionOperationsRESTClient(ctx, o...)
	must(err)
	t.Cleanup(func() {
		c.urlMaps.Close()
		c.regionURLMaps.Close()
		c.bs.Close()
		c.regionBS.Close()
		c.globalOps.Close()
		c.regionOps.Close()
	})
	return &c
}

// googleErr returns the *googleapi.Error inside err, or fails.
func googleErr(t *testing.T, err error) *googleapi.Error {
	t.Helper()
	var g *googleapi.Error
	if !errors.As(err, &g) {
		t.Fatalf("want a *googleapi.Error, got %T %v", err, err)
	}
	return g
}

// wantAPIError checks the HTTP code and the first reason of err.
func wantAPIError(t *testing.T, err error, code int, reason string) *googleapi.Error {
	t.Helper()
	g := googleErr(t, err)
	if g.Code != code || len(g.Errors) == 0 || g.Errors[0].Reason != reason {
		t.Fatalf("want %d %s, got %d %+v (%s)", code, reason, g.Code, g.Errors, g.Message)
	}
	return g
}

func getURLMap(t *testing.T, c *clients, project, name string) *computepb.UrlMap {
	t.Helper()
	m, err := c.urlMaps.Get(context.Background(), &computepb.GetUrlMapRequest{Project: project, UrlMap: name})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func getBS(t *testing.T, c *clients, project, name string) *computepb.BackendService {
	t.Helper()
	bs, err := c.bs.Get(context.Background(), &computepb.GetBackendServiceRequest{Project: project, BackendService: name})
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// patchURLMap sends m as the PATCH body of a global URL map.
func patchURLMap(ctx context.Context, c *clients, project, name string, m *computepb.UrlMap) (*compute.Operation, error) {
	return c.urlMaps.Patch(ctx, &computepb.PatchUrlMapRequest{Project: project, UrlMap: name, UrlMapResource: m})
}

func patchBS(ctx context.Context, c *clients, project, name string, bs *computepb.BackendService) (*compute.Operation, error) {
	return c.bs.Patch(ctx, &computepb.PatchBackendServiceRequest{Project: project, BackendService: name, BackendServiceResource: bs})
}

// setWeights returns a copy of m with the default route's weights set.
func setWeights(m *computepb.UrlMap, weights ...uint32) *computepb.UrlMap {
	m = proto.Clone(m).(*computepb.UrlMap)
	for i, w := range m.GetDefaultRouteAction().GetWeightedBackendServices() {
		if i < len(weights) {
			w.Weight = proto.Uint32(weights[i])
		}
	}
	return m
}
