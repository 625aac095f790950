package gcp_test

import (
	"strings"
	"testing"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/gcp"
	"github.com/fbctl/fbctl/providers/providertest"
)

// TestValidateRefusesOneResourceInTwoSpellings: a name and its path name
// one resource whatever the provider's project, so Validate refuses them
// as the constructor does; a spelling that names another project is left
// to the constructor, which knows the provider's project.
func TestValidateRefusesOneResourceInTwoSpellings(t *testing.T) {
	r := providers.NewRegistry()
	gcp.Register(r)
	for _, tc := range []struct {
		kind      string
		given     map[string]any
		wantTwice bool
	}{
		{"gcp_url_map", map[string]any{"url_map": "web", "primary": []string{"blue"}, "secondary": []string{"global/backendServices/blue"}}, true},
		{"gcp_url_map", map[string]any{"url_map": "web", "primary": []string{"blue"}, "secondary": []string{"projects/other/global/backendServices/blue"}}, false},
		{"gcp_backend_capacity", map[string]any{"backend_service": "web", "primary": []string{"us-east1-b/blue"}, "secondary": []string{"zones/us-east1-b/instanceGroups/blue"}}, true},
		{"gcp_backend_capacity", map[string]any{"backend_service": "web", "primary": []string{"us-east1-b/blue"}, "secondary": []string{"us-east1-c/blue"}}, false},
	} {
		k, err := r.Kind(providers.ClassTarget, tc.kind)
		if err != nil {
			t.Fatal(err)
		}
		var got bool
		for _, p := range k.Problems(providertest.Body(t, k, tc.given)) {
			got = got || strings.Contains(p.Detail, "name the same")
		}
		if got != tc.wantTwice {
			t.Errorf("%s %v: refused as named twice = %v, want %v", tc.kind, tc.given, got, tc.wantTwice)
		}
	}
}
