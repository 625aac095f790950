package gcp

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	gcpsim "github.com/fbctl/fbctl/internal/sim/gcp"
	"github.com/fbctl/fbctl/providers"
)

// testOpts are the options of every target under test: operations polled
// every millisecond.
var testOpts = []Option{WithPollInterval(time.Millisecond), WithMaxWait(20 * time.Second)}

// providerBlock is a decoded provider "gcp" block pointing at endpoint,
// named after the test so that its clients are its own.
func providerBlock(t testing.TB, endpoint string) *providers.ProviderConfig {
	t.Helper()
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return &providers.ProviderConfig{Type: "gcp", Name: name, Attrs: cty.ObjectVal(map[string]cty.Value{
		"project":                     cty.StringVal(simProject),
		"credentials_file":            cty.NullVal(cty.String),
		"impersonate_service_account": cty.NullVal(cty.String),
		"endpoint_url":                cty.StringVal(endpoint),
	})}
}

func strList(ss ...string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	var vs []cty.Value
	for _, s := range ss {
		vs = append(vs, cty.StringVal(s))
	}
	return cty.ListVal(vs)
}

func optStr(s string) cty.Value {
	if s == "" {
		return cty.NullVal(cty.String)
	}
	return cty.StringVal(s)
}

// urlMapAttrs is a gcp_url_map block; rule < 0 leaves route_rule unset.
func urlMapAttrs(urlMap, region, matcher string, rule int, primary, secondary []string) cty.Value {
	r := cty.NullVal(cty.Number)
	if rule >= 0 {
		r = cty.NumberIntVal(int64(rule))
	}
	return cty.ObjectVal(map[string]cty.Value{
		"url_map":      cty.StringVal(urlMap),
		"region":       optStr(region),
		"path_matcher": optStr(matcher),
		"route_rule":   r,
		"primary":      strList(primary...),
		"secondary":    strList(secondary...),
	})
}

func capacityAttrs(service, region string, primary, secondary []string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"backend_service": cty.StringVal(service),
		"region":          optStr(region),
		"primary":         strList(primary...),
		"secondary":       strList(secondary...),
	})
}

func healthAttrs(service, region string, groups []string, minHealthy int, pct float64) cty.Value {
	p := cty.NullVal(cty.Number)
	if pct >= 0 {
		p = cty.NumberFloatVal(pct)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"backend_service":     cty.StringVal(service),
		"region":              optStr(region),
		"groups":              strList(groups...),
		"min_healthy":         cty.NumberIntVal(int64(minHealthy)),
		"min_healthy_percent": p,
	})
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ---- The emulated world ----

const (
	simProject = "fbctl-test"
	simRegion  = "us-central1"
)

// simWorld is a Compute emulator seeded with
//
//   - global backend services bs-aws, bs-gcp, bs-legacy, bs-static, and
//     pool (backends ig-aws in us-east1-b at 0.0, ig-gcp in us-central1-a
//     at 1.0, and the foreign neg-edge at 0.5); regional (us-central1)
//     backend services r-aws, r-gcp and r-pool (two backends);
//   - global URL map lb: default route [bs-aws 0, bs-gcp 1000]; path
//     matcher "api" whose default route is [bs-aws 1, bs-gcp 3] and whose
//     route rules are priority 10 [bs-aws 0, bs-gcp 900, bs-legacy 100]
//     (a foreign service) and priority 20 to bs-static; path matcher
//     "static" to bs-static; host rules for both;
//   - global URL map lb2 [bs-aws 500, bs-gcp 500], which no conformance
//     target steers;
//   - regional URL map rlb: default route [r-aws 0, r-gcp 1000].
type simWorld struct {
	srv *gcpsim.Server
	url string
	// seeded state, for Reset
	services map[[2]string]*computepb.BackendService
	maps     map[[2]string]*computepb.UrlMap
}

func newSimWorld(t testing.TB, opts gcpsim.Options) *simWorld {
	t.Helper()
	opts.Project = simProject
	srv := gcpsim.New(opts)
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	w := &simWorld{srv: srv, url: url, services: map[[2]string]*computepb.BackendService{}, maps: map[[2]string]*computepb.UrlMap{}}
	w.seed(t)
	return w
}

func (w *simWorld) group(zone, kind, name string) string { return w.srv.GroupURL(zone, kind, name) }

func (w *simWorld) seed(t testing.TB) {
	t.Helper()
	svc := func(region, name string, backends ...*computepb.Backend) {
		bs := &computepb.BackendService{Name: proto.String(name), Protocol: proto.String("HTTPS"),
			LoadBalancingScheme: proto.String("EXTERNAL_MANAGED"), TimeoutSec: proto.Int32(30), Backends: backends,
			Description: proto.String("seeded " + name)}
		w.services[[2]string{region, name}] = bs
	}
	be := func(group string, scaler float32) *computepb.Backend {
		return &computepb.Backend{Group: proto.String(group), BalancingMode: proto.String("UTILIZATION"),
			MaxUtilization: proto.Float32(0.8), CapacityScaler: proto.Float32(scaler)}
	}
	igAWS := w.group("us-east1-b", "instanceGroups", "ig-aws")
	igGCP := w.group("us-central1-a", "instanceGroups", "ig-gcp")
	svc("", "bs-aws", be(w.group("", "networkEndpointGroups", "neg-aws"), 1))
	svc("", "bs-gcp", be(w.group("us-central1-a", "instanceGroups", "ig-web"), 1))
	svc("", "bs-legacy", be(w.group("us-central1-b", "instanceGroups", "ig-legacy"), 1))
	svc("", "bs-static", be(w.group("us-central1-a", "instanceGroups", "ig-static"), 1))
	svc("", "pool", be(igAWS, 0), be(igGCP, 1), be(w.group("us-central1-f", "networkEndpointGroups", "neg-edge"), 0.5))
	svc("", "single", be(w.group("us-central1-a", "instanceGroups", "ig-single"), 1))
	svc(simRegion, "r-aws", be(w.group("us-central1-b", "instanceGroups", "r-ig-aws"), 1))
	svc(simRegion, "r-gcp", be(w.group("us-central1-c", "instanceGroups", "r-ig-gcp"), 1))
	svc(simRegion, "r-pool", be(w.group("us-central1-b", "instanceGroups", "r-ig-aws"), 1), be(w.group("us-central1-c", "instanceGroups", "r-ig-gcp"), 1))

	wbs := func(region string, pairs ...any) []*computepb.WeightedBackendService {
		var out []*computepb.WeightedBackendService
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, &computepb.WeightedBackendService{
				BackendService: proto.String(w.srv.BackendServiceURL(region, pairs[i].(string))),
				Weight:         proto.Uint32(uint32(pairs[i+1].(int))),
			})
		}
		return out
	}
	w.maps[[2]string{"", "lb"}] = &computepb.UrlMap{
		Name:               proto.String("lb"),
		Description:        proto.String("checkout"),
		DefaultRouteAction: &computepb.HttpRouteAction{WeightedBackendServices: wbs("", "bs-aws", 0, "bs-gcp", 1000)},
		HostRules: []*computepb.HostRule{
			{Hosts: []string{"api.example.com"}, PathMatcher: proto.String("api")},
			{Hosts: []string{"static.example.com"}, PathMatcher: proto.String("static")},
		},
		PathMatchers: []*computepb.PathMatcher{
			{
				Name:               proto.String("api"),
				DefaultRouteAction: &computepb.HttpRouteAction{WeightedBackendServices: wbs("", "bs-aws", 1, "bs-gcp", 3)},
				RouteRules: []*computepb.HttpRouteRule{
					{Priority: proto.Int32(10), MatchRules: []*computepb.HttpRouteRuleMatch{{PrefixMatch: proto.String("/v2/")}},
						RouteAction: &computepb.HttpRouteAction{WeightedBackendServices: wbs("", "bs-aws", 0, "bs-gcp", 900, "bs-legacy", 100)}},
					{Priority: proto.Int32(20), MatchRules: []*computepb.HttpRouteRuleMatch{{PrefixMatch: proto.String("/assets/")}},
						Service: proto.String(w.srv.BackendServiceURL("", "bs-static"))},
				},
			},
			{Name: proto.String("static"), DefaultService: proto.String(w.srv.BackendServiceURL("", "bs-static"))},
		},
	}
	w.maps[[2]string{"", "lb2"}] = &computepb.UrlMap{
		Name:               proto.String("lb2"),
		DefaultRouteAction: &computepb.HttpRouteAction{WeightedBackendServices: wbs("", "bs-aws", 500, "bs-gcp", 500)},
	}
	w.maps[[2]string{simRegion, "rlb"}] = &computepb.UrlMap{
		Name:               proto.String("rlb"),
		DefaultRouteAction: &computepb.HttpRouteAction{WeightedBackendServices: wbs(simRegion, "r-aws", 0, "r-gcp", 1000)},
	}
	w.reset(t)
}

// reset puts the seeded state back.
func (w *simWorld) reset(t testing.TB) {
	t.Helper()
	for k, bs := range w.services {
		if err := w.srv.PutBackendService(k[0], bs); err != nil {
			t.Fatal(err)
		}
	}
	for k, m := range w.maps {
		if err := w.srv.PutURLMap(k[0], m); err != nil {
			t.Fatal(err)
		}
	}
}

// simState is every URL map and backend service of the emulator, keyed by
// "region/name", fingerprints cleared (every write moves them).
type simState struct {
	Maps     map[string]*computepb.UrlMap
	Services map[string]*computepb.BackendService
}

func (w *simWorld) state(t testing.TB) simState {
	t.Helper()
	st := simState{Maps: map[string]*computepb.UrlMap{}, Services: map[string]*computepb.BackendService{}}
	for k := range w.maps {
		m, err := w.srv.URLMap(k[0], k[1])
		if err != nil {
			t.Fatal(err)
		}
		m.Fingerprint = nil
		st.Maps[k[0]+"/"+k[1]] = m
	}
	for k := range w.services {
		bs, err := w.srv.BackendService(k[0], k[1])
		if err != nil {
			t.Fatal(err)
		}
		bs.Fingerprint = nil
		st.Services[k[0]+"/"+k[1]] = bs
	}
	return st
}

var protoCmp = []cmp.Option{protocmp.Transform()}

// routeList returns the weighted list of a route of a map in st: matcher
// "" is the default route, rule < 0 the matcher's default route.
func routeList(m *computepb.UrlMap, matcher string, rule int) []*computepb.WeightedBackendService {
	if matcher == "" {
		return m.GetDefaultRouteAction().GetWeightedBackendServices()
	}
	for _, pm := range m.GetPathMatchers() {
		if pm.GetName() != matcher {
			continue
		}
		if rule < 0 {
			return pm.GetDefaultRouteAction().GetWeightedBackendServices()
		}
		for _, r := range pm.GetRouteRules() {
			if int(r.GetPriority()) == rule {
				return r.GetRouteAction().GetWeightedBackendServices()
			}
		}
	}
	return nil
}

// weightsOf returns the weights of a route by service name.
func weightsOf(list []*computepb.WeightedBackendService) map[string]uint32 {
	out := map[string]uint32{}
	for _, w := range list {
		s := w.GetBackendService()
		out[s[strings.LastIndex(s, "/")+1:]] = w.GetWeight()
	}
	return out
}

// scalersOf returns the capacity scalers of a service's backends by group
// name.
func scalersOf(bs *computepb.BackendService) map[string]float32 {
	out := map[string]float32{}
	for _, b := range bs.GetBackends() {
		g := b.GetGroup()
		out[g[strings.LastIndex(g, "/")+1:]] = b.GetCapacityScaler()
	}
	return out
}

func total(calls map[string]int) int {
	n := 0
	for _, v := range calls {
		n += v
	}
	return n
}
