package kinds_test

import (
	"slices"
	"testing"

	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/providers"
)

// TestEveryDesignedKindIsRegistered pins the kinds DESIGN.md names: each
// must have a schema, so policies using it validate.
func TestEveryDesignedKindIsRegistered(t *testing.T) {
	r := kinds.Registry()
	want := map[providers.Class][]string{
		providers.ClassTarget: {"alb_forward", "azure_traffic_manager", "cloud_dns_wrr", "dns_rrset", "gcp_backend_capacity", "gcp_url_map", "haproxy_backend", "powerdns_weighted", "route53_weighted"},
		providers.ClassCheck:  {"alb_target_health", "azure_endpoint_health", "dns", "gcp_backend_health", "http", "mysql_replication", "postgres_replication", "prometheus", "route53_health", "sql", "tcp"},
	}
	for class, names := range want {
		if got := r.KindNames(class); !slices.Equal(got, names) {
			t.Errorf("%s kinds = %v, want %v", class, got, names)
		}
		for _, k := range r.Kinds(class) {
			if k.Doc == "" {
				t.Errorf("%s kind %s has no doc", class, k.Name)
			}
			if class == providers.ClassTarget && (k.Attribute("primary") == nil || k.Attribute("secondary") == nil) {
				t.Errorf("target kind %s lacks primary/secondary", k.Name)
			}
			// Overlapping targets are refused only for kinds that say what
			// they steer.
			if class == providers.ClassTarget && k.Steers == nil {
				t.Errorf("target kind %s has no Steers", k.Name)
			}
			for _, a := range k.Attributes {
				if a.Doc == "" {
					t.Errorf("%s.%s has no doc", k.Name, a.Name)
				}
			}
		}
	}
	if got := r.ProviderNames(); !slices.Equal(got, []string{"aws", "azure", "gcp", "libdns", "powerdns"}) {
		t.Errorf("provider types = %v", got)
	}
}
