package azure_test

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/azure"
	"github.com/fbctl/fbctl/providers/providertest"
)

func providerType(t *testing.T) *providers.ProviderType {
	t.Helper()
	r := providers.NewRegistry()
	azure.Register(r)
	for _, n := range r.ProviderNames() {
		if n == azure.ProviderType {
			p, err := r.Provider(n)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	t.Fatal("no azure provider type")
	return nil
}

// TestProviderValidation: the provider block's static rules, the secret
// never in a detail.
func TestProviderValidation(t *testing.T) {
	pt := providerType(t)
	obj := func(m map[string]cty.Value) cty.Value {
		for _, a := range []string{"subscription_id", "tenant_id", "client_id", "client_secret", "endpoint_url"} {
			if _, ok := m[a]; !ok {
				m[a] = cty.NullVal(cty.String)
			}
		}
		return cty.ObjectVal(m)
	}
	sec := cty.StringVal(secret).Mark("sensitive")
	for _, c := range []struct {
		attrs map[string]cty.Value
		want  string
	}{
		{map[string]cty.Value{"subscription_id": cty.StringVal("s")}, ""},
		{map[string]cty.Value{"subscription_id": cty.StringVal("s"), "tenant_id": cty.StringVal("t"), "client_id": cty.StringVal("c"), "client_secret": sec}, ""},
		{map[string]cty.Value{"subscription_id": cty.StringVal("s"), "client_id": cty.StringVal("c"), "client_secret": sec}, "tenant_id"},
		{map[string]cty.Value{"subscription_id": cty.StringVal("s"), "endpoint_url": cty.StringVal("http://127.0.0.1:1")}, "endpoint_url"},
		{map[string]cty.Value{"subscription_id": cty.StringVal("s/x")}, "subscription_id"},
	} {
		ps := pt.Problems(obj(c.attrs))
		if c.want == "" && len(ps) > 0 || c.want != "" && (len(ps) == 0 || ps[0].Attr != c.want) {
			t.Errorf("%v: problems %+v, want one on %q", c.attrs, ps, c.want)
		}
		for _, p := range ps {
			if strings.Contains(p.Detail, secret) {
				t.Errorf("detail %q shows the secret", p.Detail)
			}
		}
	}
}

// TestSteers: one object per endpoint, names compared without case.
func TestSteers(t *testing.T) {
	k := kind(t, providers.ClassTarget, azure.Kind)
	pc := &providers.ProviderConfig{Type: "azure", Name: "az", Attrs: cty.ObjectVal(map[string]cty.Value{
		"subscription_id": cty.StringVal(sub), "tenant_id": cty.NullVal(cty.String), "client_id": cty.NullVal(cty.String),
		"client_secret": cty.NullVal(cty.String), "endpoint_url": cty.NullVal(cty.String)})}
	a := k.Steers(providers.Config{Provider: pc, Attrs: providertest.ValidBody(t, k, map[string]any{"resource_group": group, "profile": "web", "primary": []string{"east"}, "secondary": []string{"west"}})})
	b := k.Steers(providers.Config{Provider: pc, Attrs: providertest.ValidBody(t, k, map[string]any{"resource_group": strings.ToUpper(group), "profile": "WEB", "primary": []string{"EAST"}, "secondary": []string{"south"}})})
	if len(a) != 2 || len(b) != 2 || a[0].Key != b[0].Key || a[1].Key == b[1].Key {
		t.Fatalf("steers: %+v / %+v", a, b)
	}
}
