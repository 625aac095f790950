package route53sim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
)

// FuzzChangeBatch posts arbitrary bodies to ChangeResourceRecordSets: the
// emulator never panics, answers 200 or a 4xx error, and a refused batch
// changes nothing.
func FuzzChangeBatch(f *testing.F) {
	f.Add(`<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>app.example.com</Name><Type>A</Type><SetIdentifier>green</SetIdentifier><Weight>7</Weight><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.2</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`)
	f.Add(`<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change><Action>DELETE</Action><ResourceRecordSet><Name>www.example.com.</Name><Type>A</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.11</Value></ResourceRecord><ResourceRecord><Value>192.0.2.10</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change><Change><Action>CREATE</Action><ResourceRecordSet><Name>\052.example.com</Name><Type>CNAME</Type><AliasTarget><HostedZoneId>Z1</HostedZoneId><DNSName>x.example.net</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`)
	f.Add(`<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change><Action>CREATE</Action><ResourceRecordSet><Name>app.example.com</Name><Type>A</Type><SetIdentifier>eu</SetIdentifier><GeoLocation><ContinentCode>EU</ContinentCode></GeoLocation><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`)
	f.Add(`<ChangeResourceRecordSetsRequest><ChangeBatch>`)
	f.Fuzz(func(t *testing.T, body string) {
		srv := New(Options{})
		zoneID := srv.AddZone("example.com", false)
		must(t, srv.PutRecordSet(zoneID, RecordSet{Name: "app.example.com", Type: "A", SetIdentifier: "green",
			Weight: aws.Int64(55), TTL: aws.Int64(60), ResourceRecords: []string{"192.0.2.2"}}))
		must(t, srv.PutRecordSet(zoneID, RecordSet{Name: "www.example.com", Type: "A", TTL: aws.Int64(300),
			ResourceRecords: []string{"192.0.2.10", "192.0.2.11"}}))
		before := srv.RecordSets(zoneID)
		req := httptest.NewRequest(http.MethodPost, "/2013-04-01/hostedzone/"+zoneID+"/rrset", strings.NewReader(body))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 x")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusOK:
		case rec.Code == http.StatusBadRequest || rec.Code == http.StatusNotFound:
			if d := cmp.Diff(before, srv.RecordSets(zoneID)); d != "" {
				t.Fatalf("refused batch changed the zone:\n%s\n%s", rec.Body, d)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if rec.Header().Get("x-amzn-RequestId") == "" {
			t.Fatal("no request id")
		}
		// Whatever was accepted lists back.
		lreq := httptest.NewRequest(http.MethodGet, "/2013-04-01/hostedzone/"+zoneID+"/rrset", nil)
		lreq.Header.Set("Authorization", "AWS4-HMAC-SHA256 x")
		lrec := httptest.NewRecorder()
		srv.ServeHTTP(lrec, lreq)
		if lrec.Code != http.StatusOK {
			t.Fatalf("list after change: %d %s", lrec.Code, lrec.Body)
		}
	})
}
