package azure_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	azsim "github.com/fbctl/fbctl/internal/sim/azure"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/azure"
	"github.com/fbctl/fbctl/providers/providertest"
)

// others is profile "web" without what the target owns (the weight and
// status of east and west): what it must leave as it is.
func others(t testing.TB, s *azsim.Server) any {
	t.Helper()
	b, ok := s.ProfileJSON(sub, group, "web")
	if !ok {
		t.Fatal("profile web is gone")
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range doc["properties"].(map[string]any)["endpoints"].([]any) {
		e := e.(map[string]any)
		if n := e["name"]; n == "east" || n == "west" {
			props := e["properties"].(map[string]any)
			delete(props, "weight")
			delete(props, "endpointStatus")
			delete(props, "endpointMonitorStatus")
		}
	}
	return doc
}

func owned(t testing.TB, s *azsim.Server) any {
	t.Helper()
	var out []string
	for _, n := range []string{"east", "west"} {
		e, _ := s.Endpoint(sub, group, "web", n)
		out = append(out, fmt.Sprintf("%s %d %s", n, e.Weight, e.Status))
	}
	return out
}

func TestConformance(t *testing.T) {
	s := start(t)
	pc := provider(s)
	providertest.Conformance(t, providertest.Harness{
		New:        func(t *testing.T) providers.Target { return newTarget(t, pc, nil) },
		Snapshot:   func(t *testing.T) any { return others(t, s) },
		Owned:      func(t *testing.T) any { return owned(t, s) },
		Reset:      func(t *testing.T) { reset(s) },
		Goroutines: 4,
	})
}

// TestWeightedShares: the weights and statuses each share writes; 0 % and
// 100 % disable a side (Traffic Manager has no weight 0) and keep its
// weight.
func TestWeightedShares(t *testing.T) {
	s := start(t)
	tg := newTarget(t, provider(s), nil)
	for _, c := range []struct {
		want       providers.Share
		east, west string
	}{
		{0, "1000 Disabled", "1000 Enabled"},
		{2500, "250 Enabled", "750 Enabled"},
		{5000, "500 Enabled", "500 Enabled"},
		{10000, "1000 Enabled", "500 Disabled"},
		{9995, "1000 Enabled", "1 Enabled"},
		{10, "1 Enabled", "999 Enabled"},
	} {
		got, err := tg.Apply(ctx(t), c.want)
		if err != nil {
			t.Fatalf("Apply(%v): %v", c.want, err)
		}
		if d := int(got) - int(c.want); d < -int(tg.Resolution()) || d > int(tg.Resolution()) {
			t.Errorf("Apply(%v) delivered %v", c.want, got)
		}
		o := owned(t, s).([]string)
		if o[0] != "east "+c.east || o[1] != "west "+c.west {
			t.Errorf("Apply(%v): endpoints %q, want east %s, west %s", c.want, o, c.east, c.west)
		}
		if obs, err := tg.Observe(ctx(t)); err != nil || obs != got {
			t.Errorf("Observe after Apply(%v) = %v, %v; want %v", c.want, obs, err, got)
		}
	}
	if e, _ := s.Endpoint(sub, group, "web", "legacy"); e.Status != "Disabled" || e.Weight != 5 {
		t.Errorf("the foreign endpoint changed: %+v", e)
	}
	// A repeated Apply writes nothing.
	before := s.Calls("PATCH endpoint")
	if _, err := tg.Apply(ctx(t), 10); err != nil {
		t.Fatal(err)
	}
	if n := s.Calls("PATCH endpoint") - before; n != 0 {
		t.Errorf("a repeated Apply sent %d PATCHes", n)
	}
	// One GET serves a run's Observe and Foreign.
	rctx := providers.WithRunCache(ctx(t))
	gets := s.Calls("GET profile")
	tg.Observe(rctx)
	tg.(providers.ForeignReporter).Foreign(rctx)
	if n := s.Calls("GET profile") - gets; n != 1 {
		t.Errorf("Observe and Foreign in a run sent %d GETs, want 1", n)
	}
}

// TestForeignEndpoint: an enabled endpoint neither side names takes its
// part of the traffic, is reported, and is kept by Apply.
func TestForeignEndpoint(t *testing.T) {
	s := start(t)
	s.AddProfile(azsim.Profile{Subscription: sub, ResourceGroup: group, Name: "web", RoutingMethod: "Weighted", Endpoints: []*azsim.Endpoint{
		{Name: "east", Type: "AzureEndpoints", Target: "e", Weight: 500},
		{Name: "west", Type: "ExternalEndpoints", Target: "w", Weight: 250},
		{Name: "legacy", Type: "NestedEndpoints", Target: "l", Weight: 250},
	}})
	tg := newTarget(t, provider(s), nil)
	if got, err := tg.Observe(ctx(t)); err != nil || got != 5000 {
		t.Fatalf("Observe = %v, %v; want 50 %%", got, err)
	}
	f, err := tg.(providers.ForeignReporter).Foreign(ctx(t))
	if err != nil || len(f) != 1 || f[0] != "endpoint legacy (weight 250)" {
		t.Fatalf("Foreign = %q, %v", f, err)
	}
	if _, err := tg.Apply(ctx(t), 10000); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.Endpoint(sub, group, "web", "legacy"); e.Status != "Enabled" || e.Weight != 250 {
		t.Errorf("Apply changed the foreign endpoint: %+v", e)
	}
}

func TestBadInput(t *testing.T) {
	s := start(t)
	pc := provider(s)
	mustFail := func(t *testing.T, tg providers.Target, wants ...string) {
		t.Helper()
		patches := s.Calls("PATCH endpoint")
		_, oerr := tg.Observe(ctx(t))
		_, aerr := tg.Apply(ctx(t), 5000)
		for _, err := range []error{oerr, aerr} {
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the secret", err)
			}
		}
		if n := s.Calls("PATCH endpoint") - patches; n != 0 {
			t.Errorf("%d PATCHes sent", n)
		}
	}
	t.Run("ProfileNotFound", func(t *testing.T) {
		mustFail(t, newTarget(t, pc, map[string]any{"profile": "nowhere"}), "nowhere", "not found", "404")
	})
	t.Run("NotWeighted", func(t *testing.T) {
		mustFail(t, newTarget(t, pc, map[string]any{"profile": "prio", "secondary": []string{"west"}}), "prio", "Priority routing method", "Weighted")
	})
	t.Run("NoSuchEndpoint", func(t *testing.T) {
		mustFail(t, newTarget(t, pc, map[string]any{"secondary": []string{"south"}}), `no endpoint "south"`, "never creates")
	})
	t.Run("WeightOutOfRange", func(t *testing.T) {
		s.AddProfile(azsim.Profile{Subscription: sub, ResourceGroup: group, Name: "odd", RoutingMethod: "Weighted", Endpoints: []*azsim.Endpoint{
			{Name: "east", Type: "AzureEndpoints", Weight: 1000}, {Name: "west", Type: "AzureEndpoints", Weight: 1001}}})
		mustFail(t, newTarget(t, pc, map[string]any{"profile": "odd"}), `endpoint "west" has weight 1001`, "1-1000")
	})
	t.Run("NothingEnabled", func(t *testing.T) {
		s.AddProfile(azsim.Profile{Subscription: sub, ResourceGroup: group, Name: "off", RoutingMethod: "Weighted", Endpoints: []*azsim.Endpoint{
			{Name: "east", Type: "AzureEndpoints", Weight: 1, Status: "Disabled"}, {Name: "west", Type: "AzureEndpoints", Weight: 1, Status: "Disabled"}}})
		_, err := newTarget(t, pc, map[string]any{"profile": "off"}).Observe(ctx(t))
		if err == nil || !strings.Contains(err.Error(), "no endpoint is enabled") {
			t.Fatalf("Observe = %v", err)
		}
	})
	t.Run("WrongToken", func(t *testing.T) {
		s2 := azsim.New("other-token")
		defer s2.Close()
		defer azure.UseEmulator(s2.URL, azure.Emulator{Transport: s2.Client(), Credential: staticToken(token), RetryDelay: time.Millisecond})()
		_, err := newTarget(t, provider(s2), nil).Observe(ctx(t))
		if err == nil || !strings.Contains(err.Error(), "401") || providers.IsTransient(err) || strings.Contains(err.Error(), secret) {
			t.Fatalf("Observe with a refused token: %v (transient %v)", err, providers.IsTransient(err))
		}
	})
	t.Run("Static", func(t *testing.T) {
		k := kind(t, providers.ClassTarget, azure.Kind)
		for _, body := range []map[string]any{
			{"resource_group": group, "profile": "web", "primary": []string{"east"}, "secondary": []string{"East"}},
			{"resource_group": group, "profile": "w/eb", "primary": []string{"east"}, "secondary": []string{"west"}},
			{"resource_group": group, "profile": "web", "primary": []string{}, "secondary": []string{"west"}},
		} {
			_, err := k.NewTarget(providers.Config{Name: "web", Attrs: providertest.Body(t, k, body), Provider: pc})
			if err == nil {
				t.Errorf("NewTarget(%v) = nil error", body)
			}
		}
	})
}

// TestFaults: throttling and server errors with Retry-After are retried by
// the SDK's retry policy; past its retries they are transient errors.
func TestFaults(t *testing.T) {
	s := start(t)
	tg := newTarget(t, provider(s), nil)
	s.Fail(2, 429, "0")
	if got, err := tg.Observe(ctx(t)); err != nil || got != 10000 {
		t.Fatalf("Observe after two 429s = %v, %v", got, err)
	}
	s.Fail(1, 503, "0")
	if _, err := tg.Apply(ctx(t), 5000); err != nil {
		t.Fatalf("Apply after a 503: %v", err)
	}
	s.Fail(10, 500, "0")
	_, err := tg.Apply(ctx(t), 2500)
	if err == nil || !providers.IsTransient(err) || !strings.Contains(err.Error(), "500") || strings.Contains(err.Error(), secret) {
		t.Fatalf("Apply against a failing ARM: %v (transient %v)", err, providers.IsTransient(err))
	}
}

// TestSensitiveValuesHidden: the client secret and sensitive names stay
// out of errors and Foreign.
func TestSensitiveValuesHidden(t *testing.T) {
	s := start(t)
	tg := newTarget(t, provider(s), map[string]any{"profile": cty.StringVal("hidden-prof").Mark("sensitive")})
	_, err := tg.Observe(ctx(t))
	if err == nil || strings.Contains(err.Error(), "hidden-prof") || strings.Contains(err.Error(), secret) {
		t.Fatalf("Observe with a sensitive profile: %v", err)
	}
	k := kind(t, providers.ClassTarget, azure.Kind)
	pc := provider(s)
	pc.Attrs = cty.ObjectVal(map[string]cty.Value{"subscription_id": cty.StringVal(sub), "tenant_id": cty.NullVal(cty.String),
		"client_id": cty.StringVal("c"), "client_secret": cty.StringVal(secret).Mark("sensitive"), "endpoint_url": cty.StringVal(s.URL)})
	_, err = k.NewTarget(providers.Config{Name: "web", Attrs: providertest.Body(t, k, map[string]any{"resource_group": group, "profile": "web", "primary": []string{"east"}, "secondary": []string{"west"}}), Provider: pc})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("NewTarget without tenant_id: %v", err)
	}
}
