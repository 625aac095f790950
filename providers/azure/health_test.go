package azure_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/azure"
	"github.com/fbctl/fbctl/providers/providertest"
)

func TestEndpointHealth(t *testing.T) {
	s := start(t)
	k := kind(t, providers.ClassCheck, azure.HealthKind)
	check := func(profile, endpoint string) providers.Check {
		c, err := k.NewCheck(providers.Config{Name: "h", Timeout: 10 * time.Second, Provider: provider(s),
			Attrs: providertest.ValidBody(t, k, map[string]any{"resource_group": group, "profile": profile, "endpoint": endpoint})})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, c := range []struct {
		health, endpoint, profile string
		healthy, unknown          bool
		detail                    string
	}{
		{"Online", "east", "web", true, false, "is Online"},
		{"Degraded", "east", "web", false, false, "is Degraded"},
		{"Stopped", "east", "web", false, false, "is Stopped"},
		{"Inactive", "east", "web", false, false, "is Inactive"},
		{"CheckingEndpoint", "east", "web", false, true, "not probed yet"},
		{"Online", "west", "web", false, false, "is Disabled"}, // endpointStatus Disabled
		{"Online", "south", "web", false, false, "has no endpoint south"},
		{"Online", "east", "nowhere", false, false, "profile nowhere not found"},
	} {
		reset(s)
		s.SetHealth(sub, group, "web", c.endpoint, c.health)
		r := check(c.profile, c.endpoint).Probe(ctx(t))
		if r.Healthy != c.healthy || r.Unknown != c.unknown || !strings.Contains(r.Detail, c.detail) {
			t.Errorf("%s/%s at %s: %+v, want healthy %v unknown %v detail ~%q", c.profile, c.endpoint, c.health, r, c.healthy, c.unknown, c.detail)
		}
	}
	s.Fail(10, 503, "0")
	r := check("web", "east").Probe(ctx(t))
	if r.Healthy || !strings.Contains(r.Detail, "503") || strings.Contains(r.Detail, secret) {
		t.Errorf("probe against a failing ARM: %+v", r)
	}
}
