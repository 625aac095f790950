package route53sim

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/sim/fault"
)

var greenTo5 = chg(types.ChangeActionUpsert, weighted("app.example.com", "green", 5, 60, "192.0.2.2"))

func greenWeight(srv *Server, zoneID string) int64 {
	return aws.ToInt64(find(srv.RecordSets(zoneID), "app.example.com.", "A", "green").Weight)
}

// TestFaultsWithoutRetry: each fault kind on the Nth call, as the SDK sees
// it, and nothing changes.
func TestFaultsWithoutRetry(t *testing.T) {
	for _, tc := range []struct {
		kind   fault.Kind
		status int // Options.ServerErrorStatus
		code   string
		http   int
		is     func(error) bool
	}{
		{fault.Throttle, 0, "Throttling", 400, nil},
		{fault.PriorRequestNotComplete, 0, "PriorRequestNotComplete", 400, errorAs[*types.PriorRequestNotComplete]},
		{fault.ServerError, 0, "InternalFailure", 500, nil},
		{fault.ServerError, 503, "ServiceUnavailable", 503, nil},
	} {
		t.Run(tc.code, func(t *testing.T) {
			srv, c, zoneID := setup(t, Options{ServerErrorStatus: tc.status})
			srv.Faults().Add(fault.Rule{Op: OpChangeResourceRecordSets, Kind: tc.kind, Nth: 2})
			ctx := context.Background()
			if _, err := changeRRS(ctx, c, zoneID, chg(types.ChangeActionUpsert, weighted("app.example.com", "green", 4, 60, "192.0.2.2"))); err != nil {
				t.Fatalf("call 1: %v", err)
			}
			before := srv.RecordSets(zoneID)
			_, err := changeRRS(ctx, c, zoneID, greenTo5)
			if errorCode(err) != tc.code || httpStatus(err) != tc.http || requestID(err) == "" || (tc.is != nil && !tc.is(err)) {
				t.Fatalf("call 2: %T %v", err, err)
			}
			if d := cmp.Diff(before, srv.RecordSets(zoneID)); d != "" {
				t.Fatalf("faulted call changed the zone:\n%s", d)
			}
			// Other operations are not affected.
			if _, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)}); err != nil {
				t.Fatal(err)
			}
			if _, err := changeRRS(ctx, c, zoneID, greenTo5); err != nil || greenWeight(srv, zoneID) != 5 {
				t.Fatalf("call 3: %v", err)
			}
			if n := srv.Calls()[OpChangeResourceRecordSets]; n != 3 {
				t.Fatalf("%d calls", n)
			}
		})
	}
}

// TestSDKRetriesFaults: the SDK's default retryer gets through one
// injected fault of each kind; the emulator sees two requests and applies
// the change once.
func TestSDKRetriesFaults(t *testing.T) {
	for _, kind := range []fault.Kind{fault.Throttle, fault.PriorRequestNotComplete, fault.ServerError} {
		t.Run(string(kind), func(t *testing.T) {
			srv, url, zoneID := setupURL(t, Options{})
			srv.Faults().Add(fault.Rule{Op: OpChangeResourceRecordSets, Kind: kind, Nth: 1})
			if _, err := changeRRS(context.Background(), client(url, true), zoneID, greenTo5); err != nil {
				t.Fatal(err)
			}
			if n := srv.Calls()[OpChangeResourceRecordSets]; n != 2 || greenWeight(srv, zoneID) != 5 {
				t.Fatalf("%d calls, weight %d", n, greenWeight(srv, zoneID))
			}
		})
	}
}

// TestFaultRateIsSeeded: the same seed fails the same calls.
func TestFaultRateIsSeeded(t *testing.T) {
	run := func(seed int64) []bool {
		srv, c, zoneID := setup(t, Options{Seed: seed})
		srv.Faults().Add(fault.Rule{Op: OpListResourceRecordSets, Kind: fault.Throttle, Rate: 0.3})
		var failed []bool
		for i := 0; i < 100; i++ {
			_, err := c.ListResourceRecordSets(context.Background(), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)})
			if err != nil && errorCode(err) != "Throttling" {
				t.Fatal(err)
			}
			failed = append(failed, err != nil)
		}
		return failed
	}
	a, b, other := run(7), run(7), run(8)
	if !cmp.Equal(a, b) {
		t.Fatal("same seed, different faults")
	}
	if cmp.Equal(a, other) {
		t.Fatal("different seeds, same faults")
	}
	n := 0
	for _, f := range a {
		if f {
			n++
		}
	}
	if n < 15 || n > 45 {
		t.Fatalf("rate 0.3 failed %d of 100 calls", n)
	}
}

// TestLatencyHonoursContext: a delayed answer is abandoned when the
// client gives up, and the next call is served at once.
func TestLatencyHonoursContext(t *testing.T) {
	srv, c, zoneID := setup(t, Options{})
	srv.Faults().Add(fault.Rule{Op: OpChangeResourceRecordSets, Kind: fault.Latency, Nth: 1, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	before := srv.RecordSets(zoneID)
	_, err := changeRRS(ctx, c, zoneID, greenTo5)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if d := cmp.Diff(before, srv.RecordSets(zoneID)); d != "" {
		t.Fatalf("abandoned call changed the zone:\n%s", d)
	}
	if _, err := changeRRS(context.Background(), c, zoneID, greenTo5); err != nil || greenWeight(srv, zoneID) != 5 {
		t.Fatal(err)
	}

	// A short delay is served after the delay.
	srv.Faults().Reset()
	srv.Faults().Add(fault.Rule{Kind: fault.Latency, Rate: 1, Delay: 30 * time.Millisecond})
	t0 := time.Now()
	if _, err := c.GetHostedZone(context.Background(), &route53.GetHostedZoneInput{Id: aws.String(zoneID)}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 30*time.Millisecond {
		t.Fatalf("answered after %v", d)
	}
}

func TestRateLimit(t *testing.T) {
	clk := newClock()
	srv, c, zoneID := setup(t, Options{Now: clk.Now, RateLimit: 10, RateBurst: 3})
	list := func() error {
		_, err := c.ListResourceRecordSets(context.Background(), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID)})
		return err
	}
	for i := 0; i < 3; i++ {
		if err := list(); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if err := list(); errorCode(err) != "Throttling" || httpStatus(err) != 400 {
		t.Fatalf("call 4: %v", err)
	}
	clk.Advance(100 * time.Millisecond) // one token
	if err := list(); err != nil {
		t.Fatalf("after 100ms: %v", err)
	}
	if err := list(); errorCode(err) != "Throttling" {
		t.Fatalf("second call after 100ms: %v", err)
	}
	clk.Advance(time.Hour) // refills to the burst, not beyond
	for i := 0; i < 3; i++ {
		if err := list(); err != nil {
			t.Fatalf("refilled call %d: %v", i+1, err)
		}
	}
	if err := list(); errorCode(err) != "Throttling" {
		t.Fatalf("burst exceeded: %v", err)
	}
	if n := srv.Calls()[OpListResourceRecordSets]; n != 10 {
		t.Fatalf("%d calls counted", n)
	}
}

// rawRequest sends a request as is, signed or not.
func rawRequest(t *testing.T, method, url, body string, signed bool) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if signed {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("%s %s: no x-amzn-RequestId", method, url)
	}
	return resp, b
}

func TestWireForms(t *testing.T) {
	srv, url, zoneID := setupURL(t, Options{})
	rrset := url + "/2013-04-01/hostedzone/" + zoneID + "/rrset"

	resp, body := rawRequest(t, "GET", rrset, "", false)
	var er xmlErrorResponse
	if err := xml.Unmarshal(body, &er); err != nil || resp.StatusCode != 403 || er.Error.Code != "MissingAuthenticationToken" ||
		er.Error.Type != "Sender" || er.RequestId != resp.Header.Get("x-amzn-RequestId") {
		t.Fatalf("unsigned: %d %s", resp.StatusCode, body)
	}

	// Documentation order, not the SDK's alphabetical one, and no namespace.
	resp, body = rawRequest(t, "POST", rrset+"/", `<?xml version="1.0"?>
<ChangeResourceRecordSetsRequest><ChangeBatch><Comment>by hand</Comment><Changes><Change>
  <ResourceRecordSet><Weight>0</Weight><Type>A</Type><ResourceRecords><ResourceRecord><Value>192.0.2.2</Value></ResourceRecord></ResourceRecords>
    <TTL>60</TTL><SetIdentifier>green</SetIdentifier><Name>APP.example.com</Name></ResourceRecordSet>
  <Action>UPSERT</Action></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`, true)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<ChangeResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">") {
		t.Fatalf("reordered change: %d %s", resp.StatusCode, body)
	}
	if greenWeight(srv, zoneID) != 0 {
		t.Fatal("weight 0 not applied")
	}

	deleteNope := `<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change><Action>DELETE</Action>
<ResourceRecordSet><Name>nope.example.com</Name><Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.2</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>
</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`
	resp, body = rawRequest(t, "POST", rrset, deleteNope, true)
	er = xmlErrorResponse{}
	if err := xml.Unmarshal(body, &er); err != nil || resp.StatusCode != 400 || er.Error.Code != "InvalidChangeBatch" ||
		!strings.HasPrefix(er.Error.Message, "[Tried to delete resource record set [name='nope.example.com.', type='A'] but it was not found") ||
		er.RequestId != resp.Header.Get("x-amzn-RequestId") {
		t.Fatalf("InvalidChangeBatch: %d %s", resp.StatusCode, body)
	}
	_, legacyURL, legacyZone := setupURL(t, Options{LegacyInvalidChangeBatch: true})
	resp, body = rawRequest(t, "POST", legacyURL+"/2013-04-01/hostedzone/"+legacyZone+"/rrset", deleteNope, true)
	var icb xmlInvalidChangeBatch
	if err := xml.Unmarshal(body, &icb); err != nil || resp.StatusCode != 400 || len(icb.Messages) != 1 ||
		icb.RequestId != resp.Header.Get("x-amzn-RequestId") {
		t.Fatalf("legacy InvalidChangeBatch form: %d %s", resp.StatusCode, body)
	}

	for _, tc := range []struct{ body, code string }{
		{`<ChangeResourceRecordSetsRequest><ChangeBatch>`, "InvalidInput"},
		{`<ChangeBatch><Changes/></ChangeBatch>`, "MalformedInput"},
		{`<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change><Action>CREATE</Action><ResourceRecordSet><Name>a.example.com</Name><Type>A</Type><Weight>heavy</Weight></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`, "InvalidInput"},
		{`<ChangeResourceRecordSetsRequest><ChangeBatch><Changes/></ChangeBatch></ChangeResourceRecordSetsRequest>`, "InvalidInput"},
	} {
		resp, body = rawRequest(t, "POST", rrset, tc.body, true)
		er = xmlErrorResponse{}
		if err := xml.Unmarshal(body, &er); err != nil || resp.StatusCode != 400 || er.Error.Code != tc.code {
			t.Errorf("%s: %d %s", tc.body, resp.StatusCode, body)
		}
	}

	resp, body = rawRequest(t, "DELETE", url+"/2013-04-01/hostedzone/"+zoneID, "", true)
	if resp.StatusCode != 404 || !strings.Contains(string(body), "UnknownOperationException") {
		t.Fatalf("unknown operation: %d %s", resp.StatusCode, body)
	}
}
