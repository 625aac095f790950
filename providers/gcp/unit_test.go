package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/api/googleapi"
	"google.golang.org/protobuf/proto"

	"github.com/fbctl/fbctl/internal/gcpauth"
	"github.com/fbctl/fbctl/providers"
)

func TestMain(m *testing.M) {
	// Retries without the production backoff (seconds each).
	backoff = func(int) time.Duration { return time.Millisecond }
	os.Exit(m.Run())
}

// ---- Scaler arithmetic ----

// chooseScalers must find the same pair as a search of every allowed
// pair with one side at 1.0, closest first, then the lower share.
func TestChooseScalersMatchesBruteForce(t *testing.T) {
	for _, ps := range [][2]int{{1, 1}, {1, 2}, {2, 1}, {3, 5}, {4, 4}} {
		p, s := ps[0], ps[1]
		for w := 0; w <= 10000; w += 7 {
			a, b := chooseScalers(providers.Share(w), p, s)
			if (a != 100 && b != 100) || (a == 0 && b == 0) || !allowed(a) || !allowed(b) {
				t.Fatalf("p=%d s=%d want %d: got (%d, %d), not an allowed pair", p, s, w, a, b)
			}
			got := float64(p*a) / float64(p*a+s*b)
			best := 2.0
			var bestShare float64
			for _, k := range scalerSteps {
				for _, pair := range [][2]int{{100, k}, {k, 100}} {
					x, y := pair[0], pair[1]
					sh := float64(p*x) / float64(p*x+s*y)
					e := abs(sh - float64(w)/10000)
					if e < best-1e-12 || (abs(e-best) <= 1e-12 && sh < bestShare) {
						best, bestShare = e, sh
					}
				}
			}
			if abs(got-bestShare) > 1e-12 {
				t.Fatalf("p=%d s=%d want %d: chose (%d, %d) = %.5f, best is %.5f", p, s, w, a, b, got, bestShare)
			}
		}
	}
}

func allowed(k int) bool { return k == 0 || (k >= 10 && k <= 100) }

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestChooseScalersEnds(t *testing.T) {
	for _, c := range []struct {
		want       providers.Share
		p, s, a, b int
	}{
		{0, 1, 1, 0, 100},
		{10000, 1, 1, 100, 0},
		{5000, 1, 1, 100, 100},
		{5000, 2, 1, 50, 100},
		{2500, 1, 1, 33, 100},
		{9091, 1, 1, 100, 10},
		{400, 1, 1, 0, 100},   // 0 % is 400 away, 9.09 % 509
		{454, 1, 1, 0, 100},   // 454 from 0 %, 455.09 from 9.09 %
		{9600, 1, 1, 100, 0},  // 100 % is 400 away, 90.91 % 509
		{7500, 1, 1, 100, 33}, // 75.19 %
	} {
		if a, b := chooseScalers(c.want, c.p, c.s); a != c.a || b != c.b {
			t.Errorf("chooseScalers(%v, %d, %d) = (%d, %d), want (%d, %d)", c.want, c.p, c.s, a, b, c.a, c.b)
		}
	}
}

func TestScalerResolution(t *testing.T) {
	// One backend a side: 0 % and then 10/110 = 9.09 %.
	if got := scalerResolution(1, 1); got != 909 {
		t.Errorf("scalerResolution(1, 1) = %d, want 909", int(got))
	}
	// More primaries: the first step above 0 % is 3*10/(3*10+100) = 23.08 %.
	if got := scalerResolution(3, 1); got != 2308 {
		t.Errorf("scalerResolution(3, 1) = %d, want 2308", int(got))
	}
	// Every want lands within the resolution.
	for _, ps := range [][2]int{{1, 1}, {3, 1}, {1, 4}} {
		res := scalerResolution(ps[0], ps[1])
		for w := providers.Share(0); w <= providers.ShareFull; w += 13 {
			a, b := chooseScalers(w, ps[0], ps[1])
			if d := scalerShare(ps[0], ps[1], a, b) - w; d > res || -d > res {
				t.Fatalf("%v: want %v delivers %v, beyond the resolution %v", ps, w, scalerShare(ps[0], ps[1], a, b), res)
			}
		}
	}
}

// capacityTarget builds a target without an endpoint, for edit tests.
func capacityTarget(t *testing.T, primary, secondary []string) *BackendCapacity {
	t.Helper()
	tg, err := NewBackendCapacity(providers.Config{Name: "cap", Provider: offlineProvider(t),
		Attrs: capacityAttrs("pool", "", primary, secondary)})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// A service whose only backend would be set to 0 is refused; edit
// cannot reach it through the constructor (both sides need a backend), so
// it is driven with a service whose two named groups share one backend
// spelled two ways.
func TestCapacityRefusesZeroOnSingleBackend(t *testing.T) {
	tg := capacityTarget(t, []string{"us-east1-b/ig-aws"}, []string{"us-central1-a/ig-gcp"})
	bs := &computepb.BackendService{Name: proto.String("pool"), Backends: []*computepb.Backend{
		{Group: proto.String("https://www.googleapis.com/compute/v1/projects/fbctl-test/zones/us-east1-b/instanceGroups/ig-aws"), CapacityScaler: proto.Float32(1)},
	}}
	// The secondary group is missing: a clear error, not a panic.
	if _, err := tg.edit(bs, 0, 100); err == nil || !strings.Contains(err.Error(), "no backend for group") {
		t.Fatalf("edit = %v, want a missing-group error", err)
	}
	// Drive the single-backend rule directly: one backend, on the primary.
	tg2 := *tg
	tg2.secondary = nil
	if _, err := (&tg2).edit(bs, 0, 100); err == nil || !strings.Contains(err.Error(), "single backend") {
		t.Fatalf("edit setting 0 on the only backend = %v, want the single-backend refusal", err)
	}
	if bs.Backends[0].GetCapacityScaler() != 1 {
		t.Fatalf("the refused edit changed the scaler to %v", bs.Backends[0].GetCapacityScaler())
	}
}

// ---- Names ----

func TestParseService(t *testing.T) {
	want := serviceRef{project: "p", name: "bs"}
	wantR := serviceRef{project: "p", region: "us-central1", name: "bs"}
	for _, c := range []struct {
		ref, region string
		want        serviceRef
	}{
		{"bs", "", want},
		{"bs", "us-central1", wantR},
		{"global/backendServices/bs", "", want},
		{"projects/p/global/backendServices/bs", "", want},
		{"https://www.googleapis.com/compute/v1/projects/p/global/backendServices/bs", "", want},
		{"https://compute.googleapis.com/compute/beta/projects/p/global/backendServices/bs", "", want},
		{"regions/us-central1/backendServices/bs", "", wantR},
		{"https://www.googleapis.com/compute/v1/projects/p/regions/us-central1/backendServices/bs", "", wantR},
		{"projects/other/global/backendServices/bs", "", serviceRef{project: "other", name: "bs"}},
	} {
		got, err := parseService(c.ref, "p", c.region)
		if err != nil || got != c.want {
			t.Errorf("parseService(%q, region %q) = %+v, %v; want %+v", c.ref, c.region, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "a/b", "global/urlMaps/x", "projects/p/global/backendServices/", "https://example.com/", "bad name"} {
		if got, err := parseService(bad, "p", ""); err == nil {
			t.Errorf("parseService(%q) = %+v, want an error", bad, got)
		}
	}
}

func TestParseGroup(t *testing.T) {
	ig := groupRef{project: "p", scope: "zones/us-central1-a", kind: "instanceGroups", name: "ig"}
	for _, c := range []struct {
		ref  string
		want groupRef
	}{
		{"https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a/instanceGroups/ig", ig},
		{"projects/p/zones/us-central1-a/instanceGroups/ig", ig},
		{"zones/us-central1-a/instanceGroups/ig", ig},
		{"us-central1-a/ig", groupRef{project: "p", scope: "zones/us-central1-a", name: "ig"}},
		{"us-central1/ig", groupRef{project: "p", scope: "regions/us-central1", name: "ig"}},
		{"global/networkEndpointGroups/neg", groupRef{project: "p", scope: "global", kind: "networkEndpointGroups", name: "neg"}},
		{"regions/us-central1/networkEndpointGroups/neg", groupRef{project: "p", scope: "regions/us-central1", kind: "networkEndpointGroups", name: "neg"}},
	} {
		got, err := parseGroup(c.ref, "p")
		if err != nil || got != c.want {
			t.Errorf("parseGroup(%q) = %+v, %v; want %+v", c.ref, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "ig", "a/b/c", "zones/z/disks/d", "global/instanceGroups/x"} {
		if got, err := parseGroup(bad, "p"); err == nil {
			t.Errorf("parseGroup(%q) = %+v, want an error", bad, got)
		}
	}
	short, _ := parseGroup("us-central1-a/ig", "p")
	if !short.matches(ig) || ig.matches(groupRef{project: "p", scope: "zones/us-central1-a", kind: "networkEndpointGroups", name: "ig"}) {
		t.Errorf("matching: a short form matches either kind, a URL only its own")
	}
}

// ---- Errors and retries ----

// TestClassify: the classes behind fbctl's own retries, and that the
// classification keeps the SDK's error and its message.
func TestClassify(t *testing.T) {
	ctx := t.Context()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, c := range []struct {
		ctx  context.Context
		err  error
		want providers.ErrorClass
	}{
		{ctx, &googleapi.Error{Code: 429}, providers.Transient},
		{ctx, &googleapi.Error{Code: 500}, providers.Transient},
		{ctx, &googleapi.Error{Code: 503}, providers.Transient},
		{ctx, &googleapi.Error{Code: 403, Errors: []googleapi.ErrorItem{{Reason: "rateLimitExceeded"}}}, providers.Transient},
		{ctx, &googleapi.Error{Code: 403, Errors: []googleapi.ErrorItem{{Reason: "userRateLimitExceeded"}}}, providers.Transient},
		{ctx, &googleapi.Error{Code: 403, Errors: []googleapi.ErrorItem{{Reason: "forbidden"}}}, providers.Fatal},
		{ctx, &googleapi.Error{Code: 404}, providers.Fatal},
		{ctx, &googleapi.Error{Code: 412, Errors: []googleapi.ErrorItem{{Reason: "conditionNotMet"}}}, providers.Fatal},
		{ctx, &googleapi.Error{Code: 400}, providers.Fatal},
		{ctx, errors.New("connection refused"), providers.Transient},
		{ctx, fmt.Errorf("dial: %w", context.DeadlineExceeded), providers.Fatal},
		{cancelled, &googleapi.Error{Code: 503}, providers.Fatal},
	} {
		got := classify(c.ctx, c.err)
		if cls := providers.Classify(got); cls != c.want {
			t.Errorf("classify(%v) is %v, want %v", c.err, cls, c.want)
		}
		if got.Error() != c.err.Error() || !errors.Is(got, c.err) {
			t.Errorf("classify(%v) = %v: not the same error", c.err, got)
		}
	}
}

func TestOperationError(t *testing.T) {
	done := computepb.Operation_DONE.Enum()
	if err := operationError("x", &computepb.Operation{Status: done, HttpErrorStatusCode: proto.Int32(200)}); err != nil {
		t.Errorf("a 200 operation is an error: %v", err)
	}
	err := operationError("URL map lb in project p (global)", &computepb.Operation{Name: proto.String("operation-7"), Status: done,
		HttpErrorStatusCode: proto.Int32(400), HttpErrorMessage: proto.String("BAD REQUEST"),
		Error: &computepb.Error{Errors: []*computepb.Errors{{Code: proto.String("INVALID_USAGE"), Message: proto.String("weights must not all be 0")}}}})
	want := "URL map lb in project p (global): operation operation-7 failed (HTTP 400): BAD REQUEST; INVALID_USAGE: weights must not all be 0"
	if err == nil || err.Error() != want {
		t.Errorf("operationError = %v, want %q", err, want)
	}
	if statusOf(err) != http.StatusBadRequest {
		t.Errorf("statusOf = %d", statusOf(err))
	}
}

// ---- Provider blocks ----

func TestProviderBlock(t *testing.T) {
	attrs := func(over map[string]cty.Value) cty.Value {
		m := map[string]cty.Value{
			"project":                     cty.StringVal("p"),
			"credentials_file":            cty.NullVal(cty.String),
			"impersonate_service_account": cty.NullVal(cty.String),
			"endpoint_url":                cty.NullVal(cty.String),
		}
		for k, v := range over {
			m[k] = v
		}
		return cty.ObjectVal(m)
	}
	set, _, err := decodeProvider(&providers.ProviderConfig{Type: "gcp", Name: "x", Attrs: attrs(map[string]cty.Value{"endpoint_url": cty.StringVal("http://127.0.0.1:1234//")})})
	if err != nil || set.endpoint != "http://127.0.0.1:1234" {
		t.Errorf("endpoint = %q, %v; want the trailing slashes gone", set.endpoint, err)
	}
	for _, c := range []struct {
		over map[string]cty.Value
		want string
	}{
		{map[string]cty.Value{"project": cty.StringVal(" ")}, "project must be set"},
		{map[string]cty.Value{"endpoint_url": cty.StringVal("127.0.0.1:80")}, "endpoint_url must be an http or https URL"},
		{map[string]cty.Value{"impersonate_service_account": cty.StringVal("robot")}, "service account email"},
	} {
		if _, _, err := decodeProvider(&providers.ProviderConfig{Type: "gcp", Name: "x", Attrs: attrs(c.over)}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("decodeProvider(%v) = %v, want %q", c.over, err, c.want)
		}
	}
	if _, err := accountFor(nil); err == nil {
		t.Error("a gcp kind without a provider block must be refused")
	}
	// A sensitive endpoint never shows, even in a refusal.
	secret := cty.StringVal("ftp://secret-host.internal").Mark("sensitive")
	_, _, err = decodeProvider(&providers.ProviderConfig{Type: "gcp", Name: "x", Attrs: attrs(map[string]cty.Value{"endpoint_url": secret})})
	if err == nil || strings.Contains(err.Error(), "secret-host") {
		t.Errorf("error %v shows the sensitive endpoint", err)
	}
}

// A credentials file of an unexpected type is refused before any client
// is built, naming the type and never the content.
func TestCredentialsFileType(t *testing.T) {
	dir := t.TempDir()
	f := dir + "/creds.json"
	if err := os.WriteFile(f, []byte(`{"type":"something_else","private_key":"TOPSECRET"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := gcpauth.CredentialsType(f)
	if err == nil || !strings.Contains(err.Error(), "something_else") || strings.Contains(err.Error(), "TOPSECRET") {
		t.Errorf("credentialsType = %v", err)
	}
	if err := os.WriteFile(f, []byte(`{"type":"service_account"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if typ, err := gcpauth.CredentialsType(f); err != nil || typ != "service_account" {
		t.Errorf("credentialsType = %q, %v", typ, err)
	}
}

// ---- Health verdicts ----

func TestHealthVerdict(t *testing.T) {
	g := func(name string, healthy, total int) groupCount {
		gc := groupCount{name: name, healthy: healthy, total: total, others: map[string]int{}}
		if total > healthy {
			gc.others["UNHEALTHY"] = total - healthy
		}
		return gc
	}
	for _, c := range []struct {
		counts  []groupCount
		min     int
		pct     float64
		hasPct  bool
		healthy bool
		detail  string
	}{
		{[]groupCount{g("ig-aws", 2, 5)}, 3, 0, false, false, "2/5 HEALTHY in ig-aws (3 UNHEALTHY) (need 3)"},
		{[]groupCount{g("ig-aws", 3, 5)}, 3, 0, false, true, "3/5 HEALTHY in ig-aws (2 UNHEALTHY)"},
		{[]groupCount{g("ig-aws", 3, 5)}, 1, 80, true, false, "3/5 HEALTHY in ig-aws (2 UNHEALTHY) (need 80%)"},
		{[]groupCount{g("ig-aws", 4, 5)}, 1, 80, true, true, "4/5 HEALTHY in ig-aws (1 UNHEALTHY)"},
		{[]groupCount{g("a", 1, 1), g("b", 0, 2)}, 2, 0, false, false, "1/3 HEALTHY: 1/1 HEALTHY in a, 0/2 HEALTHY in b (2 UNHEALTHY) (need 2)"},
		{[]groupCount{g("empty", 0, 0)}, 1, 50, true, false, "0/0 HEALTHY in empty (need 1, need 50%)"},
	} {
		r := healthVerdict(c.counts, c.min, c.pct, c.hasPct)
		if r.Healthy != c.healthy || r.Detail != c.detail {
			t.Errorf("healthVerdict(min %d, pct %v) = %v %q; want %v %q", c.min, c.pct, r.Healthy, r.Detail, c.healthy, c.detail)
		}
	}
}

// offlineProvider is a provider block whose endpoint nobody listens on:
// for tests that never call.
func offlineProvider(t *testing.T) *providers.ProviderConfig {
	return providerBlock(t, "http://127.0.0.1:1")
}
