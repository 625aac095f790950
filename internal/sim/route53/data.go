package route53sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// AddZone creates a hosted zone with Route 53's default apex SOA and NS
// sets and returns its id (without the "/hostedzone/" prefix). It panics
// on a name that is not a valid domain name: test setup is wrong.
func (s *Server) AddZone(name string, private bool) string {
	id, err := s.addZone(name, "", "", private)
	if err != nil {
		panic("route53sim: AddZone: " + err.Error())
	}
	return id
}

func (s *Server) addZone(name, id, comment string, private bool) (string, error) {
	n, err := normalizeName(name)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		id = s.newID("Z", 20, n)
	}
	id = bareID(id)
	if len(id) > 32 {
		return "", fmt.Errorf("zone id %q is longer than 32 characters", id)
	}
	if _, dup := s.zones[id]; dup {
		return "", fmt.Errorf("zone id %q already exists", id)
	}
	z := &zone{id: id, name: n, comment: comment, private: private,
		callerRef: fmt.Sprintf("fbctl-sim-%d", s.nextSeq()), sets: map[string]*RecordSet{}}
	for _, rs := range defaultSets(n) {
		z.sets[rs.key()] = rs
	}
	s.zones[id] = z
	return id, nil
}

var nameServers = []string{"ns-0.awsdns-00.com.", "ns-512.awsdns-00.net.", "ns-1024.awsdns-00.org.", "ns-1536.awsdns-00.co.uk."}

func defaultSets(apex string) []*RecordSet {
	return []*RecordSet{
		{Name: apex, Type: "NS", TTL: ptr(int64(172800)), ResourceRecords: append([]string(nil), nameServers...)},
		{Name: apex, Type: "SOA", TTL: ptr(int64(900)),
			ResourceRecords: []string{"ns-0.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}},
	}
}

// ZoneID returns the id of the first zone (in listing order) named name.
func (s *Server) ZoneID(name string) (string, bool) {
	n, err := normalizeName(name)
	if err != nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, z := range s.sortedZones() {
		if z.name == n {
			return z.id, true
		}
	}
	return "", false
}

// PutRecordSet creates or replaces (UPSERT) a set without the API's
// validation, so a test can seed states the API would refuse (a weight of
// 300, mixed policies). The name must lie in the zone. A HealthCheckId
// that is not known is registered with no observations.
func (s *Server) PutRecordSet(zoneID string, rrs RecordSet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	z, ok := s.zones[bareID(zoneID)]
	if !ok {
		return fmt.Errorf("route53sim: no hosted zone %q", zoneID)
	}
	rs, err := prepareSet(z.name, rrs)
	if err != nil {
		return err
	}
	if rs.HealthCheckId != "" {
		if _, ok := s.health[rs.HealthCheckId]; !ok {
			s.health[rs.HealthCheckId] = nil
		}
	}
	z.sets[rs.key()], z.order = rs, nil
	return nil
}

// DeleteRecordSet removes a set without validation and reports whether it
// existed.
func (s *Server) DeleteRecordSet(zoneID, name, typ, setIdentifier string) bool {
	n, err := normalizeName(name)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z, ok := s.zones[bareID(zoneID)]
	if !ok {
		return false
	}
	k := (&RecordSet{Name: n, Type: typ, SetIdentifier: setIdentifier}).key()
	_, had := z.sets[k]
	delete(z.sets, k)
	z.order = nil
	return had
}

func prepareSet(zoneName string, in RecordSet) (*RecordSet, error) {
	rs := in.clone()
	n, err := normalizeName(rs.Name)
	if err != nil {
		return nil, fmt.Errorf("route53sim: %w", err)
	}
	if !inZone(n, zoneName) {
		return nil, fmt.Errorf("route53sim: %s is not in zone %s", n, zoneName)
	}
	if rs.Type == "" {
		return nil, fmt.Errorf("route53sim: record set %s has no type", n)
	}
	rs.Name = n
	if rs.AliasTarget != nil {
		if d, err := normalizeName(rs.AliasTarget.DNSName); err == nil {
			rs.AliasTarget.DNSName = d
		}
	}
	return &rs, nil
}

// RecordSets returns a deep copy of a zone's sets in listing order, nil
// for an unknown zone.
func (s *Server) RecordSets(zoneID string) []RecordSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	z, ok := s.zones[bareID(zoneID)]
	if !ok {
		return nil
	}
	out := make([]RecordSet, 0, len(z.sets))
	for _, rs := range z.sorted() {
		out = append(out, rs.clone())
	}
	return out
}

// AddHealthCheck registers a health check whose checkers report
// observations (see Checkers); an existing one is replaced.
func (s *Server) AddHealthCheck(id string, observations []CheckerStatus) {
	s.SetHealthCheck(id, observations)
}

// SetHealthCheck replaces (or creates) a health check's observations.
func (s *Server) SetHealthCheck(id string, observations []CheckerStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health[id] = append([]CheckerStatus{}, observations...)
}

// sorted returns the sets in listing order; the slice is cached until the
// zone changes and must not be modified.
func (z *zone) sorted() []*RecordSet {
	if z.order != nil {
		return z.order
	}
	type keyed struct {
		rs   *RecordSet
		name string
	}
	ks := make([]keyed, 0, len(z.sets))
	for _, rs := range z.sets {
		ks = append(ks, keyed{rs, sortName(rs.Name)})
	}
	sort.Slice(ks, func(i, j int) bool {
		a, b := ks[i], ks[j]
		if a.name != b.name {
			return a.name < b.name
		}
		if a.rs.Type != b.rs.Type {
			return a.rs.Type < b.rs.Type
		}
		return a.rs.SetIdentifier < b.rs.SetIdentifier
	})
	z.order = make([]*RecordSet, len(ks))
	for i, k := range ks {
		z.order[i] = k.rs
	}
	return z.order
}

// sortedZones lists zones by reversed name, then id; s.mu held.
func (s *Server) sortedZones() []*zone {
	out := make([]*zone, 0, len(s.zones))
	for _, z := range s.zones {
		out = append(out, z)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := sortName(out[i].name), sortName(out[j].name)
		if a != b {
			return a < b
		}
		return out[i].id < out[j].id
	})
	return out
}

// Seed is the document LoadSeed reads; see the package documentation.
type Seed struct {
	Zones        []SeedZone        `json:"zones"`
	HealthChecks []SeedHealthCheck `json:"health_checks"`
}

// SeedZone is one hosted zone of a seed.
type SeedZone struct {
	Name       string      `json:"name"`
	ID         string      `json:"id,omitempty"`
	Private    bool        `json:"private,omitempty"`
	Comment    string      `json:"comment,omitempty"`
	RecordSets []RecordSet `json:"record_sets,omitempty"`
}

// SeedHealthCheck is one health check of a seed: explicit observations,
// or Healthy and Unhealthy checker counts (see Checkers).
type SeedHealthCheck struct {
	ID           string          `json:"id"`
	Observations []CheckerStatus `json:"observations,omitempty"`
	Healthy      int             `json:"healthy,omitempty"`
	Unhealthy    int             `json:"unhealthy,omitempty"`
}

// LoadSeed loads a seed file (LoadSeedJSON).
func (s *Server) LoadSeed(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := s.LoadSeedJSON(b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// LoadSeedJSON adds the zones, record sets and health checks of a seed
// document. Unknown fields are errors. Nothing is added when it fails.
func (s *Server) LoadSeedJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var seed Seed
	if err := dec.Decode(&seed); err != nil {
		return fmt.Errorf("route53sim: seed: %w", err)
	}
	return s.Load(seed)
}

// Load adds a seed; nothing is added when it fails.
func (s *Server) Load(seed Seed) error {
	// Validate everything first, so a bad seed adds nothing.
	ids := map[string]bool{}
	type prepared struct {
		z    SeedZone
		name string
		sets []*RecordSet
	}
	var zones []prepared
	s.mu.Lock()
	for i, sz := range seed.Zones {
		n, err := normalizeName(sz.Name)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("route53sim: seed zone %d: %w", i+1, err)
		}
		if sz.ID != "" {
			id := bareID(sz.ID)
			if len(id) > 32 {
				s.mu.Unlock()
				return fmt.Errorf("route53sim: seed zone %s: id %q is longer than 32 characters", n, id)
			}
			if _, dup := s.zones[id]; dup || ids[id] {
				s.mu.Unlock()
				return fmt.Errorf("route53sim: seed zone %s: id %q is used twice", n, id)
			}
			ids[id] = true
		}
		p := prepared{z: sz, name: n}
		for _, rrs := range sz.RecordSets {
			rs, err := prepareSet(n, rrs)
			if err != nil {
				s.mu.Unlock()
				return fmt.Errorf("seed zone %s: %w", n, err)
			}
			p.sets = append(p.sets, rs)
		}
		zones = append(zones, p)
	}
	s.mu.Unlock()
	for _, hc := range seed.HealthChecks {
		if hc.ID == "" {
			return fmt.Errorf("route53sim: seed health check without id")
		}
	}
	for _, hc := range seed.HealthChecks {
		obs := hc.Observations
		if len(obs) == 0 {
			obs = Checkers(hc.Healthy, hc.Unhealthy)
		}
		s.SetHealthCheck(hc.ID, obs)
	}
	for _, p := range zones {
		id, err := s.addZone(p.z.Name, p.z.ID, p.z.Comment, p.z.Private)
		if err != nil { // only a concurrent AddZone of the same id gets here
			return fmt.Errorf("route53sim: seed zone %s: %w", p.name, err)
		}
		for _, rs := range p.sets {
			if err := s.PutRecordSet(id, *rs); err != nil {
				return err
			}
		}
	}
	return nil
}
