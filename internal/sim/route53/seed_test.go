package route53sim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"
)

const seedDoc = `{
  "zones": [{
    "name": "Example.com", "id": "Z0EXAMPLE",
    "record_sets": [
      {"name": "app.example.com", "type": "A", "set_identifier": "blue", "weight": 200, "ttl": 60,
       "resource_records": ["192.0.2.1"], "health_check_id": "hc-blue"},
      {"name": "app.example.com.", "type": "A", "set_identifier": "green", "weight": 0, "ttl": 60,
       "resource_records": ["192.0.2.2"], "health_check_id": "hc-green"},
      {"name": "www.example.com", "type": "A", "set_identifier": "lb", "weight": 1,
       "alias_target": {"hosted_zone_id": "Z35SXDOTRQ7X7K", "dns_name": "LB-1.us-east-1.elb.amazonaws.com", "evaluate_target_health": true}},
      {"name": "geo.example.com", "type": "A", "set_identifier": "eu", "ttl": 60, "resource_records": ["192.0.2.3"],
       "geo_location": {"continent_code": "EU"}}
    ]
  }, {"name": "internal.example", "private": true, "comment": "vpc"}],
  "health_checks": [
    {"id": "hc-blue", "healthy": 14, "unhealthy": 2},
    {"id": "hc-green", "observations": [{"region": "us-east-1", "ip_address": "15.177.0.1", "status": "Failure: Connection refused"}]}
  ]
}`

func TestLoadSeedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "route53.json")
	must(t, os.WriteFile(path, []byte(seedDoc), 0o644))
	srv := New(Options{})
	must(t, srv.LoadSeed(path))
	if srv.URL() != "" {
		t.Fatal("URL before Start")
	}
	url := start(t, srv)
	if srv.URL() != url {
		t.Fatalf("URL() = %q, Start returned %q", srv.URL(), url)
	}
	c := client(url, false)
	ctx := context.Background()

	all, _ := listAll(t, c, "Z0EXAMPLE", 0)
	want := []string{"example.com. NS ", "example.com. SOA ", "app.example.com. A blue", "app.example.com. A green",
		"geo.example.com. A eu", "www.example.com. A lb"}
	if d := cmp.Diff(want, names(all)); d != "" {
		t.Fatalf("seeded sets (-want +got):\n%s", d)
	}
	green := all[3]
	if green.Weight == nil || *green.Weight != 0 || aws.ToString(green.HealthCheckId) != "hc-green" {
		t.Fatalf("green = %+v", green)
	}
	if geo := all[4]; geo.GeoLocation == nil || aws.ToString(geo.GeoLocation.ContinentCode) != "EU" {
		t.Fatalf("geo = %+v", geo)
	}
	if lb := all[5]; lb.AliasTarget == nil || aws.ToString(lb.AliasTarget.DNSName) != "lb-1.us-east-1.elb.amazonaws.com." ||
		!lb.AliasTarget.EvaluateTargetHealth || lb.TTL != nil {
		t.Fatalf("alias = %+v", lb)
	}
	hs, err := c.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String("hc-blue")})
	if err != nil || len(hs.HealthCheckObservations) != 16 {
		t.Fatalf("hc-blue: %v %+v", err, hs)
	}
	zs, err := c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("internal.example")})
	if err != nil || len(zs.HostedZones) != 1 || !zs.HostedZones[0].Config.PrivateZone || aws.ToString(zs.HostedZones[0].Config.Comment) != "vpc" {
		t.Fatalf("private zone: %v %+v", err, zs)
	}

	// A seeded geolocation set blocks a weighted one with the same name and type.
	_, err = changeRRS(ctx, c, "Z0EXAMPLE", chg(types.ChangeActionCreate, weighted("geo.example.com", "w", 1, 60, "192.0.2.9")))
	if !errorAs[*types.InvalidChangeBatch](err) {
		t.Fatalf("weighted beside geolocation: %v", err)
	}
}

func TestLoadSeedRejectsBadDocuments(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":    `{"zones": [{"name": "example.com", "records": []}]}`,
		"outside the zone": `{"zones": [{"name": "example.com", "record_sets": [{"name": "a.example.org", "type": "A"}]}]}`,
		"no type":          `{"zones": [{"name": "example.com", "record_sets": [{"name": "a.example.com"}]}]}`,
		"duplicate id":     `{"zones": [{"name": "example.com", "id": "Z1"}, {"name": "example.org", "id": "Z1"}]}`,
		"bad zone name":    `{"zones": [{"name": "a..example.com"}]}`,
		"health check id":  `{"health_checks": [{"healthy": 1}], "zones": [{"name": "example.com"}]}`,
		"not json":         `zones:`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := New(Options{})
			if err := srv.LoadSeedJSON([]byte(doc)); err == nil {
				t.Fatal("loaded")
			}
			if _, ok := srv.ZoneID("example.com"); ok {
				t.Fatal("a failed seed added a zone")
			}
		})
	}
	if err := New(Options{}).LoadSeed(filepath.Join(t.TempDir(), "missing.json")); err == nil ||
		!strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing file: %v", err)
	}
}
