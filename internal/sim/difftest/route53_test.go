package difftest

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53 "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/google/go-cmp/cmp"

	route53sim "github.com/fbctl/fbctl/internal/sim/route53"
	"github.com/fbctl/fbctl/internal/testenv"
)

// The Route 53 tests. Every zone is example.com, made on moto with
// CreateHostedZone through the SDK and on internal/sim (which does not
// implement CreateHostedZone) with AddZone; from then on both sides see
// only the same SDK calls. Records are made by the SDK on both sides.

const apex = "example.com."

// r53Side is one emulator and an SDK client for it.
type r53Side struct {
	name    string
	c       *route53.Client
	newZone func(t *testing.T) string // a new example.com zone, its bare id
	// quirks, when set, corrects the side's record sets for its known
	// deviations (motoSetQuirks) and counts each one seen.
	quirks map[string]int
}

// startRoute53 starts moto_server and route53sim. route53sim answers
// INSYNC at once (PendingPolls -1), as moto does: by default it answers
// PENDING first, as the API Reference describes ("Initially, the status of
// a change is PENDING"), which moto never does (a moto quirk that the
// option hides instead of the test).
func startRoute53(t *testing.T) (sim, moto *r53Side) {
	m := testenv.StartMoto(t)
	s := route53sim.New(route53sim.Options{Seed: 1, PendingPolls: -1})
	url, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	sim = &r53Side{name: "sim", c: route53.NewFromConfig(sdkConfig(url)),
		newZone: func(*testing.T) string { return s.AddZone(apex, false) }}
	zones := 0
	moto = &r53Side{name: "moto", c: route53.NewFromConfig(sdkConfig(m.URL)), quirks: map[string]int{}}
	moto.newZone = func(t *testing.T) string {
		t.Helper()
		zones++
		out, err := moto.c.CreateHostedZone(ctxFor(t), &route53.CreateHostedZoneInput{
			Name: aws.String(apex), CallerReference: aws.String(fmt.Sprintf("difftest-%d", zones)),
		})
		if err != nil {
			t.Fatalf("moto: CreateHostedZone: %v", err)
		}
		return strings.TrimPrefix(aws.ToString(out.HostedZone.Id), "/hostedzone/")
	}
	return sim, moto
}

// ---- record sets ----

type rrs = r53.ResourceRecordSet

func values(vs ...string) []r53.ResourceRecord {
	var out []r53.ResourceRecord
	for _, v := range vs {
		out = append(out, r53.ResourceRecord{Value: aws.String(v)})
	}
	return out
}

func weighted(name, id string, weight, ttl int64, vs ...string) rrs {
	return rrs{Name: aws.String(name), Type: r53.RRTypeA, SetIdentifier: aws.String(id),
		Weight: aws.Int64(weight), TTL: aws.Int64(ttl), ResourceRecords: values(vs...)}
}

func simpleSet(name string, typ r53.RRType, ttl int64, vs ...string) rrs {
	return rrs{Name: aws.String(name), Type: typ, TTL: aws.Int64(ttl), ResourceRecords: values(vs...)}
}

// aliasSet is a weighted alias to a load balancer: the target's hosted
// zone id is the same constant on both sides (us-east-1 ELB's).
func aliasSet(name, id string, weight int64, dns string) rrs {
	return rrs{Name: aws.String(name), Type: r53.RRTypeA, SetIdentifier: aws.String(id), Weight: aws.Int64(weight),
		AliasTarget: &r53.AliasTarget{HostedZoneId: aws.String("Z35SXDOTRQ7X7K"), DNSName: aws.String(dns), EvaluateTargetHealth: true}}
}

func with(r rrs, f func(*rrs)) rrs { f(&r); return r }

func chg(action r53.ChangeAction, r rrs) r53.Change {
	return r53.Change{Action: action, ResourceRecordSet: &r}
}

func create(sets ...rrs) []r53.Change {
	var out []r53.Change
	for _, r := range sets {
		out = append(out, chg(r53.ChangeActionCreate, r))
	}
	return out
}

// base is the content every invalid-request case starts from, created
// with one CREATE batch: two weighted A sets, a simple A set with two
// values, two weighted alias sets.
func base() []r53.Change {
	return create(
		weighted("app.example.com", "primary", 200, 60, "192.0.2.1"),
		weighted("app.example.com", "secondary", 55, 60, "192.0.2.2"),
		simpleSet("db.example.com", r53.RRTypeA, 300, "192.0.2.10", "192.0.2.11"),
		aliasSet("www.example.com", "blue", 100, "web-1.us-east-1.elb.amazonaws.com"),
		aliasSet("www.example.com", "green", 0, "web-2.us-east-1.elb.amazonaws.com"),
	)
}

// ---- calls and what the SDK sees of them ----

// changeInfo is a ChangeInfo without what differs by design: the change
// id and the submission time.
type changeInfo struct {
	Status  r53.ChangeStatus
	Comment *string
	HasID   bool
}

func seeChange(ci *r53.ChangeInfo) changeInfo {
	if ci == nil {
		return changeInfo{}
	}
	return changeInfo{Status: ci.Status, Comment: ci.Comment, HasID: aws.ToString(ci.Id) != ""}
}

func (s *r53Side) change(t *testing.T, zone, comment string, changes []r53.Change) (changeInfo, string, outcome) {
	t.Helper()
	in := &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zone), ChangeBatch: &r53.ChangeBatch{Changes: changes}}
	if comment != "" {
		in.ChangeBatch.Comment = aws.String(comment)
	}
	out, err := s.c.ChangeResourceRecordSets(ctxFor(t), in)
	if err != nil {
		return changeInfo{}, "", outcomeOf(t, s.name, err)
	}
	return seeChange(out.ChangeInfo), aws.ToString(out.ChangeInfo.Id), outcome{}
}

// page is what a ListResourceRecordSets call shows.
type page struct {
	Sets                 []rrs
	IsTruncated          bool
	MaxItems             *int32
	NextRecordName       *string
	NextRecordType       r53.RRType
	NextRecordIdentifier *string
}

func (s *r53Side) list(t *testing.T, zone string, in route53.ListResourceRecordSetsInput) (page, outcome) {
	t.Helper()
	in.HostedZoneId = aws.String(zone)
	out, err := s.c.ListResourceRecordSets(ctxFor(t), &in)
	if err != nil {
		return page{}, outcomeOf(t, s.name, err)
	}
	return page{Sets: s.fix(normApex(out.ResourceRecordSets)), IsTruncated: out.IsTruncated, MaxItems: out.MaxItems,
		NextRecordName: out.NextRecordName, NextRecordType: out.NextRecordType, NextRecordIdentifier: out.NextRecordIdentifier}, outcome{}
}

// zoneSets lists the whole zone in one call (it stays under a page).
// Within one name and type the sets are put in SetIdentifier order: the
// API Reference (ListResourceRecordSets, "Sort order") orders by name and
// then type only, so the order inside a weighted group is not part of the
// contract (moto keeps insertion order, internal/sim sorts).
func (s *r53Side) zoneSets(t *testing.T, zone string) []rrs {
	t.Helper()
	p, o := s.list(t, zone, route53.ListResourceRecordSetsInput{})
	if o.Code != "" || p.IsTruncated {
		t.Fatalf("%s: listing zone %s: %v (truncated %v)", s.name, zone, o, p.IsTruncated)
	}
	sets := p.Sets
	sort.SliceStable(sets, func(i, j int) bool {
		a, b := sets[i], sets[j]
		if aws.ToString(a.Name) != aws.ToString(b.Name) || a.Type != b.Type {
			return false
		}
		return aws.ToString(a.SetIdentifier) < aws.ToString(b.SetIdentifier)
	})
	return sets
}

// motoSetQuirks are how moto shows record sets otherwise than AWS. The
// moto side's sets are corrected for them before they are compared, and
// TestRoute53 asserts that each one was seen, so that a moto that no
// longer has one is noticed.
var motoSetQuirks = []struct {
	name, why string
	fix       func(r *rrs) bool // corrects r; reports whether it had the quirk
}{
	{"alias set with TTL 0",
		"API Reference, ResourceRecordSet.TTL: \"If you're creating or updating an alias resource record set, omit TTL. " +
			"Amazon Route 53 uses the value of TTL for the alias target.\" AWS lists alias sets without TTL; moto lists TTL 0.",
		func(r *rrs) bool {
			if r.AliasTarget == nil || r.TTL == nil || *r.TTL != 0 {
				return false
			}
			r.TTL = nil
			return true
		}},
	{"alias DNSName kept as sent",
		"Route 53 answers every domain name fully qualified, with the trailing dot (API Reference, " +
			"ListResourceRecordSets: names are listed as \"com.example.www.\" sorts them; AliasTarget.DNSName of an ELB " +
			"comes back as \"dualstack.....elb.amazonaws.com.\"); moto returns the alias target's DNSName as sent.",
		func(r *rrs) bool {
			if r.AliasTarget == nil || strings.HasSuffix(aws.ToString(r.AliasTarget.DNSName), ".") {
				return false
			}
			a := *r.AliasTarget
			a.DNSName = aws.String(aws.ToString(a.DNSName) + ".")
			r.AliasTarget = &a
			return true
		}},
}

// fix corrects a side's sets for its quirks (none on internal/sim).
func (s *r53Side) fix(sets []rrs) []rrs {
	if s.quirks == nil {
		return sets
	}
	for i := range sets {
		for _, q := range motoSetQuirks {
			if q.fix(&sets[i]) {
				s.quirks[q.name]++
			}
		}
	}
	return sets
}

// normApex hides the values of the apex NS and SOA sets, which name each
// service's own name servers; their presence, name and type are kept.
func normApex(sets []rrs) []rrs {
	out := make([]rrs, 0, len(sets))
	for _, r := range sets {
		if aws.ToString(r.Name) == apex && (r.Type == r53.RRTypeNs || r.Type == r53.RRTypeSoa) {
			r = rrs{Name: r.Name, Type: r.Type}
		}
		out = append(out, r)
	}
	return out
}

// ---- the tests ----

// TestRoute53 runs the Route 53 differential tests against one moto_server.
func TestRoute53(t *testing.T) {
	sim, moto := startRoute53(t)
	t.Run("Sequence", func(t *testing.T) { testRoute53Sequence(t, sim, moto) })
	t.Run("InvalidChanges", func(t *testing.T) { testRoute53Invalid(t, sim, moto) })
	t.Run("List", func(t *testing.T) { testRoute53List(t, sim, moto) })
	t.Run("Errors", func(t *testing.T) { testRoute53Errors(t, sim, moto) })
	for _, q := range motoSetQuirks {
		if moto.quirks[q.name] == 0 {
			t.Errorf("moto quirk %q was not seen: moto changed; update motoSetQuirks", q.name)
		}
	}
}

// testRoute53Sequence runs one zone through a sequence of changes that
// both sides must answer alike, comparing after every step the answer
// and the whole zone.
func testRoute53Sequence(t *testing.T, sim, moto *r53Side) {
	zs, zm := sim.newZone(t), moto.newZone(t)
	compareZones := func(step string) {
		t.Helper()
		if d := cmp.Diff(sim.zoneSets(t, zs), moto.zoneSets(t, zm), ignoreUnexported); d != "" {
			t.Errorf("%s: zone (-sim +moto):\n%s", step, d)
		}
	}
	compareZones("new zone")

	steps := []struct {
		name    string
		comment string
		changes []r53.Change
		// wantCode is the error code both sides must answer ("" =
		// accepted).
		wantCode string
	}{
		{name: "create weighted, simple and alias sets", changes: base()},
		{name: "upsert weights, one to 0", comment: "shift", changes: []r53.Change{
			chg(r53.ChangeActionUpsert, weighted("app.example.com", "primary", 0, 60, "192.0.2.1")),
			chg(r53.ChangeActionUpsert, weighted("app.example.com", "secondary", 255, 60, "192.0.2.2")),
		}},
		{name: "upsert every weight of the group to 0", changes: []r53.Change{
			chg(r53.ChangeActionUpsert, weighted("app.example.com", "secondary", 0, 60, "192.0.2.2")),
		}},
		{name: "upsert an alias set's weight", changes: []r53.Change{
			chg(r53.ChangeActionUpsert, aliasSet("www.example.com", "green", 100, "web-2.us-east-1.elb.amazonaws.com")),
		}},
		{name: "upsert a new weighted set", changes: []r53.Change{
			chg(r53.ChangeActionUpsert, weighted("app.example.com", "tertiary", 1, 60, "192.0.2.3")),
		}},
		// Developer Guide, "Values specific for weighted records": several
		// values are allowed for every type but CNAME. (internal/sim
		// refused this until this test found it.)
		{name: "create a weighted set with two values", changes: create(
			weighted("app.example.com", "multi", 5, 60, "192.0.2.5", "192.0.2.6"))},
		{name: "delete the weighted set with two values", changes: []r53.Change{
			chg(r53.ChangeActionDelete, weighted("app.example.com", "multi", 5, 60, "192.0.2.5", "192.0.2.6")),
		}},
		// A CREATE identical to the one that made the set: moto only
		// recognizes a set as existing this way (see the InvalidChanges
		// table for a CREATE with other values).
		{name: "create of an existing set", changes: create(weighted("app.example.com", "primary", 200, 60, "192.0.2.1")),
			wantCode: "InvalidChangeBatch"},
		{name: "delete with the exact values", changes: []r53.Change{
			chg(r53.ChangeActionDelete, weighted("app.example.com", "tertiary", 1, 60, "192.0.2.3")),
		}},
		{name: "delete then create one set in a batch", changes: []r53.Change{
			chg(r53.ChangeActionDelete, weighted("app.example.com", "secondary", 0, 60, "192.0.2.2")),
			chg(r53.ChangeActionCreate, weighted("app.example.com", "secondary", 90, 60, "192.0.2.20")),
		}},
		// The batch is refused whole: the valid first change is not made.
		{name: "all or nothing", changes: append(
			create(weighted("app.example.com", "quaternary", 7, 60, "192.0.2.4")),
			create(weighted("app.example.com", "primary", 200, 60, "192.0.2.1"))...),
			wantCode: "InvalidChangeBatch"},
		{name: "upsert a simple set", changes: []r53.Change{
			chg(r53.ChangeActionUpsert, simpleSet("db.example.com", r53.RRTypeA, 120, "192.0.2.12")),
		}},
		{name: "delete an alias set", changes: []r53.Change{
			chg(r53.ChangeActionDelete, aliasSet("www.example.com", "blue", 100, "web-1.us-east-1.elb.amazonaws.com")),
		}},
	}
	for _, st := range steps {
		ciS, idS, oS := sim.change(t, zs, st.comment, st.changes)
		ciM, idM, oM := moto.change(t, zm, st.comment, st.changes)
		if oS.Code != st.wantCode || oM.Code != st.wantCode {
			t.Errorf("%s: want %q on both sides, sim %v, moto %v", st.name, st.wantCode, oS, oM)
		} else if oS != oM {
			t.Errorf("%s: sim %v, moto %v", st.name, oS, oM)
		}
		commentQuirk(t, st.name, st.comment, &ciS, &ciM)
		if d := cmp.Diff(ciS, ciM); d != "" {
			t.Errorf("%s: ChangeInfo (-sim +moto):\n%s", st.name, d)
		}
		if oS.Code == "" && oM.Code == "" {
			// GetChange of the change just made: INSYNC on both.
			gS, goS := sim.getChange(t, idS)
			gM, goM := moto.getChange(t, idM)
			commentQuirk(t, st.name+": GetChange", st.comment, &gS, &gM)
			if goS != goM || !cmp.Equal(gS, gM) {
				t.Errorf("%s: GetChange: sim %+v %v, moto %+v %v", st.name, gS, goS, gM, goM)
			}
		}
		compareZones(st.name)
	}
}

// commentQuirk asserts a moto quirk and hides it: AWS returns the change
// batch's comment in ChangeInfo (API Reference, ChangeInfo.Comment: "A
// comment you can provide"; the ChangeResourceRecordSets and GetChange
// examples show it), moto never does.
func commentQuirk(t *testing.T, step, comment string, sim, moto *changeInfo) {
	t.Helper()
	if comment == "" || sim.Status == "" {
		return
	}
	if aws.ToString(sim.Comment) != comment || moto.Comment != nil {
		t.Errorf("%s: ChangeInfo.Comment: want %q on sim and none on moto (moto quirk), got sim %q, moto %q",
			step, comment, aws.ToString(sim.Comment), aws.ToString(moto.Comment))
	}
	sim.Comment = nil
}

func (s *r53Side) getChange(t *testing.T, id string) (changeInfo, outcome) {
	t.Helper()
	out, err := s.c.GetChange(ctxFor(t), &route53.GetChangeInput{Id: aws.String(id)})
	if err != nil {
		return changeInfo{}, outcomeOf(t, s.name, err)
	}
	return seeChange(out.ChangeInfo), outcome{}
}

// r53Invalid lists every invalid change batch whose answers differ; the
// others must get the same error code (and SDK error type and HTTP
// status) on both sides.
var r53Invalid = map[string]known{
	"create of an existing set with other values": {Sim: "InvalidChangeBatch", Moto: "", Kind: motoQuirk,
		Why: "API Reference, ChangeResourceRecordSets: CREATE \"Creates a resource record set that has the specified values\" and " +
			"fails when it exists (AWS: \"Tried to create resource record set ... but it already exists\", InvalidChangeBatch). " +
			"moto only refuses a CREATE identical to an earlier CREATE in its change journal, and otherwise adds a second set " +
			"with the same name, type and SetIdentifier."},
	"delete with a wrong value": {Sim: "InvalidChangeBatch", Moto: "InvalidInput", Kind: motoQuirk,
		Why: "API Reference, ChangeResourceRecordSets: \"To delete a resource record set, you must specify all the same values " +
			"that you specified when you created it\"; AWS answers InvalidChangeBatch \"Tried to delete resource record set ... " +
			"but the values provided do not match the current values\". moto answers InvalidInput with the message of a " +
			"missing TTL (\"Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords]...\")."},
	"delete with a wrong weight": {Sim: "InvalidChangeBatch", Moto: "", Kind: motoQuirk,
		Why: "Same rule as a wrong value (all the same values); moto compares only TTL and values, against any earlier " +
			"CREATE/UPSERT of the name and type, then deletes by SetIdentifier."},
	"delete of an unknown set identifier": {Sim: "InvalidChangeBatch", Moto: "", Kind: motoQuirk,
		Why: "AWS answers InvalidChangeBatch \"Tried to delete resource record set ... but it was not found\"; moto matches the " +
			"values against another set of the name and type and deletes nothing."},
	"delete of an unknown name": {Sim: "InvalidChangeBatch", Moto: "InvalidInput", Kind: motoQuirk,
		Why: "AWS answers InvalidChangeBatch \"... but it was not found\"; moto answers InvalidInput (see delete with a wrong value)."},
	"weight 256": {Sim: "InvalidInput", Moto: "", Kind: strict,
		Why: "API Reference, ResourceRecordSet.Weight: \"Valid Range: Minimum value of 0. Maximum value of 255.\" " +
			"(also the Smithy model's @range in aws-sdk-go-v2/service/route53); a model constraint is answered InvalidInput."},
	"weight 300": {Sim: "InvalidInput", Moto: "", Kind: strict, Why: "As weight 256."},
	"weight -1":  {Sim: "InvalidInput", Moto: "", Kind: strict, Why: "As weight 256 (minimum 0)."},
	"set identifier of 129 characters": {Sim: "InvalidInput", Moto: "", Kind: strict,
		Why: "API Reference, ResourceRecordSet.SetIdentifier: \"Length Constraints: Minimum length of 1. Maximum length of 128.\""},
	"set identifier without weight": {Sim: "InvalidInput", Moto: "", Kind: strict,
		Why: "API Reference, ResourceRecordSet: SetIdentifier is for \"resource record sets that have a routing policy other " +
			"than simple\"; AWS answers InvalidInput \"Invalid request: Expected exactly one of [Weight, Region, Failover, " +
			"GeoLocation, or MultiValueAnswer], but found none in Change with [...]\" (hashicorp/terraform-provider-aws#1668)."},
	"weight without set identifier": {Sim: "InvalidInput", Moto: "", Kind: strict,
		Why: "AWS answers InvalidInput \"Invalid request: Missing field 'SetIdentifier' in Change with [...]\" " +
			"(quoted in kubernetes-sigs/external-dns#6082 and hashicorp/terraform#5776); API Reference, " +
			"ResourceRecordSet.SetIdentifier is required for routing policies other than simple."},
	"mixed routing policies on one name and type": {Sim: "InvalidChangeBatch", Moto: "", Kind: strict,
		Why: "The sets of one name and type share one routing policy (Developer Guide, \"Values specific for weighted " +
			"records\": the same name and type for every record of the group); AWS answers InvalidChangeBatch \"... cannot " +
			"be created as a non-weighted set exists with the same name and type\" (kubernetes-sigs/external-dns#4345; " +
			"likewise \"because a non multivalue answer rrset exists\", cert-manager/cert-manager#5388)."},
	"simple set beside weighted sets": {Sim: "InvalidChangeBatch", Moto: "", Kind: strict,
		Why: "AWS answers InvalidChangeBatch \"RRSet with DNS name ..., type ... cannot be created as other RRSets exist with " +
			"the same name and type.\" (quoted in chef-boneyard/route53#100)."},
	"two changes to one set in a batch": {Sim: "InvalidChangeBatch", Moto: "", Kind: strict,
		Why: "API Reference, ChangeResourceRecordSets: \"If you try to delete the same resource record set more than once in " +
			"a single change batch, Route 53 returns an InvalidChangeBatch error\"; AWS answers two changes of one set with " +
			"InvalidChangeBatch \"The request contains an invalid set of changes for a resource record set\" " +
			"(kubernetes-sigs/external-dns#4241). moto applies both, the last one winning."},
	"weighted sets with different TTLs": {Sim: "InvalidChangeBatch", Moto: "", Kind: strict,
		Why: "API Reference, ResourceRecordSet.TTL: \"All of the resource record sets in a group of weighted resource record " +
			"sets must have the same value for TTL\"; AWS answers InvalidChangeBatch \"... cannot be created as weighted sets " +
			"must contain the same TTL.\" (aws/aws-sdk-go-v2#518)."},
	"name outside the zone, after a valid change": {Sim: "InvalidChangeBatch", Moto: "InvalidChangeBatch", Kind: motoQuirk,
		Why: "Both refuse the batch, but moto has already made the valid first change (its zone differs afterwards). API " +
			"Reference, ChangeResourceRecordSets: \"Route 53 validates the changes in the request and then either makes all " +
			"or none of the changes in the change batch request.\""},
}

// testRoute53Invalid sends each invalid batch to a fresh copy of base on
// both sides. Where both refuse, the code, the SDK error type and the HTTP
// status must agree and both zones stay as they were; every other case is
// in r53Invalid, asserted as listed.
func testRoute53Invalid(t *testing.T, sim, moto *r53Side) {
	upsert := func(r rrs) []r53.Change { return []r53.Change{chg(r53.ChangeActionUpsert, r)} }
	del := func(r rrs) []r53.Change { return []r53.Change{chg(r53.ChangeActionDelete, r)} }
	cases := []struct {
		name    string
		changes []r53.Change
		code    string // the code both sides answer, for cases not in r53Invalid
	}{
		{"create of an existing set, identical", create(weighted("app.example.com", "primary", 200, 60, "192.0.2.1")), "InvalidChangeBatch"},
		{"create of an existing set with other values", create(weighted("app.example.com", "primary", 10, 60, "192.0.2.1")), ""},
		{"delete with a wrong value", del(weighted("app.example.com", "primary", 200, 60, "192.0.2.9")), ""},
		{"delete with a wrong weight", del(weighted("app.example.com", "primary", 1, 60, "192.0.2.1")), ""},
		{"delete of an unknown set identifier", del(weighted("app.example.com", "nope", 200, 60, "192.0.2.1")), ""},
		{"delete of an unknown name", del(simpleSet("nothing.example.com", r53.RRTypeA, 60, "192.0.2.1")), ""},
		{"weight 256", upsert(weighted("app.example.com", "primary", 256, 60, "192.0.2.1")), ""},
		{"weight 300", upsert(weighted("app.example.com", "primary", 300, 60, "192.0.2.1")), ""},
		{"weight -1", upsert(weighted("app.example.com", "primary", -1, 60, "192.0.2.1")), ""},
		{"set identifier of 129 characters", create(weighted("app.example.com", strings.Repeat("s", 129), 1, 60, "192.0.2.3")), ""},
		{"set identifier without weight", create(with(weighted("app.example.com", "third", 1, 60, "192.0.2.3"),
			func(r *rrs) { r.Weight = nil })), ""},
		{"weight without set identifier", create(with(weighted("new.example.com", "x", 1, 60, "192.0.2.3"),
			func(r *rrs) { r.SetIdentifier = nil })), ""},
		{"mixed routing policies on one name and type", create(with(weighted("app.example.com", "east", 1, 60, "192.0.2.3"),
			func(r *rrs) { r.Weight, r.Region = nil, r53.ResourceRecordSetRegionUsEast1 })), ""},
		{"simple set beside weighted sets", create(simpleSet("app.example.com", r53.RRTypeA, 60, "192.0.2.3")), ""},
		{"two changes to one set in a batch", append(
			upsert(weighted("app.example.com", "primary", 1, 60, "192.0.2.1")),
			upsert(weighted("app.example.com", "primary", 2, 60, "192.0.2.1"))...), ""},
		{"weighted sets with different TTLs", create(weighted("app.example.com", "third", 1, 300, "192.0.2.3")), ""},
		{"name outside the zone", create(simpleSet("www.example.org", r53.RRTypeA, 60, "192.0.2.3")), "InvalidChangeBatch"},
		{"name outside the zone, after a valid change", append(
			create(simpleSet("new.example.com", r53.RRTypeA, 60, "192.0.2.3")),
			create(simpleSet("www.example.org", r53.RRTypeA, 60, "192.0.2.3"))...), ""},
	}
	// motoPartial: the cases moto refuses but keeps the batch's first
	// change of.
	motoPartial := map[string]bool{"name outside the zone, after a valid change": true}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.name] = true
		zs, zm := sim.newZone(t), moto.newZone(t)
		for _, side := range []struct {
			s    *r53Side
			zone string
		}{{sim, zs}, {moto, zm}} {
			if _, _, o := side.s.change(t, side.zone, "", base()); o.Code != "" {
				t.Fatalf("%s: %s: base: %v", c.name, side.s.name, o)
			}
		}
		beforeS, beforeM := sim.zoneSets(t, zs), moto.zoneSets(t, zm)
		if d := cmp.Diff(beforeS, beforeM, ignoreUnexported); d != "" {
			t.Fatalf("%s: base differs (-sim +moto):\n%s", c.name, d)
		}
		_, _, oS := sim.change(t, zs, "", c.changes)
		_, _, oM := moto.change(t, zm, "", c.changes)
		afterS, afterM := sim.zoneSets(t, zs), moto.zoneSets(t, zm)
		t.Logf("%s: sim %v, moto %v", c.name, oS, oM)
		if oS.Code == "" {
			t.Errorf("%s: sim accepted an invalid batch", c.name)
		}
		// internal/sim refuses every case, and a refused batch changes
		// nothing.
		if d := cmp.Diff(beforeS, afterS, ignoreUnexported); d != "" {
			t.Errorf("%s: sim changed the zone although it refused the batch (-before +after):\n%s", c.name, d)
		}
		k, isKnown := r53Invalid[c.name]
		if !isKnown {
			if oS.Code != c.code || oS != oM {
				t.Errorf("%s: want %s on both sides; sim %v, moto %v", c.name, c.code, oS, oM)
			}
			if d := cmp.Diff(beforeM, afterM, ignoreUnexported); d != "" {
				t.Errorf("%s: moto changed the zone although it refused the batch (-before +after):\n%s", c.name, d)
			}
			continue
		}
		if oS.Code != k.Sim || oM.Code != k.Moto {
			t.Errorf("%s: known %s difference no longer holds: want sim %q moto %q, got sim %v moto %v",
				c.name, k.Kind, k.Sim, k.Moto, oS, oM)
		}
		if d := cmp.Diff(beforeM, afterM, ignoreUnexported); (d != "") != motoPartial[c.name] && oM.Code != "" {
			t.Errorf("%s: moto refused the batch; its zone changed: %v, want %v:\n%s", c.name, d != "", motoPartial[c.name], d)
		}
	}
	for name := range r53Invalid {
		if !seen[name] {
			t.Errorf("r53Invalid lists %q, which no case runs", name)
		}
	}
}

// testRoute53List compares ListResourceRecordSets pages: start positions
// by name and type, and maxitems.
func testRoute53List(t *testing.T, sim, moto *r53Side) {
	zs, zm := sim.newZone(t), moto.newZone(t)
	for _, side := range []struct {
		s    *r53Side
		zone string
	}{{sim, zs}, {moto, zm}} {
		if _, _, o := side.s.change(t, side.zone, "", base()); o.Code != "" {
			t.Fatalf("%s: base: %v", side.s.name, o)
		}
	}
	// The zone, in listing order: example.com NS, SOA; app A primary,
	// secondary; db A; www A blue, green.
	type in = route53.ListResourceRecordSetsInput
	cases := []struct {
		name string
		in   in
		// nextID: moto 5.2.1 never returns NextRecordIdentifier. Where the
		// next set has a SetIdentifier, internal/sim returns it and moto
		// nothing; the pages are compared otherwise. Where the page splits
		// a weighted group (maxitems 3, page of 1) this is a moto quirk:
		// the API Reference (ListResourceRecordSets, NextRecordIdentifier:
		// "If results were truncated for a given DNS name and type, the
		// value of SetIdentifier for the next resource record set that has
		// the current DNS name and type") requires it, and a walk on moto
		// repeats the group's first sets. Where the page ends between two
		// names (maxitems 2 and 5), the reference does not say whether AWS
		// sends it; internal/sim's is the next set's start key, which a
		// client may send back or not with the same result.
		nextID string
		// motoIDs: moto ignores StartRecordIdentifier (API Reference:
		// "StartRecordIdentifier ... the value of NextRecordIdentifier
		// from the previous response") and starts at the first set of the
		// name and type; the set identifiers moto lists, internal/sim's
		// being the documented ones.
		motoIDs, simIDs []string
	}{
		{name: "whole zone", in: in{}},
		{name: "maxitems 2", in: in{MaxItems: aws.Int32(2)}, nextID: "primary"},
		{name: "maxitems 3", in: in{MaxItems: aws.Int32(3)}, nextID: "secondary"},
		{name: "maxitems 5", in: in{MaxItems: aws.Int32(5)}, nextID: "blue"},
		{name: "start at a name and type", in: in{StartRecordName: aws.String("app.example.com"), StartRecordType: r53.RRTypeA}},
		{name: "start at a name without trailing dot, page of 1",
			in: in{StartRecordName: aws.String("app.example.com"), StartRecordType: r53.RRTypeA, MaxItems: aws.Int32(1)}, nextID: "secondary"},
		{name: "start at a name only", in: in{StartRecordName: aws.String("db.example.com.")}},
		{name: "start between names", in: in{StartRecordName: aws.String("b.example.com")}},
		{name: "start at a type the name lacks", in: in{StartRecordName: aws.String("db.example.com"), StartRecordType: r53.RRTypeMx}},
		{name: "start after the last name", in: in{StartRecordName: aws.String("zzz.example.com")}},
		{name: "start at a set identifier",
			in:      in{StartRecordName: aws.String("www.example.com"), StartRecordType: r53.RRTypeA, StartRecordIdentifier: aws.String("green")},
			motoIDs: []string{"blue", "green"}, simIDs: []string{"green"}},
	}
	for _, c := range cases {
		pS, oS := sim.list(t, zs, c.in)
		pM, oM := moto.list(t, zm, c.in)
		if oS.Code != "" || oM.Code != "" {
			t.Errorf("%s: sim %v, moto %v", c.name, oS, oM)
			continue
		}
		if c.nextID != "" {
			if aws.ToString(pS.NextRecordIdentifier) != c.nextID || pM.NextRecordIdentifier != nil {
				t.Errorf("%s: NextRecordIdentifier: want %q on sim and none on moto (moto quirk), got sim %v moto %v",
					c.name, c.nextID, aws.ToString(pS.NextRecordIdentifier), pM.NextRecordIdentifier)
			}
			pS.NextRecordIdentifier = nil
		}
		if c.motoIDs != nil {
			if got := setIDs(pM.Sets); !cmp.Equal(got, c.motoIDs) {
				t.Errorf("%s: moto lists %v, want %v (moto quirk: StartRecordIdentifier ignored)", c.name, got, c.motoIDs)
			}
			if got := setIDs(pS.Sets); !cmp.Equal(got, c.simIDs) {
				t.Errorf("%s: sim lists %v, want %v", c.name, got, c.simIDs)
			}
			continue
		}
		if d := cmp.Diff(pS, pM, ignoreUnexported); d != "" {
			t.Errorf("%s: page (-sim +moto):\n%s", c.name, d)
		}
	}

	// Sort order with a character below '.': the API Reference
	// (ListResourceRecordSets, "Sort order") sorts by the reversed labels
	// *with the trailing dot*, "which can change the sort order when the
	// record name contains characters that appear before . (decimal 46) in
	// the ASCII table. These characters include ... -": a-b.example.com.
	// (com.example.a-b.) lists before a.example.com. (com.example.a.).
	// moto drops the trailing dot and lists a before a-b (moto quirk).
	zs2, zm2 := sim.newZone(t), moto.newZone(t)
	dash := create(simpleSet("a.example.com", r53.RRTypeA, 60, "192.0.2.1"), simpleSet("a-b.example.com", r53.RRTypeA, 60, "192.0.2.2"))
	if _, _, o := sim.change(t, zs2, "", dash); o.Code != "" {
		t.Fatalf("sim: %v", o)
	}
	if _, _, o := moto.change(t, zm2, "", dash); o.Code != "" {
		t.Fatalf("moto: %v", o)
	}
	pS, _ := sim.list(t, zs2, in{StartRecordName: aws.String("a-b.example.com")})
	pM, _ := moto.list(t, zm2, in{StartRecordName: aws.String("a-b.example.com")})
	if got, want := setNames(pS.Sets), []string{"a-b.example.com.", "a.example.com."}; !cmp.Equal(got, want) {
		t.Errorf("sim lists %v, want %v", got, want)
	}
	if got, want := setNames(pM.Sets), []string{"a-b.example.com."}; !cmp.Equal(got, want) {
		t.Errorf("moto lists %v, want %v (moto quirk: a sorts before a-b)", got, want)
	}

	// The sim's pages, walked with its Next* values, hold every set once.
	// (A walk on moto repeats the sets of a weighted group that a page
	// boundary splits, for want of NextRecordIdentifier.)
	all := sim.zoneSets(t, zs)
	var walked []rrs
	next := in{MaxItems: aws.Int32(1)}
	for i := 0; i <= len(all); i++ {
		p, o := sim.list(t, zs, next)
		if o.Code != "" {
			t.Fatalf("sim walk: %v", o)
		}
		walked = append(walked, p.Sets...)
		if !p.IsTruncated {
			break
		}
		next = in{MaxItems: aws.Int32(1), StartRecordName: p.NextRecordName, StartRecordType: p.NextRecordType,
			StartRecordIdentifier: p.NextRecordIdentifier}
	}
	if d := cmp.Diff(all, walked, ignoreUnexported); d != "" {
		t.Errorf("sim: pages of 1 (-whole +walked):\n%s", d)
	}
}

func setNames(sets []rrs) []string {
	var out []string
	for _, r := range sets {
		out = append(out, aws.ToString(r.Name))
	}
	return out
}

func setIDs(sets []rrs) []string {
	var out []string
	for _, r := range sets {
		out = append(out, aws.ToString(r.SetIdentifier))
	}
	return out
}

// r53Calls lists the other calls whose answers differ.
var r53Calls = map[string]known{
	"GetChange of an unknown change": {Sim: "NoSuchChange", Moto: "", Kind: strict,
		Why: "API Reference, GetChange, Errors: \"NoSuchChange: A change with the specified change ID does not exist.\" " +
			"moto answers INSYNC for any id."},
}

// testRoute53Errors compares the answers to invalid calls other than
// change batches.
func testRoute53Errors(t *testing.T, sim, moto *r53Side) {
	zs, zm := sim.newZone(t), moto.newZone(t)
	const noZone = "Z0000000000000000NONE"
	cases := []struct {
		name string
		call func(s *r53Side, zone string) error
		code string
	}{
		{"change in an unknown zone", func(s *r53Side, _ string) error {
			_, err := s.c.ChangeResourceRecordSets(ctxFor(t), &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(noZone),
				ChangeBatch: &r53.ChangeBatch{Changes: base()}})
			return err
		}, "NoSuchHostedZone"},
		{"list an unknown zone", func(s *r53Side, _ string) error {
			_, err := s.c.ListResourceRecordSets(ctxFor(t), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(noZone)})
			return err
		}, "NoSuchHostedZone"},
		{"list with a start type but no start name", func(s *r53Side, zone string) error {
			_, err := s.c.ListResourceRecordSets(ctxFor(t), &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone),
				StartRecordType: r53.RRTypeA})
			return err
		}, "InvalidInput"},
		{"GetChange of an unknown change", func(s *r53Side, _ string) error {
			_, err := s.c.GetChange(ctxFor(t), &route53.GetChangeInput{Id: aws.String("C0000000000NONE")})
			return err
		}, ""},
	}
	for _, c := range cases {
		oS := outcomeOf(t, "sim", c.call(sim, zs))
		oM := outcomeOf(t, "moto", c.call(moto, zm))
		t.Logf("%s: sim %v, moto %v", c.name, oS, oM)
		if k, ok := r53Calls[c.name]; ok {
			if oS.Code != k.Sim || oM.Code != k.Moto {
				t.Errorf("%s: known %s difference no longer holds: want sim %q moto %q, got sim %v moto %v",
					c.name, k.Kind, k.Sim, k.Moto, oS, oM)
			}
			continue
		}
		if oS.Code != c.code || oS != oM {
			t.Errorf("%s: want %s on both sides; sim %v, moto %v", c.name, c.code, oS, oM)
		}
	}
}
