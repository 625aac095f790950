package kinds_test

import (
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

// validBlocks is one valid block per registered kind, and validProviders
// one per provider type: the starting points of the parity test. A kind
// registered without one fails TestStaticParity, so a new kind cannot
// escape it. No address here is ever dialled: constructors do no I/O.
var validBlocks = map[string]map[string]any{
	"http":       {"url": "https://api.example.test/healthz", "headers": cty.MapVal(map[string]cty.Value{"Accept": cty.StringVal("application/json")}), "body_regex": "ok", "host": "api.example.test", "server_name": "api.example.test"},
	"tcp":        {"address": "db.example.test:5432"},
	"dns":        {"name": "api.example.test", "server": "127.0.0.1:53", "expect": []string{"192.0.2.1"}},
	"prometheus": {"address": "http://prometheus:9090", "query": "up", "min": 1, "for": "10m", "step": "1m", "headers": cty.MapVal(map[string]cty.Value{"Accept": cty.StringVal("application/json")})},

	"sql":                  {"driver": "postgres", "dsn": "postgres://fbctl:pw@db.example.test:5432/app?sslmode=require", "query": "SELECT 1", "min": 0, "max": 10},
	"postgres_replication": {"dsn": "host=standby.example.test port=5432 user=fbctl password='p w' dbname=postgres", "upstream_dsn": "postgres://fbctl@primary.example.test/postgres", "max_lag_bytes": 1048576},
	"mysql_replication":    {"dsn": "fbctl:pw@tcp(replica.example.test:3306)/", "max_lag": 30},

	"route53_weighted":  {"zone_id": "Z123", "name": "api.example.test", "primary": []string{"blue"}, "secondary": []string{"green"}},
	"alb_forward":       {"listener_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/2", "primary": []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1"}, "secondary": []string{"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2"}},
	"route53_health":    {"health_check_id": "abcdef01-2345-6789-abcd-ef0123456789"},
	"alb_target_health": {"target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1"},

	"gcp_url_map":          {"url_map": "web-map", "path_matcher": "api", "route_rule": 10, "primary": []string{"blue"}, "secondary": []string{"green"}},
	"gcp_backend_capacity": {"backend_service": "web", "primary": []string{"us-east1-b/blue"}, "secondary": []string{"us-east1-c/green"}},
	"gcp_backend_health":   {"backend_service": "web", "groups": []string{"us-east1-b/blue"}},
	"cloud_dns_wrr":        {"managed_zone": "zone-a", "name": "www", "type": "A", "primary": []string{"192.0.2.1"}, "secondary": []string{"192.0.2.2"}},

	"azure_traffic_manager": {"resource_group": "rg-web", "profile": "web", "primary": []string{"east"}, "secondary": []string{"west"}},
	"azure_endpoint_health": {"resource_group": "rg-web", "profile": "web", "endpoint": "east"},

	"dns_rrset":         {"zone": "example.test", "name": "api", "primary": []string{"192.0.2.1"}, "secondary": []string{"192.0.2.2"}, "ttl": 60},
	"powerdns_weighted": {"zone": "example.test", "name": "www", "type": "A", "primary": []string{"192.0.2.1"}, "secondary": []string{"192.0.2.2"}, "function": "pickwhashed"},
	"haproxy_backend":   {"runtime_api": "127.0.0.1:9999", "backend": "web", "primary": []string{"blue1"}, "secondary": []string{"green1"}},
}

var validProviders = map[string]map[string]any{
	"aws":      {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:1"},
	"gcp":      {"project": "proj-1", "endpoint_url": "http://127.0.0.1:1"},
	"azure":    {"subscription_id": "sub-1", "tenant_id": "tenant-1", "client_id": "client-1", "client_secret": "secret", "endpoint_url": "https://127.0.0.1:1"},
	"powerdns": {"api_url": "http://127.0.0.1:8081", "api_key": "secret", "server_id": "localhost"},
	"libdns":   {"driver": "rfc2136", "config": cty.MapVal(map[string]cty.Value{"server": cty.StringVal("127.0.0.1:53"), "key_name": cty.StringVal("fbctl."), "key": cty.StringVal("c2VjcmV0c2VjcmV0c2VjcmV0")})},
}

// exceptions are the cases (by prefix of their names) a constructor may
// refuse for a reason Validate cannot see, per kind, with the reason.
// Nothing else may be.
var exceptions = map[string]map[string]string{
	// The file is read when the check is built: it must exist on the
	// controller, not where the policy is validated.
	"http":       {"ca_file=": "read from disk by the constructor"},
	"prometheus": {"ca_file=": "read from disk by the constructor"},
	// Driver secrets (an rfc2136 key's base64) are checked by the driver's
	// New only: policies are validated with placeholder secrets as often
	// as with real ones (see libdns.Driver.Check).
	"dns_rrset": {"provider.config={key=": "secrets are checked with their real value only"},
}

// TestStaticParity holds every registered kind, and the provider type it
// binds to, to one static verdict: for each hostile mutation of a valid
// block (providertest.ParityCases), Validate refuses it exactly when the
// constructor does.
func TestStaticParity(t *testing.T) {
	r := kinds.Registry()
	total := 0
	for _, class := range []providers.Class{providers.ClassTarget, providers.ClassCheck} {
		for _, k := range r.Kinds(class) {
			t.Run(k.Name, func(t *testing.T) {
				base := baseConfig(t, r, k)
				var pt *providers.ProviderType
				if k.Provider != "" {
					pt, _ = r.Provider(k.Provider)
				}
				providertest.Parity(t, k, pt, base, exceptions[k.Name])
				total += len(providertest.ParityCases(k, pt, base))
			})
		}
	}
	t.Logf("%d cases", total)
}

// TestEveryProviderTypeIsExercised: the parity test mutates a provider
// type's attributes through the kinds bound to it, so each must have one.
func TestEveryProviderTypeIsExercised(t *testing.T) {
	r := kinds.Registry()
	used := map[string]bool{}
	for _, class := range []providers.Class{providers.ClassTarget, providers.ClassCheck} {
		for _, k := range r.Kinds(class) {
			used[k.Provider] = true
		}
	}
	for _, p := range r.ProviderNames() {
		if !used[p] {
			t.Errorf("provider type %s has no kind, so TestStaticParity never mutates it", p)
		}
		if validProviders[p] == nil {
			t.Errorf("provider type %s has no valid block in validProviders", p)
		}
	}
}

func baseConfig(t *testing.T, r *providers.Registry, k *providers.Kind) providers.Config {
	t.Helper()
	given, ok := validBlocks[k.Name]
	if !ok {
		t.Fatalf("kind %s has no valid block in validBlocks: add one so the parity test covers it", k.Name)
	}
	cfg := providers.Config{Name: "parity", Attrs: providertest.Body(t, k, given)}
	if k.Class == providers.ClassCheck {
		cfg.Timeout = 2 * time.Second
	}
	if k.Provider != "" {
		pt, err := r.Provider(k.Provider)
		if err != nil {
			t.Fatal(err)
		}
		pg, ok := validProviders[pt.Name]
		if !ok {
			t.Fatalf("provider type %s has no valid block in validProviders", pt.Name)
		}
		cfg.Provider = &providers.ProviderConfig{Type: pt.Name, Name: "parity", Attrs: providertest.ProviderBody(t, pt, pg)}
	}
	return cfg
}
