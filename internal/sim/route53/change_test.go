package route53sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"
)

func TestChangeUpsertPreservesEveryField(t *testing.T) {
	clk := newClock()
	srv, c, zoneID := setup(t, Options{Now: clk.Now})
	ctx := context.Background()

	blue := weighted("app.example.com", "blue", 0, 60, "192.0.2.1")
	blue.HealthCheckId = aws.String("hc-blue")
	out, err := c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String("/hostedzone/" + zoneID),
		ChangeBatch:  &types.ChangeBatch{Comment: aws.String("shift"), Changes: []types.Change{chg(types.ChangeActionUpsert, blue)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ci := out.ChangeInfo
	if !strings.HasPrefix(aws.ToString(ci.Id), "/change/C") || ci.Status != types.ChangeStatusPending ||
		!aws.ToTime(ci.SubmittedAt).Equal(clk.Now()) || aws.ToString(ci.Comment) != "shift" {
		t.Fatalf("ChangeInfo = %+v", ci)
	}
	got := srv.RecordSets(zoneID)
	want := RecordSet{Name: "app.example.com.", Type: "A", SetIdentifier: "blue", Weight: aws.Int64(0),
		TTL: aws.Int64(60), ResourceRecords: []string{"192.0.2.1"}, HealthCheckId: "hc-blue"}
	if d := cmp.Diff(want, find(got, "app.example.com.", "A", "blue")); d != "" {
		t.Fatalf("blue after UPSERT (-want +got):\n%s", d)
	}

	// What the SDK reads back: weight 0 is present, not absent.
	list, err := c.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zoneID),
		StartRecordName: aws.String("APP.example.com"), StartRecordType: types.RRTypeA, StartRecordIdentifier: aws.String("blue"),
		MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	rs := list.ResourceRecordSets[0]
	if aws.ToString(rs.Name) != "app.example.com." || rs.Weight == nil || *rs.Weight != 0 || aws.ToInt64(rs.TTL) != 60 ||
		aws.ToString(rs.HealthCheckId) != "hc-blue" || aws.ToString(rs.ResourceRecords[0].Value) != "192.0.2.1" {
		t.Fatalf("listed blue = %+v", rs)
	}
	if !list.IsTruncated || aws.ToString(list.NextRecordName) != "app.example.com." || aws.ToString(list.NextRecordIdentifier) != "green" {
		t.Fatalf("next = %v %v %v", list.IsTruncated, aws.ToString(list.NextRecordName), aws.ToString(list.NextRecordIdentifier))
	}
}

func TestChangeCreateDeleteAliasAndNames(t *testing.T) {
	srv, c, zoneID := setup(t, Options{})
	ctx := context.Background()

	alias := &types.ResourceRecordSet{Name: aws.String("App.Example.Com"), Type: types.RRTypeA, SetIdentifier: aws.String("lb"),
		Weight: aws.Int64(10), AliasTarget: &types.AliasTarget{HostedZoneId: aws.String("Z35SXDOTRQ7X7K"),
			DNSName: aws.String("LB-1.us-east-1.elb.amazonaws.com"), EvaluateTargetHealth: true}}
	wild := simple("*.example.com", types.RRTypeTxt, 300, `"v=1"`)
	if _, err := changeRRS(ctx, c, zoneID, chg(types.ChangeActionCreate, alias), chg(types.ChangeActionCreate, wild)); err != nil {
		t.Fatal(err)
	}
	got := find(srv.RecordSets(zoneID), "app.example.com.", "A", "lb")
	want := RecordSet{Name: "app.example.com.", Type: "A", SetIdentifier: "lb", Weight: aws.Int64(10),
		AliasTarget: &AliasTarget{HostedZoneId: "Z35SXDOTRQ7X7K", DNSName: "lb-1.us-east-1.elb.amazonaws.com.", EvaluateTargetHealth: true}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("alias set (-want +got):\n%s", d)
	}
	all, _ := listAll(t, c, zoneID, 0)
	found := false
	for _, rs := range all {
		found = found || aws.ToString(rs.Name) == `\052.example.com.`
	}
	if !found {
		t.Fatalf("wildcard not listed, escaped, in %v", names(all))
	}

	// DELETE matches with values in another order, another case, no trailing dot.
	www := simple("WWW.example.com", types.RRTypeA, 300, "192.0.2.11", "192.0.2.10")
	if _, err := changeRRS(ctx, c, zoneID, chg(types.ChangeActionDelete, www),
		chg(types.ChangeActionDelete, simple(`\052.example.com.`, types.RRTypeTxt, 300, `"v=1"`))); err != nil {
		t.Fatal(err)
	}
	if rs := find(srv.RecordSets(zoneID), "www.example.com.", "A", ""); rs.Name != "" {
		t.Fatalf("www still there: %+v", rs)
	}

	// DELETE then CREATE of the same set in one batch is how a set was
	// changed before UPSERT: allowed.
	if _, err := changeRRS(ctx, c, zoneID,
		chg(types.ChangeActionDelete, weighted("app.example.com", "green", 55, 60, "192.0.2.2")),
		chg(types.ChangeActionCreate, weighted("app.example.com", "green", 56, 60, "192.0.2.2"))); err != nil {
		t.Fatal(err)
	}
	if w := find(srv.RecordSets(zoneID), "app.example.com.", "A", "green").Weight; aws.ToInt64(w) != 56 {
		t.Fatalf("green weight = %v", w)
	}
}

func TestUpsertCountsTwiceAgainstTheRecordLimit(t *testing.T) {
	_, c, zoneID := setup(t, Options{})
	values := make([]string, 501)
	for i := range values {
		values[i] = fmt.Sprintf("10.0.%d.%d", i/250, i%250)
	}
	ctx := context.Background()
	_, err := changeRRS(ctx, c, zoneID, chg(types.ChangeActionUpsert, simple("big.example.com", types.RRTypeA, 60, values...)))
	if !errorAs[*types.InvalidChangeBatch](err) || httpStatus(err) != 400 {
		t.Fatalf("UPSERT of 501 records (1002 counted): %v", err)
	}
	if _, err := changeRRS(ctx, c, zoneID, chg(types.ChangeActionCreate, simple("big.example.com", types.RRTypeA, 60, values...))); err != nil {
		t.Fatalf("CREATE of 501 records: %v", err)
	}
}

// TestValidation runs every validation rule through the real SDK: each
// batch starts with a valid change, and the zone must be unchanged after
// the rejected batch.
func TestValidation(t *testing.T) {
	long := strings.Repeat("x", 4000)
	hundredOne := func() []types.Change {
		var cs []types.Change
		for i := 0; i < 101; i++ {
			cs = append(cs, chg(types.ChangeActionCreate, weighted("big.example.com", fmt.Sprintf("s%03d", i), 1, 60, "192.0.2.1")))
		}
		return cs
	}
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("10.1.%d.%d", i/250, i%250)
	}
	with := func(rs *types.ResourceRecordSet, f func(*types.ResourceRecordSet)) *types.ResourceRecordSet {
		f(rs)
		return rs
	}
	icb := errorAs[*types.InvalidChangeBatch]
	input := errorAs[*types.InvalidInput]
	cases := []struct {
		name    string
		msg     string // in the error or one of its Messages
		zone    string // default: the test zone
		changes []types.Change
		is      func(error) bool
		status  int
	}{
		{"create existing", "already exists", "", []types.Change{chg(types.ChangeActionCreate, weighted("app.example.com", "blue", 200, 60, "192.0.2.1"))}, icb, 400},
		{"delete missing", "was not found", "", []types.Change{chg(types.ChangeActionDelete, weighted("app.example.com", "red", 1, 60, "192.0.2.9"))}, icb, 400},
		{"delete other value", "do not match", "", []types.Change{chg(types.ChangeActionDelete, weighted("app.example.com", "green", 55, 60, "192.0.2.3"))}, icb, 400},
		{"delete other weight", "do not match", "", []types.Change{chg(types.ChangeActionDelete, weighted("app.example.com", "green", 54, 60, "192.0.2.2"))}, icb, 400},
		{"delete other ttl", "do not match", "", []types.Change{chg(types.ChangeActionDelete, weighted("app.example.com", "green", 55, 61, "192.0.2.2"))}, icb, 400},
		{"delete without health check", "do not match", "", []types.Change{chg(types.ChangeActionDelete, weighted("app.example.com", "blue", 200, 60, "192.0.2.1"))}, icb, 400},
		{"weight 256", "resourceRecordSet.weight", "", []types.Change{chg(types.ChangeActionUpsert, weighted("app.example.com", "green", 256, 60, "192.0.2.2"))}, input, 400},
		{"weight -1", "resourceRecordSet.weight", "", []types.Change{chg(types.ChangeActionUpsert, weighted("app.example.com", "green", -1, 60, "192.0.2.2"))}, input, 400},
		{"set identifier 129", "resourceRecordSet.setIdentifier", "", []types.Change{chg(types.ChangeActionCreate, weighted("app.example.com", strings.Repeat("s", 129), 1, 60, "192.0.2.2"))}, input, 400},
		{"set identifier empty", "resourceRecordSet.setIdentifier", "", []types.Change{chg(types.ChangeActionCreate, weighted("app.example.com", "", 1, 60, "192.0.2.2"))}, input, 400},
		{"weighted without weight", "but found none", "", []types.Change{chg(types.ChangeActionCreate, with(weighted("app.example.com", "red", 1, 60, "192.0.2.2"),
			func(rs *types.ResourceRecordSet) { rs.Weight = nil }))}, input, 400},
		{"weight without set identifier", "Missing field 'SetIdentifier'", "", []types.Change{chg(types.ChangeActionCreate, with(weighted("new.example.com", "red", 1, 60, "192.0.2.2"),
			func(rs *types.ResourceRecordSet) { rs.SetIdentifier = nil }))}, input, 400},
		{"weight and failover", "but found more than one", "", []types.Change{chg(types.ChangeActionCreate, with(weighted("new.example.com", "red", 1, 60, "192.0.2.2"),
			func(rs *types.ResourceRecordSet) { rs.Failover = types.ResourceRecordSetFailoverPrimary }))}, input, 400},
		{"alias and ttl", "[AliasTarget, all of [TTL, and ResourceRecords]", "", []types.Change{chg(types.ChangeActionCreate, with(weighted("app.example.com", "red", 1, 60),
			func(rs *types.ResourceRecordSet) {
				rs.AliasTarget = &types.AliasTarget{HostedZoneId: aws.String("Z1"), DNSName: aws.String("x.example.net")}
			}))}, input, 400},
		{"no values", "[AliasTarget, all of [TTL, and ResourceRecords]", "", []types.Change{chg(types.ChangeActionCreate, weighted("app.example.com", "red", 1, 60))}, input, 400},
		{"unknown action", "member.action", "", []types.Change{chg("REPLACE", weighted("app.example.com", "green", 5, 60, "192.0.2.2"))}, input, 400},
		{"unknown type", "resourceRecordSet.type", "", []types.Change{chg(types.ChangeActionCreate, simple("new.example.com", "AXFR", 60, "x"))}, input, 400},
		{"weighted ttl differs", "same TTL", "", []types.Change{chg(types.ChangeActionCreate, weighted("app.example.com", "red", 1, 300, "192.0.2.3"))}, icb, 400},
		{"101 weighted sets", "at most 100 weighted", "", hundredOne(), icb, 400},
		{"weighted with failover", "cannot mix routing policies: failover, weighted", "", []types.Change{chg(types.ChangeActionCreate, with(simple("app.example.com", types.RRTypeA, 60, "192.0.2.5"),
			func(rs *types.ResourceRecordSet) {
				rs.SetIdentifier, rs.Failover = aws.String("pri"), types.ResourceRecordSetFailoverPrimary
			}))}, icb, 400},
		{"weighted with latency", "cannot mix routing policies: latency, weighted", "", []types.Change{chg(types.ChangeActionCreate, with(simple("app.example.com", types.RRTypeA, 60, "192.0.2.5"),
			func(rs *types.ResourceRecordSet) {
				rs.SetIdentifier, rs.Region = aws.String("use1"), types.ResourceRecordSetRegionUsEast1
			}))}, icb, 400},
		{"weighted with geolocation", "cannot mix routing policies: geolocation, weighted", "", []types.Change{chg(types.ChangeActionCreate, with(simple("app.example.com", types.RRTypeA, 60, "192.0.2.5"),
			func(rs *types.ResourceRecordSet) {
				rs.SetIdentifier, rs.GeoLocation = aws.String("eu"), &types.GeoLocation{ContinentCode: aws.String("EU")}
			}))}, icb, 400},
		{"weighted with simple", "other RRSets exist with the same name and type", "", []types.Change{chg(types.ChangeActionCreate, simple("app.example.com", types.RRTypeA, 60, "192.0.2.5"))}, icb, 400},
		{"1001 records", "records limit of 1000", "", []types.Change{chg(types.ChangeActionCreate, simple("many.example.com", types.RRTypeA, 60, many...))}, icb, 400},
		{"32000 characters", "characters limit of 32000", "", []types.Change{chg(types.ChangeActionCreate, simple("txt.example.com", types.RRTypeTxt, 60,
			long, long, long, long, long, long, long, long, long[:1]))}, icb, 400},
		{"32000 characters, upsert twice", "characters limit of 32000", "", []types.Change{chg(types.ChangeActionUpsert, simple("txt.example.com", types.RRTypeTxt, 60,
			long, long, long, long, long[:1]))}, icb, 400},
		{"two changes to one set", "more than one change", "", []types.Change{
			chg(types.ChangeActionUpsert, weighted("app.example.com", "green", 1, 60, "192.0.2.2")),
			chg(types.ChangeActionUpsert, weighted("app.example.com", "green", 2, 60, "192.0.2.2"))}, icb, 400},
		{"create then delete one set", "more than one change", "", []types.Change{
			chg(types.ChangeActionCreate, weighted("app.example.com", "red", 1, 60, "192.0.2.2")),
			chg(types.ChangeActionDelete, weighted("app.example.com", "red", 1, 60, "192.0.2.2"))}, icb, 400},
		{"name outside zone", "not permitted in zone", "", []types.Change{chg(types.ChangeActionCreate, simple("app.example.org", types.RRTypeA, 60, "192.0.2.2"))}, icb, 400},
		{"label too long", "FATAL problem", "", []types.Change{chg(types.ChangeActionCreate, simple(strings.Repeat("a", 64)+".example.com", types.RRTypeA, 60, "192.0.2.2"))}, icb, 400},
		{"cname beside A", "conflicts with other records", "", []types.Change{chg(types.ChangeActionCreate, simple("www.example.com", types.RRTypeCname, 60, "app.example.com"))}, icb, 400},
		{"cname at apex", "not permitted at apex", "", []types.Change{chg(types.ChangeActionCreate, simple("example.com", types.RRTypeCname, 60, "app.example.com"))}, icb, 400},
		{"delete apex NS", "at least one NS record", "", []types.Change{chg(types.ChangeActionDelete, simple("example.com", types.RRTypeNs, 172800, nameServers...))}, icb, 400},
		{"unknown health check", "hc-nope", "", []types.Change{chg(types.ChangeActionUpsert, with(weighted("app.example.com", "green", 55, 60, "192.0.2.2"),
			func(rs *types.ResourceRecordSet) { rs.HealthCheckId = aws.String("hc-nope") }))}, errorAs[*types.NoSuchHealthCheck], 404},
		{"unknown zone", "No hosted zone found", "ZNOSUCHZONE", []types.Change{chg(types.ChangeActionUpsert, weighted("app.example.com", "green", 1, 60, "192.0.2.2"))},
			errorAs[*types.NoSuchHostedZone], 404},
	}
	for _, legacy := range []bool{false, true} {
		srv, c, zoneID := setup(t, Options{LegacyInvalidChangeBatch: legacy})
		valid := chg(types.ChangeActionUpsert, simple("ok.example.com", types.RRTypeA, 60, "192.0.2.99"))
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/legacy=%v", tc.name, legacy), func(t *testing.T) {
				before := srv.RecordSets(zoneID)
				zone := zoneID
				if tc.zone != "" {
					zone = tc.zone
				}
				_, err := changeRRS(context.Background(), c, zone, append([]types.Change{valid}, tc.changes...)...)
				if err == nil || !tc.is(err) {
					t.Fatalf("err = %T %v", err, err)
				}
				var icb *types.InvalidChangeBatch
				text := err.Error()
				if errors.As(err, &icb) {
					text += " " + strings.Join(icb.Messages, " | ")
				}
				if !strings.Contains(text, tc.msg) {
					t.Errorf("error %q does not say %q", text, tc.msg)
				}
				if s := httpStatus(err); s != tc.status {
					t.Errorf("HTTP status %d, want %d", s, tc.status)
				}
				if requestID(err) == "" {
					t.Errorf("no request id in %v", err)
				}
				if d := cmp.Diff(before, srv.RecordSets(zoneID)); d != "" {
					t.Fatalf("zone changed by a rejected batch (-before +after):\n%s", d)
				}
			})
		}
	}
}

// TestWeightedSetWithSeveralValues: a weighted set may hold several values
// (Developer Guide, "Values specific for weighted records", Value/Route
// traffic to: multiple values for every type except CNAME).
func TestWeightedSetWithSeveralValues(t *testing.T) {
	srv, c, zoneID := setup(t, Options{})
	if _, err := changeRRS(context.Background(), c, zoneID,
		chg(types.ChangeActionCreate, weighted("app.example.com", "red", 1, 60, "192.0.2.3", "192.0.2.4"))); err != nil {
		t.Fatal(err)
	}
	if got := find(srv.RecordSets(zoneID), "app.example.com.", "A", "red").ResourceRecords; !cmp.Equal(got, []string{"192.0.2.3", "192.0.2.4"}) {
		t.Fatalf("red's values = %q", got)
	}
}

// TestInvalidChangeBatchListsEveryProblem: one message per failing
// change, in today's form ("[m1, m2]" in ErrorResponse) and in the legacy
// <InvalidChangeBatch><Messages> form.
func TestInvalidChangeBatchListsEveryProblem(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		_, c, zoneID := setup(t, Options{LegacyInvalidChangeBatch: legacy})
		_, err := changeRRS(context.Background(), c, zoneID,
			chg(types.ChangeActionCreate, weighted("app.example.com", "blue", 200, 60, "192.0.2.1")),
			chg(types.ChangeActionDelete, weighted("app.example.com", "red", 1, 60, "192.0.2.9")))
		var icb *types.InvalidChangeBatch
		if !errors.As(err, &icb) || httpStatus(err) != 400 || requestID(err) == "" {
			t.Fatalf("legacy=%v: err = %v", legacy, err)
		}
		m1 := "Tried to create resource record set [name='app.example.com.', type='A', set-identifier='blue'] but it already exists"
		m2 := "Tried to delete resource record set [name='app.example.com.', type='A', set-identifier='red'] but it was not found"
		if legacy {
			if d := cmp.Diff([]string{m1, m2}, icb.Messages); d != "" {
				t.Fatalf("legacy Messages (-want +got):\n%s", d)
			}
		} else if got := aws.ToString(icb.Message); got != "["+m1+", "+m2+"]" || icb.Messages != nil {
			t.Fatalf("Message = %q, Messages = %q", got, icb.Messages)
		}
	}
}

// find returns the set with that identity, or a zero RecordSet.
func find(sets []RecordSet, name, typ, id string) RecordSet {
	for _, rs := range sets {
		if rs.Name == name && rs.Type == typ && rs.SetIdentifier == id {
			return rs
		}
	}
	return RecordSet{}
}

func names(sets []types.ResourceRecordSet) []string {
	var out []string
	for _, rs := range sets {
		out = append(out, aws.ToString(rs.Name)+" "+string(rs.Type)+" "+aws.ToString(rs.SetIdentifier))
	}
	return out
}
