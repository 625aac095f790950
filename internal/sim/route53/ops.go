package route53sim

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
)

// Page sizes of the list operations (API reference, MaxItems of each).
const (
	maxRecordPage = 300
	maxZonePage   = 100
)

// maxItems parses a maxitems parameter: absent -> limit; above the limit
// -> limit; not a positive integer -> InvalidInput.
func maxItems(q url.Values, limit int) (int, *apiError) {
	v := q.Get("maxitems")
	if v == "" {
		return limit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, invalidInput("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must be a positive integer", v)
	}
	if n > limit {
		n = limit
	}
	return n, nil
}

func (z *zone) wire() *xmlHostedZone {
	x := &xmlHostedZone{Id: "/hostedzone/" + z.id, Name: z.name, CallerReference: z.callerRef,
		ResourceRecordSetCount: len(z.sets)}
	x.Config.Comment, x.Config.PrivateZone = z.comment, z.private
	return x
}

// listZones is ListHostedZones: GET /2013-04-01/hostedzone?marker=&maxitems=.
func (s *Server) listZones(q url.Values) (any, *apiError) {
	page, aerr := maxItems(q, maxZonePage)
	if aerr != nil {
		return nil, aerr
	}
	marker := bareID(q.Get("marker"))
	s.mu.Lock()
	defer s.mu.Unlock()
	zones := s.sortedZones()
	start := 0
	if marker != "" {
		start = -1
		for i, z := range zones {
			if z.id == marker {
				start = i
				break
			}
		}
		if start < 0 {
			return nil, invalidInput("Invalid marker: %s", marker)
		}
	}
	resp := &listZonesResponse{Marker: q.Get("marker"), MaxItems: page, HostedZones: []*xmlHostedZone{}}
	for i := start; i < len(zones); i++ {
		if len(resp.HostedZones) == page {
			resp.IsTruncated, resp.NextMarker = true, zones[i].id
			break
		}
		resp.HostedZones = append(resp.HostedZones, zones[i].wire())
	}
	return resp, nil
}

// listZonesByName is ListHostedZonesByName:
// GET /2013-04-01/hostedzonesbyname?dnsname=&hostedzoneid=&maxitems=.
func (s *Server) listZonesByName(q url.Values) (any, *apiError) {
	page, aerr := maxItems(q, maxZonePage)
	if aerr != nil {
		return nil, aerr
	}
	dns, zid := q.Get("dnsname"), bareID(q.Get("hostedzoneid"))
	if zid != "" && dns == "" {
		return nil, invalidInput("HostedZoneId requires DNSName")
	}
	resp := &listZonesByNameResponse{MaxItems: page, HostedZoneId: zid, HostedZones: []*xmlHostedZone{}}
	start := ""
	if dns != "" {
		n, err := normalizeName(dns)
		if err != nil {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidDomainName", message: err.Error()}
		}
		resp.DNSName, start = n, sortName(n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, z := range s.sortedZones() {
		k := sortName(z.name)
		if k < start || (k == start && z.id < zid) {
			continue
		}
		if len(resp.HostedZones) == page {
			resp.IsTruncated, resp.NextDNSName, resp.NextHostedZoneId = true, z.name, z.id
			break
		}
		resp.HostedZones = append(resp.HostedZones, z.wire())
	}
	return resp, nil
}

// getZone is GetHostedZone: GET /2013-04-01/hostedzone/{Id}.
func (s *Server) getZone(id string) (any, *apiError) {
	if len(id) > 32 {
		return nil, invalidInput("1 validation error detected: Value '%s' at 'id' failed to satisfy constraint: Member must have length less than or equal to 32", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z, ok := s.zones[id]
	if !ok {
		return nil, noSuchZone(id)
	}
	resp := &getZoneResponse{HostedZone: z.wire()}
	if z.private {
		resp.VPCs = &struct {
			VPC []struct {
				VPCRegion string `xml:"VPCRegion"`
				VPCId     string `xml:"VPCId"`
			} `xml:"VPC"`
		}{}
		resp.VPCs.VPC = append(resp.VPCs.VPC, struct {
			VPCRegion string `xml:"VPCRegion"`
			VPCId     string `xml:"VPCId"`
		}{"us-east-1", "vpc-0fbc7100000000001"})
	} else {
		resp.DelegationSet = &struct {
			NameServers []string `xml:"NameServers>NameServer"`
		}{NameServers: append([]string(nil), nameServers...)}
	}
	return resp, nil
}

// listRecordSets is ListResourceRecordSets:
// GET /2013-04-01/hostedzone/{Id}/rrset?name=&type=&identifier=&maxitems=.
func (s *Server) listRecordSets(id string, q url.Values) (any, *apiError) {
	page, aerr := maxItems(q, maxRecordPage)
	if aerr != nil {
		return nil, aerr
	}
	name, typ, ident := q.Get("name"), q.Get("type"), q.Get("identifier")
	if typ != "" && name == "" {
		return nil, invalidInput("Invalid request: StartRecordType requires StartRecordName")
	}
	if ident != "" && typ == "" {
		return nil, invalidInput("Invalid request: StartRecordIdentifier requires StartRecordName and StartRecordType")
	}
	if typ != "" && !rrTypes[typ] {
		return nil, invalidInput("1 validation error detected: Value '%s' at 'startRecordType' failed to satisfy constraint: Member must satisfy enum value set: %s", typ, typeList())
	}
	start := ""
	if name != "" {
		n, err := normalizeName(name)
		if err != nil {
			return nil, invalidInput("Invalid request: %v", err)
		}
		start = sortName(n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z, ok := s.zones[id]
	if !ok {
		return nil, noSuchZone(id)
	}
	sets := z.sorted()
	i := sort.Search(len(sets), func(i int) bool { return compareStart(sets[i], start, typ, ident) >= 0 })
	resp := &listRRSResponse{MaxItems: page, ResourceRecordSets: []*xmlRRS{}}
	for ; i < len(sets); i++ {
		if len(resp.ResourceRecordSets) == page {
			next := sets[i]
			resp.IsTruncated = true
			resp.NextRecordName, resp.NextRecordType = ptr(next.Name), ptr(next.Type)
			resp.NextRecordIdentifier = nonEmpty(next.SetIdentifier)
			break
		}
		resp.ResourceRecordSets = append(resp.ResourceRecordSets, toWire(sets[i]))
	}
	return resp, nil
}

func typeList() string {
	ts := make([]string, 0, len(rrTypes))
	for t := range rrTypes {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	s := "["
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += t
	}
	return s + "]"
}

// getChange is GetChange: GET /2013-04-01/change/{Id}. Each call of a
// change counts one poll; the first PendingPolls polls answer PENDING.
func (s *Server) getChange(id string) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.changes[id]
	if !ok {
		return nil, &apiError{status: http.StatusNotFound, code: "NoSuchChange",
			message: "A change with the specified change ID does not exist: " + id}
	}
	status := "INSYNC"
	if c.polls < s.opts.PendingPolls {
		status = "PENDING"
	}
	c.polls++
	return &getChangeResponse{ChangeInfo: xmlChangeInfo{Id: "/change/" + c.id, Status: status,
		SubmittedAt: formatTime(c.submitted), Comment: c.comment}}, nil
}

// healthStatus is GetHealthCheckStatus: GET /2013-04-01/healthcheck/{Id}/status.
func (s *Server) healthStatus(id string) (any, *apiError) {
	if len(id) > 64 {
		return nil, invalidInput("1 validation error detected: Value '%s' at 'healthCheckId' failed to satisfy constraint: Member must have length less than or equal to 64", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obs, ok := s.health[id]
	if !ok {
		return nil, &apiError{status: http.StatusNotFound, code: "NoSuchHealthCheck",
			message: "A health check with id " + id + " does not exist."}
	}
	now := s.opts.Now()
	resp := &healthStatusResponse{Observations: []*xmlObservation{}}
	for _, o := range obs {
		x := &xmlObservation{Region: o.Region, IPAddress: o.IPAddress}
		x.StatusReport.Status = o.Status
		t := o.CheckedTime
		if t.IsZero() {
			t = now
		}
		x.StatusReport.CheckedTime = formatTime(t)
		resp.Observations = append(resp.Observations, x)
	}
	return resp, nil
}
