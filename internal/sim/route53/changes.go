package route53sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// Limits of one ChangeResourceRecordSets request (Route 53 Developer
// Guide, "Quotas" > "Quotas on API requests"): an UPSERT counts twice.
const (
	maxBatchRecords = 1000
	maxBatchChars   = 32000
	maxWeightedSets = 100 // per name and type (ResourceRecordSet.Weight)
)

// parsedChange is one validated change of a batch.
type parsedChange struct {
	action string
	rs     *RecordSet
}

// changeRecordSets is ChangeResourceRecordSets:
// POST /2013-04-01/hostedzone/{Id}/rrset. The checks run in this order and
// the first stage that finds a problem answers:
//  1. XML (InvalidInput, MalformedInput for another root element);
//  2. model constraints (InvalidInput "N validation errors detected");
//  3. the shape of each set (InvalidInput "Invalid request: ...");
//  4. the zone exists (NoSuchHostedZone), referenced health checks exist
//     (NoSuchHealthCheck);
//  5. batch size limits (InvalidChangeBatch);
//  6. every change against the zone, applied in order to a copy, and then
//     the (name, type) groups it touched (InvalidChangeBatch, one message
//     per problem).
//
// The zone changes only when every check passes.
func (s *Server) changeRecordSets(zoneID string, body []byte) (any, *apiError) {
	req, aerr := parseChangeRequest(body)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := validateConstraints(zoneID, req); aerr != nil {
		return nil, aerr
	}
	changes, aerr := validateShapes(req)
	if aerr != nil {
		return nil, aerr
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	z, ok := s.zones[zoneID]
	if !ok {
		return nil, noSuchZone(zoneID)
	}
	for _, c := range changes {
		if id := c.rs.HealthCheckId; id != "" && c.action != "DELETE" {
			if _, ok := s.health[id]; !ok {
				return nil, &apiError{status: http.StatusNotFound, code: "NoSuchHealthCheck",
					message: "No health check exists with the specified ID " + id}
			}
		}
	}
	if msg := checkBatchLimits(changes); msg != "" {
		return nil, s.invalidChangeBatch([]string{msg})
	}
	work, msgs := applyChanges(z, changes)
	if len(msgs) > 0 {
		return nil, s.invalidChangeBatch(msgs)
	}
	z.sets, z.order = work, nil

	c := &change{id: s.newID("C", 13, zoneID), submitted: s.opts.Now(), comment: req.ChangeBatch.Comment}
	s.changes[c.id] = c
	status := "PENDING"
	if s.opts.PendingPolls == 0 {
		status = "INSYNC"
	}
	return &changeResponse{ChangeInfo: xmlChangeInfo{Id: "/change/" + c.id, Status: status,
		SubmittedAt: formatTime(c.submitted), Comment: c.comment}}, nil
}

func parseChangeRequest(body []byte) (*xmlChangeRequest, *apiError) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil, invalidInput("Invalid XML ; the request body is empty")
		}
		if err != nil {
			return nil, invalidInput("Invalid XML ; %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "ChangeResourceRecordSetsRequest" {
				return nil, &apiError{status: http.StatusBadRequest, code: "MalformedInput",
					message: "ChangeBatch is not valid, expected ChangeResourceRecordSetsRequest"}
			}
			break
		}
	}
	var req xmlChangeRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return nil, invalidInput("Invalid XML ; %v", err)
	}
	return &req, nil
}

// validateConstraints checks the Smithy model's constraints (lengths,
// ranges, enums, required members) the way the service's front end does:
// every violation is listed in one InvalidInput.
func validateConstraints(zoneID string, req *xmlChangeRequest) *apiError {
	var v []string
	add := func(value any, path, constraint string) {
		v = append(v, fmt.Sprintf("Value '%v' at '%s' failed to satisfy constraint: Member must %s", value, path, constraint))
	}
	if len(zoneID) > 32 {
		add(zoneID, "hostedZoneId", "have length less than or equal to 32")
	}
	if req.ChangeBatch == nil {
		add("null", "changeBatch", "not be null")
	} else if req.ChangeBatch.Changes == nil || len(req.ChangeBatch.Changes.Change) == 0 {
		if req.ChangeBatch.Changes == nil {
			add("null", "changeBatch.changes", "not be null")
		} else {
			add("[]", "changeBatch.changes", "have length greater than or equal to 1")
		}
	} else {
		if c := req.ChangeBatch.Comment; c != nil && len(*c) > 256 {
			add(*c, "changeBatch.comment", "have length less than or equal to 256")
		}
		for i, c := range req.ChangeBatch.Changes.Change {
			p := fmt.Sprintf("changeBatch.changes.%d.member", i+1)
			switch {
			case c.Action == nil:
				add("null", p+".action", "not be null")
			case *c.Action != "CREATE" && *c.Action != "DELETE" && *c.Action != "UPSERT":
				add(*c.Action, p+".action", "satisfy enum value set: [CREATE, DELETE, UPSERT]")
			}
			r := c.ResourceRecordSet
			if r == nil {
				add("null", p+".resourceRecordSet", "not be null")
				continue
			}
			p += ".resourceRecordSet"
			if r.Name == nil {
				add("null", p+".name", "not be null")
			} else if len(*r.Name) > 1024 {
				add(*r.Name, p+".name", "have length less than or equal to 1024")
			}
			if r.Type == nil {
				add("null", p+".type", "not be null")
			} else if !rrTypes[*r.Type] {
				add(*r.Type, p+".type", "satisfy enum value set: "+typeList())
			}
			if id := r.SetIdentifier; id != nil {
				if len(*id) < 1 {
					add(*id, p+".setIdentifier", "have length greater than or equal to 1")
				} else if len(*id) > 128 {
					add(*id, p+".setIdentifier", "have length less than or equal to 128")
				}
			}
			if w := r.Weight; w != nil {
				if *w < 0 {
					add(*w, p+".weight", "have value greater than or equal to 0")
				} else if *w > 255 {
					add(*w, p+".weight", "have value less than or equal to 255")
				}
			}
			if t := r.TTL; t != nil {
				if *t < 0 {
					add(*t, p+".tTL", "have value greater than or equal to 0")
				} else if *t > 2147483647 {
					add(*t, p+".tTL", "have value less than or equal to 2147483647")
				}
			}
			if f := r.Failover; f != nil && *f != "PRIMARY" && *f != "SECONDARY" {
				add(*f, p+".failover", "satisfy enum value set: [PRIMARY, SECONDARY]")
			}
			if reg := r.Region; reg != nil && (len(*reg) < 1 || len(*reg) > 64) {
				add(*reg, p+".region", "have length between 1 and 64")
			}
			if h := r.HealthCheckId; h != nil && len(*h) > 64 {
				add(*h, p+".healthCheckId", "have length less than or equal to 64")
			}
			if rr := r.ResourceRecords; rr != nil {
				if len(rr.ResourceRecord) == 0 {
					add("[]", p+".resourceRecords", "have length greater than or equal to 1")
				}
				for j, x := range rr.ResourceRecord {
					q := fmt.Sprintf("%s.resourceRecords.%d.member.value", p, j+1)
					if x.Value == nil {
						add("null", q, "not be null")
					} else if len(*x.Value) > 4000 {
						add(*x.Value, q, "have length less than or equal to 4000")
					}
				}
			}
			if a := r.AliasTarget; a != nil {
				if a.HostedZoneId == nil {
					add("null", p+".aliasTarget.hostedZoneId", "not be null")
				}
				if a.DNSName == nil {
					add("null", p+".aliasTarget.dNSName", "not be null")
				}
				if a.EvaluateTargetHealth == nil {
					add("null", p+".aliasTarget.evaluateTargetHealth", "not be null")
				}
			}
		}
	}
	if len(v) == 0 {
		return nil
	}
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return invalidInput("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; "))
}

// validateShapes checks each set's combination of members ("Invalid
// request" answers) and normalizes names.
func validateShapes(req *xmlChangeRequest) ([]parsedChange, *apiError) {
	var out []parsedChange
	for _, c := range req.ChangeBatch.Changes.Change {
		rs := fromWire(c.ResourceRecordSet)
		action := *c.Action
		where := fmt.Sprintf("Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=%s]",
			action, rs.Name, rs.Type, orNull(c.ResourceRecordSet.SetIdentifier))
		alias, plain, tp := rs.AliasTarget != nil, rs.TTL != nil && rs.ResourceRecords != nil, rs.TrafficPolicyInstanceId != ""
		n := 0
		for _, b := range []bool{alias, plain, tp} {
			if b {
				n++
			}
		}
		if alias && (rs.TTL != nil || rs.ResourceRecords != nil) {
			n = 2
		}
		if n != 1 {
			found := "none"
			if n > 1 {
				found = "more than one"
			}
			return nil, invalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found %s in %s", found, where)
		}
		pf := rs.policyFields()
		if len(pf) > 0 && c.ResourceRecordSet.SetIdentifier == nil {
			return nil, invalidInput("Invalid request: Missing field 'SetIdentifier' in %s", where)
		}
		if c.ResourceRecordSet.SetIdentifier != nil && len(pf) != 1 {
			found := "none"
			if len(pf) > 1 {
				found = "more than one"
			}
			return nil, invalidInput("Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, GeoProximityLocation, MultiValueAnswer, or CidrRoutingConfig], but found %s in %s", found, where)
		}
		out = append(out, parsedChange{action: action, rs: &rs})
	}
	return out, nil
}

func orNull(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

// invalidChangeBatch is the InvalidChangeBatch answer (HTTP 400). Route 53
// now sends it in the standard ErrorResponse form with the messages as one
// "[m1, m2]" Message (aws/aws-sdk-kotlin#1435, 2024: "Route53 no longer
// returns non-standard InvalidChangeBatch errors"); botocore, and so the
// AWS CLI, reads only that form. Options.LegacyInvalidChangeBatch selects
// the older <InvalidChangeBatch><Messages> form, which the Go SDK's
// route53 customization still parses into InvalidChangeBatch.Messages.
func (s *Server) invalidChangeBatch(msgs []string) *apiError {
	e := &apiError{status: http.StatusBadRequest, code: "InvalidChangeBatch", message: "[" + strings.Join(msgs, ", ") + "]"}
	if s.opts.LegacyInvalidChangeBatch {
		e.batch = msgs
	}
	return e
}

// checkBatchLimits enforces the request-size quotas; it returns the
// problem, or "".
func checkBatchLimits(changes []parsedChange) string {
	records, chars := 0, 0
	for _, c := range changes {
		n, l := len(c.rs.ResourceRecords), 0
		for _, v := range c.rs.ResourceRecords {
			l += len(v)
		}
		if c.action == "UPSERT" {
			n, l = 2*n, 2*l
		}
		records += n
		chars += l
	}
	if records > maxBatchRecords {
		return fmt.Sprintf("Number of records limit of %d exceeded: the batch has %d ResourceRecord elements (UPSERT counts twice)", maxBatchRecords, records)
	}
	if chars > maxBatchChars {
		return fmt.Sprintf("Number of characters limit of %d exceeded: the batch has %d characters in Value elements (UPSERT counts twice)", maxBatchChars, chars)
	}
	return ""
}

// applyChanges applies a batch to a copy of the zone's sets and returns
// the copy and the problems found; the zone itself is not touched.
func applyChanges(z *zone, changes []parsedChange) (map[string]*RecordSet, []string) {
	work := make(map[string]*RecordSet, len(z.sets)+len(changes))
	for k, v := range z.sets {
		work[k] = v
	}
	var msgs []string
	groups, names := map[string]bool{}, map[string]bool{}
	last := map[string]string{} // key -> action of its previous change in the batch
	for _, c := range changes {
		rs := c.rs
		n, err := normalizeName(rs.Name)
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("FATAL problem: %v encountered with '%s'", err, rs.Name))
			continue
		}
		rs.Name = n
		if rs.AliasTarget != nil {
			d, err := normalizeName(rs.AliasTarget.DNSName)
			if err != nil {
				msgs = append(msgs, fmt.Sprintf("FATAL problem: %v encountered with alias target '%s'", err, rs.AliasTarget.DNSName))
				continue
			}
			rs.AliasTarget.DNSName = d
		}
		if !inZone(rs.Name, z.name) {
			msgs = append(msgs, fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", rs.Name, z.name))
			continue
		}
		k := rs.key()
		if prev, dup := last[k]; dup && !(prev == "DELETE" && c.action == "CREATE") {
			msgs = append(msgs, fmt.Sprintf("The request contains more than one change for resource record set %s; only a DELETE followed by a CREATE may name the same set", rs.describe()))
			continue
		}
		last[k] = c.action
		groups[rs.groupKey()], names[rs.Name] = true, true
		cur, exists := work[k]
		switch c.action {
		case "CREATE":
			if exists {
				msgs = append(msgs, fmt.Sprintf("Tried to create resource record set %s but it already exists", rs.describe()))
				continue
			}
			work[k] = rs
		case "DELETE":
			switch {
			case !exists:
				msgs = append(msgs, fmt.Sprintf("Tried to delete resource record set %s but it was not found", rs.describe()))
			case !sameAs(cur, rs):
				msgs = append(msgs, fmt.Sprintf("Tried to delete resource record set %s but the values provided do not match the current values", rs.describe()))
			default:
				delete(work, k)
			}
			continue
		case "UPSERT":
			work[k] = rs
		}
		// A weighted set may hold several values (Developer Guide, "Values
		// specific for weighted records", Value/Route traffic to: several
		// values for every type but CNAME).
	}
	return work, append(msgs, checkGroups(work, z.name, groups, names)...)
}

// checkGroups checks the rules that span sets: one routing policy per
// (name, type), the weighted-group limits, CNAME exclusivity, and the apex
// SOA and NS sets.
func checkGroups(work map[string]*RecordSet, apex string, groups, names map[string]bool) []string {
	byGroup := map[string][]*RecordSet{}
	typesAt := map[string]map[string]bool{}
	for _, rs := range work {
		if groups[rs.groupKey()] {
			byGroup[rs.groupKey()] = append(byGroup[rs.groupKey()], rs)
		}
		if names[rs.Name] {
			if typesAt[rs.Name] == nil {
				typesAt[rs.Name] = map[string]bool{}
			}
			typesAt[rs.Name][rs.Type] = true
		}
	}
	var msgs []string
	keys := make([]string, 0, len(byGroup))
	for k := range byGroup {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sets := byGroup[k]
		sort.Slice(sets, func(i, j int) bool { return sets[i].SetIdentifier < sets[j].SetIdentifier })
		name, typ := sets[0].Name, sets[0].Type
		policies := map[string]bool{}
		for _, rs := range sets {
			policies[rs.policy()] = true
		}
		if len(policies) > 1 {
			if policies["simple"] {
				msgs = append(msgs, fmt.Sprintf("RRSet with DNS name %s, type %s cannot be created as other RRSets exist with the same name and type.", name, typ))
			} else {
				msgs = append(msgs, fmt.Sprintf("RRSet with DNS name %s, type %s cannot mix routing policies: %s", name, typ, strings.Join(sortedKeys(policies), ", ")))
			}
			continue
		}
		if !policies["weighted"] {
			continue
		}
		if len(sets) > maxWeightedSets {
			msgs = append(msgs, fmt.Sprintf("RRSet with DNS name %s, type %s: at most %d weighted record sets can have the same name and type (found %d)", name, typ, maxWeightedSets, len(sets)))
		}
		var ttl *int64
		for _, rs := range sets {
			if rs.TTL == nil {
				continue
			}
			if ttl == nil {
				ttl = rs.TTL
			} else if *ttl != *rs.TTL {
				msgs = append(msgs, fmt.Sprintf("RRSet with DNS name %s, type %s: all weighted record sets with the same name and type must have the same TTL (found %d and %d)", name, typ, *ttl, *rs.TTL))
				break
			}
		}
	}
	for _, n := range sortedKeys(names) {
		ts := typesAt[n]
		if ts["CNAME"] && n == apex {
			msgs = append(msgs, fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s", n, apex))
		} else if ts["CNAME"] && len(ts) > 1 {
			msgs = append(msgs, fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted as it conflicts with other records with the same DNS name in zone %s", n, apex))
		}
		if n == apex && !ts["SOA"] {
			msgs = append(msgs, "A HostedZone must contain exactly one SOA record.")
		}
		if n == apex && !ts["NS"] {
			msgs = append(msgs, "A HostedZone must contain at least one NS record for the zone itself.")
		}
	}
	return msgs
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
