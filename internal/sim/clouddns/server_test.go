package clouddns

import (
	"context"
	"errors"
	"net/http"
	"testing"

	dns "google.golang.org/api/dns/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

func client(t *testing.T, u string) *dns.Service {
	t.Helper()
	svc, err := dns.NewService(context.Background(), option.WithEndpoint(u+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func status(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

// The documented protocol through Google's generated dns/v1 client.
func TestProtocol(t *testing.T) {
	s, u := seeded(t)
	for i := range 5 {
		s.Put("zone-a", &dns.ResourceRecordSet{Name: string(rune('a'+i)) + ".example.test.", Type: "TXT", Ttl: 60, Rrdatas: []string{`"x"`}})
	}
	svc := client(t, u)
	ctx := context.Background()

	z, err := svc.ManagedZones.Get("proj", "zone-a").Do()
	if err != nil || z.DnsName != "example.test." {
		t.Fatalf("managedZones.get = %+v, %v", z, err)
	}
	if _, err := svc.ManagedZones.Get("proj", "nope").Do(); status(err) != http.StatusNotFound {
		t.Fatalf("missing zone: %v", err)
	}
	zl, err := svc.ManagedZones.List("proj").Do()
	if err != nil || len(zl.ManagedZones) != 1 {
		t.Fatalf("managedZones.list = %+v, %v", zl, err)
	}

	// Pages of 2: 7 record sets in 4 pages.
	n, pages := 0, 0
	if err := svc.ResourceRecordSets.List("proj", "zone-a").MaxResults(2).Pages(ctx, func(r *dns.ResourceRecordSetsListResponse) error {
		n += len(r.Rrsets)
		pages++
		return nil
	}); err != nil || n != 7 || pages != 4 {
		t.Fatalf("list pages: %d rrsets in %d pages, %v", n, pages, err)
	}
	l, err := svc.ResourceRecordSets.List("proj", "zone-a").Name("www.example.test.").Type("A").Do()
	if err != nil || len(l.Rrsets) != 1 || l.Rrsets[0].RoutingPolicy.Wrr.Items[0].Weight != 90 {
		t.Fatalf("filtered list = %+v, %v", l, err)
	}
	cur, err := svc.ResourceRecordSets.Get("proj", "zone-a", "www.example.test.", "A").Do()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ResourceRecordSets.Get("proj", "zone-a", "nope.example.test.", "A").Do(); status(err) != http.StatusNotFound {
		t.Fatalf("missing rrset: %v", err)
	}

	// A deletion that is not the current record set exactly: 412, nothing
	// changes.
	stale := *cur
	stale.Ttl = 61
	next := *cur
	next.RoutingPolicy = &dns.RRSetRoutingPolicy{Wrr: &dns.RRSetRoutingPolicyWrrPolicy{Items: []*dns.RRSetRoutingPolicyWrrPolicyWrrPolicyItem{
		{Weight: 0, Rrdatas: []string{"192.0.2.1"}, ForceSendFields: []string{"Weight"}}, {Weight: 1, Rrdatas: []string{"198.51.100.1"}}}}}
	if _, err := svc.Changes.Create("proj", "zone-a", &dns.Change{Deletions: []*dns.ResourceRecordSet{&stale}, Additions: []*dns.ResourceRecordSet{&next}}).Do(); status(err) != http.StatusPreconditionFailed {
		t.Fatalf("stale deletion: %v", err)
	}
	// An addition that exists: 409.
	if _, err := svc.Changes.Create("proj", "zone-a", &dns.Change{Additions: []*dns.ResourceRecordSet{&next}}).Do(); status(err) != http.StatusConflict {
		t.Fatalf("existing addition: %v", err)
	}
	// Weights out of range: 400.
	bad := next
	bad.RoutingPolicy = &dns.RRSetRoutingPolicy{Wrr: &dns.RRSetRoutingPolicyWrrPolicy{Items: []*dns.RRSetRoutingPolicyWrrPolicyWrrPolicyItem{{Weight: 1001, Rrdatas: []string{"192.0.2.1"}}}}}
	if _, err := svc.Changes.Create("proj", "zone-a", &dns.Change{Deletions: []*dns.ResourceRecordSet{cur}, Additions: []*dns.ResourceRecordSet{&bad}}).Do(); status(err) != http.StatusBadRequest {
		t.Fatalf("weight 1001: %v", err)
	}
	if got := s.Get("zone-a", "www.example.test.", "A"); got.RoutingPolicy.Wrr.Items[0].Weight != 90 {
		t.Fatalf("a refused change changed the record set: %+v", got)
	}
	// The current record set as read: applied, done.
	c, err := svc.Changes.Create("proj", "zone-a", &dns.Change{Deletions: []*dns.ResourceRecordSet{cur}, Additions: []*dns.ResourceRecordSet{&next}}).Do()
	if err != nil || c.Status != "done" {
		t.Fatalf("change = %+v, %v", c, err)
	}
	if got, err := svc.Changes.Get("proj", "zone-a", c.Id).Do(); err != nil || got.Status != "done" || len(got.Additions) != 1 {
		t.Fatalf("changes.get = %+v, %v", got, err)
	}
	got := s.Get("zone-a", "www.example.test.", "A")
	if got.RoutingPolicy.Wrr.Items[0].Weight != 0 || got.RoutingPolicy.Wrr.Items[1].Weight != 1 {
		t.Fatalf("after change: %+v", got.RoutingPolicy.Wrr.Items)
	}
	if c := s.Calls(); c["changes.create"] != 4 || c["rrsets.list"] != 5 {
		t.Fatalf("calls = %v", c)
	}
}
