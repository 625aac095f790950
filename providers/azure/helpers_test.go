package azure_test

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/zclconf/go-cty/cty"

	azsim "github.com/fbctl/fbctl/internal/sim/azure"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/azure"
	"github.com/fbctl/fbctl/providers/providertest"
)

const (
	sub    = "00000000-0000-0000-0000-000000000001"
	group  = "rg-web"
	token  = "test-token-4f1c"
	secret = "s3cr3t-client-secret-value"
)

// staticToken is a credential that needs no login endpoint.
type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// start starts an emulator holding the test profiles: "web" (Weighted; the
// target's endpoints "east" (azure) and "west" (external), a foreign
// disabled "legacy" (nested)), and "prio" (Priority routing).
func start(t testing.TB) *azsim.Server {
	t.Helper()
	s := azsim.New(token)
	t.Cleanup(s.Close)
	t.Cleanup(azure.UseEmulator(s.URL, azure.Emulator{Transport: s.Client(), Credential: staticToken(token), RetryDelay: time.Millisecond}))
	reset(s)
	s.AddProfile(azsim.Profile{Subscription: sub, ResourceGroup: group, Name: "prio", RoutingMethod: "Priority", Endpoints: []*azsim.Endpoint{
		{Name: "east", Type: "AzureEndpoints", Target: "east.example.test", Weight: 1, Priority: 1},
	}})
	return s
}

// reset puts profile "web" back: all traffic on the primary.
func reset(s *azsim.Server) {
	s.AddProfile(azsim.Profile{Subscription: sub, ResourceGroup: group, Name: "web", RoutingMethod: "Weighted", Endpoints: []*azsim.Endpoint{
		{Name: "east", Type: "AzureEndpoints", Target: "east.example.test", Weight: 1000, Extra: map[string]any{"targetResourceId": "/subscriptions/" + sub + "/resourceGroups/" + group + "/providers/Microsoft.Web/sites/east"}},
		{Name: "west", Type: "ExternalEndpoints", Target: "west.example.test", Weight: 1, Status: "Disabled", Extra: map[string]any{"customHeaders": []any{map[string]any{"name": "host", "value": "west.example.test"}}}},
		{Name: "legacy", Type: "NestedEndpoints", Target: "legacy.example.test", Weight: 5, Status: "Disabled", Extra: map[string]any{"minChildEndpoints": 1}},
	}})
}

func kind(t testing.TB, class providers.Class, name string) *providers.Kind {
	t.Helper()
	r := providers.NewRegistry()
	azure.Register(r)
	k, err := r.Kind(class, name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func provider(s *azsim.Server) *providers.ProviderConfig {
	return &providers.ProviderConfig{Type: "azure", Name: "az", Attrs: cty.ObjectVal(map[string]cty.Value{
		"subscription_id": cty.StringVal(sub),
		"tenant_id":       cty.StringVal("tenant-1"),
		"client_id":       cty.StringVal("client-1"),
		"client_secret":   cty.StringVal(secret).Mark("sensitive"),
		"endpoint_url":    cty.StringVal(s.URL),
	})}
}

func newTarget(t testing.TB, pc *providers.ProviderConfig, given map[string]any) providers.Target {
	t.Helper()
	k := kind(t, providers.ClassTarget, azure.Kind)
	body := map[string]any{"resource_group": group, "profile": "web", "primary": []string{"east"}, "secondary": []string{"west"}}
	for key, v := range given {
		body[key] = v
	}
	tg, err := k.NewTarget(providers.Config{Name: "web", Attrs: providertest.ValidBody(t, k, body), Provider: pc})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
