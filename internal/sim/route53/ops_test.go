package route53sim

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"
)

func TestHostedZones(t *testing.T) {
	srv := New(Options{})
	com := srv.AddZone("Example.COM", false)
	priv := srv.AddZone("example.com.", true)
	sub := srv.AddZone("a.example.com", false)
	org := srv.AddZone("example.org", false)
	c := client(start(t, srv), false)
	ctx := context.Background()

	out, err := c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{})
	if err != nil {
		t.Fatal(err)
	}
	// Reversed labels: com.example < com.example.a < org.example; then id.
	var got []string
	for _, z := range out.HostedZones {
		got = append(got, aws.ToString(z.Name)+" "+aws.ToString(z.Id))
	}
	first, second := com, priv
	if priv < com {
		first, second = priv, com
	}
	want := []string{"example.com. /hostedzone/" + first, "example.com. /hostedzone/" + second,
		"a.example.com. /hostedzone/" + sub, "example.org. /hostedzone/" + org}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ListHostedZonesByName (-want +got):\n%s", d)
	}
	if z := out.HostedZones[0]; aws.ToInt64(z.ResourceRecordSetCount) != 2 || z.Config == nil {
		t.Fatalf("zone = %+v", z)
	}

	// Paging by name and id.
	page, err := c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: aws.String("example.com"), MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if !page.IsTruncated || aws.ToString(page.NextDNSName) != "example.com." || aws.ToString(page.NextHostedZoneId) != second {
		t.Fatalf("page = %+v", page)
	}
	page, err = c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{DNSName: page.NextDNSName,
		HostedZoneId: page.NextHostedZoneId, MaxItems: aws.Int32(10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.HostedZones) != 3 || aws.ToString(page.HostedZones[0].Id) != "/hostedzone/"+second || page.IsTruncated {
		t.Fatalf("second page = %+v", page)
	}
	_, err = c.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{HostedZoneId: aws.String(com)})
	if !errorAs[*types.InvalidInput](err) {
		t.Fatalf("hostedzoneid without dnsname: %v", err)
	}

	all, err := c.ListHostedZones(ctx, &route53.ListHostedZonesInput{MaxItems: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.HostedZones) != 3 || !all.IsTruncated || aws.ToString(all.NextMarker) != org {
		t.Fatalf("ListHostedZones = %+v", all)
	}

	gz, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("/hostedzone/" + com)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(gz.HostedZone.Name) != "example.com." || gz.HostedZone.Config.PrivateZone ||
		gz.DelegationSet == nil || len(gz.DelegationSet.NameServers) != 4 {
		t.Fatalf("GetHostedZone = %+v", gz)
	}
	gp, err := c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(priv)})
	if err != nil {
		t.Fatal(err)
	}
	if !gp.HostedZone.Config.PrivateZone || len(gp.VPCs) != 1 || gp.DelegationSet != nil {
		t.Fatalf("private GetHostedZone = %+v", gp)
	}
	_, err = c.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("ZNOPE")})
	if !errorAs[*types.NoSuchHostedZone](err) || httpStatus(err) != 404 {
		t.Fatalf("unknown zone: %v", err)
	}
	if id, ok := srv.ZoneID("a.EXAMPLE.com."); !ok || id != sub {
		t.Fatalf("ZoneID = %q %v", id, ok)
	}
}

func TestListOrderAndStart(t *testing.T) {
	srv := New(Options{})
	zoneID := srv.AddZone("example.com", false)
	for _, rs := range []RecordSet{
		{Name: "z.example.com", Type: "A", TTL: aws.Int64(60), ResourceRecords: []string{"192.0.2.1"}},
		{Name: "b.a.example.com", Type: "TXT", TTL: aws.Int64(60), ResourceRecords: []string{`"x"`}},
		{Name: "a.example.com", Type: "TXT", TTL: aws.Int64(60), ResourceRecords: []string{`"x"`}},
		{Name: "a.example.com", Type: "AAAA", TTL: aws.Int64(60), ResourceRecords: []string{"2001:db8::1"}},
		{Name: "a.example.com", Type: "A", SetIdentifier: "two", Weight: aws.Int64(1), TTL: aws.Int64(60), ResourceRecords: []string{"192.0.2.2"}},
		{Name: "a.example.com", Type: "A", SetIdentifier: "one", Weight: aws.Int64(1), TTL: aws.Int64(60), ResourceRecords: []string{"192.0.2.1"}},
		{Name: "a-b.example.com", Type: "A", TTL: aws.Int64(60), ResourceRecords: []string{"192.0.2.3"}},
	} {
		must(t, srv.PutRecordSet(zoneID, rs))
	}
	c := client(start(t, srv), false)
	got, _ := listAll(t, c, zoneID, 0)
	want := []string{
		"example.com. NS ", "example.com. SOA ",
		"a-b.example.com. A ", // "com.example.a-b." < "com.example.a.": the trailing dot counts
		"a.example.com. A one", "a.example.com. A two", "a.example.com. AAAA ", "a.example.com. TXT ",
		"b.a.example.com. TXT ", "z.example.com. A ",
	}
	if d := cmp.Diff(want, names(got)); d != "" {
		t.Fatalf("listing order (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, namesOf(srv.RecordSets(zoneID))); d != "" {
		t.Fatalf("RecordSets order (-want +got):\n%s", d)
	}

	ctx := context.Background()
	list := func(in route53.ListResourceRecordSetsInput) (*route53.ListResourceRecordSetsOutput, error) {
		in.HostedZoneId = aws.String(zoneID)
		return c.ListResourceRecordSets(ctx, &in)
	}
	out, err := list(route53.ListResourceRecordSetsInput{StartRecordName: aws.String("A.example.com"), StartRecordType: types.RRTypeA,
		StartRecordIdentifier: aws.String("two"), MaxItems: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a.example.com. A two", "a.example.com. AAAA "}, names(out.ResourceRecordSets)); d != "" {
		t.Fatalf("start at (a, A, two):\n%s", d)
	}
	if aws.ToString(out.NextRecordName) != "a.example.com." || out.NextRecordType != types.RRTypeTxt || out.NextRecordIdentifier != nil {
		t.Fatalf("next = %+v", out)
	}
	out, err = list(route53.ListResourceRecordSetsInput{StartRecordName: aws.String("b.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if n := names(out.ResourceRecordSets); n[0] != "z.example.com. A " || out.IsTruncated {
		t.Fatalf("start at b.example.com: %v", n)
	}
	out, err = list(route53.ListResourceRecordSetsInput{MaxItems: aws.Int32(1000)})
	if err != nil || aws.ToInt32(out.MaxItems) != 300 {
		t.Fatalf("maxitems 1000: %v %v", err, out)
	}

	for name, in := range map[string]route53.ListResourceRecordSetsInput{
		"type without name":       {StartRecordType: types.RRTypeA},
		"identifier without type": {StartRecordName: aws.String("a.example.com"), StartRecordIdentifier: aws.String("one")},
		"unknown type":            {StartRecordName: aws.String("a.example.com"), StartRecordType: "AXFR"},
	} {
		if _, err := list(in); !errorAs[*types.InvalidInput](err) || httpStatus(err) != 400 {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err = c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("ZNOPE")})
	if !errorAs[*types.NoSuchHostedZone](err) || httpStatus(err) != 404 {
		t.Fatalf("unknown zone: %v", err)
	}
}

func TestPaginationOverThreeHundred(t *testing.T) {
	srv := New(Options{})
	zoneID := srv.AddZone("example.com", false)
	for i := 0; i < 640; i++ {
		must(t, srv.PutRecordSet(zoneID, RecordSet{Name: fmt.Sprintf("h%03d.example.com", i), Type: "A", TTL: aws.Int64(60),
			ResourceRecords: []string{"192.0.2.1"}}))
	}
	for i := 0; i < 20; i++ { // one name, many identifiers: pages split inside it
		must(t, srv.PutRecordSet(zoneID, RecordSet{Name: "w.example.com", Type: "A", SetIdentifier: fmt.Sprintf("id-%02d", i),
			Weight: aws.Int64(int64(i)), TTL: aws.Int64(60), ResourceRecords: []string{"192.0.2.2"}}))
	}
	c := client(start(t, srv), false)
	want := namesOf(srv.RecordSets(zoneID)) // 662 sets
	if len(want) != 662 {
		t.Fatalf("%d sets", len(want))
	}
	srv.ResetCalls()
	got, pages := listAll(t, c, zoneID, 0)
	if d := cmp.Diff(want, names(got)); d != "" || pages != 3 {
		t.Fatalf("default pages: %d pages (want 3), diff:\n%s", pages, d)
	}
	if n := srv.Calls()[OpListResourceRecordSets]; n != 3 {
		t.Fatalf("%d ListResourceRecordSets calls", n)
	}
	got, pages = listAll(t, c, zoneID, 7)
	if d := cmp.Diff(want, names(got)); d != "" || pages != 95 {
		t.Fatalf("pages of 7: %d pages (want 95), diff:\n%s", pages, d)
	}
}

func TestGetChangeAndWaiter(t *testing.T) {
	for _, tc := range []struct {
		pending, wantCalls int
		first              types.ChangeStatus
	}{{0, 2, types.ChangeStatusPending}, {3, 4, types.ChangeStatusPending}, {-1, 1, types.ChangeStatusInsync}} {
		t.Run(fmt.Sprint(tc.pending), func(t *testing.T) {
			srv, c, zoneID := setup(t, Options{PendingPolls: tc.pending})
			ctx := context.Background()
			out, err := changeRRS(ctx, c, zoneID, chg(types.ChangeActionUpsert, weighted("app.example.com", "green", 5, 60, "192.0.2.2")))
			if err != nil {
				t.Fatal(err)
			}
			if out.ChangeInfo.Status != tc.first {
				t.Fatalf("change answered %s", out.ChangeInfo.Status)
			}
			srv.ResetCalls()
			w := route53.NewResourceRecordSetsChangedWaiter(c, func(o *route53.ResourceRecordSetsChangedWaiterOptions) {
				o.MinDelay, o.MaxDelay = time.Millisecond, 2*time.Millisecond
			})
			if err := w.Wait(ctx, &route53.GetChangeInput{Id: out.ChangeInfo.Id}, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			if n := srv.Calls()[OpGetChange]; n != tc.wantCalls {
				t.Fatalf("%d GetChange calls, want %d", n, tc.wantCalls)
			}
			gc, err := c.GetChange(ctx, &route53.GetChangeInput{Id: out.ChangeInfo.Id})
			if err != nil || gc.ChangeInfo.Status != types.ChangeStatusInsync || aws.ToString(gc.ChangeInfo.Id) != aws.ToString(out.ChangeInfo.Id) {
				t.Fatalf("GetChange after INSYNC: %v %+v", err, gc)
			}
		})
	}
	_, c, _ := setup(t, Options{})
	_, err := c.GetChange(context.Background(), &route53.GetChangeInput{Id: aws.String("/change/CNOPE")})
	if !errorAs[*types.NoSuchChange](err) || httpStatus(err) != 404 {
		t.Fatalf("unknown change: %v", err)
	}
}

func TestGetHealthCheckStatus(t *testing.T) {
	clk := newClock()
	srv, c, _ := setup(t, Options{Now: clk.Now})
	srv.AddHealthCheck("hc-1", Checkers(13, 3))
	ctx := context.Background()
	out, err := c.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String("hc-1")})
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, o := range out.HealthCheckObservations {
		if o.Region == "" || aws.ToString(o.IPAddress) == "" || !aws.ToTime(o.StatusReport.CheckedTime).Equal(clk.Now()) {
			t.Fatalf("observation %+v", o)
		}
		if s := aws.ToString(o.StatusReport.Status); len(s) > 8 && s[:8] == "Success:" {
			ok++
		}
	}
	if len(out.HealthCheckObservations) != 16 || ok != 13 {
		t.Fatalf("%d observations, %d successes", len(out.HealthCheckObservations), ok)
	}
	srv.SetHealthCheck("hc-1", Checkers(0, 2))
	out, err = c.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String("hc-1")})
	if err != nil || len(out.HealthCheckObservations) != 2 || aws.ToString(out.HealthCheckObservations[0].StatusReport.Status)[:8] != "Failure:" {
		t.Fatalf("after SetHealthCheck: %v %+v", err, out)
	}
	_, err = c.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String("hc-nope")})
	if !errorAs[*types.NoSuchHealthCheck](err) || httpStatus(err) != 404 {
		t.Fatalf("unknown health check: %v", err)
	}
}

// TestConcurrentClients runs writers and readers at once (go test -race):
// every change lands, every call is counted.
func TestConcurrentClients(t *testing.T) {
	srv := New(Options{})
	zoneID := srv.AddZone("example.com", false)
	c := client(start(t, srv), false)
	const workers, rounds = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*3)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ctx := context.Background()
			for r := 0; r < rounds; r++ {
				out, err := changeRRS(ctx, c, zoneID, chg(types.ChangeActionUpsert,
					weighted("app.example.com", fmt.Sprintf("w%d", w), int64(r), 60, fmt.Sprintf("192.0.2.%d", w+1))))
				if err != nil {
					errs <- err
					continue
				}
				if _, err := c.GetChange(ctx, &route53.GetChangeInput{Id: out.ChangeInfo.Id}); err != nil {
					errs <- err
				}
				if _, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)}); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := 0; w < workers; w++ {
		rs := find(srv.RecordSets(zoneID), "app.example.com.", "A", fmt.Sprintf("w%d", w))
		if aws.ToInt64(rs.Weight) != rounds-1 {
			t.Errorf("w%d weight = %v", w, rs.Weight)
		}
	}
	calls := srv.Calls()
	for _, op := range []string{OpChangeResourceRecordSets, OpGetChange, OpListResourceRecordSets} {
		if calls[op] != workers*rounds {
			t.Errorf("%s: %d calls, want %d", op, calls[op], workers*rounds)
		}
	}
}

func namesOf(sets []RecordSet) []string {
	var out []string
	for _, rs := range sets {
		out = append(out, rs.Name+" "+rs.Type+" "+rs.SetIdentifier)
	}
	return out
}
