package gcpsim

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"regexp"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// nameRE is RFC 1035 as the API documents resource names.
var nameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

// link is a parsed resource URL.
type link struct {
	project   string
	scopeKind string // global, regions or zones
	scope     string // region or zone; "" when global
	coll      string
	name      string
}

// String is the full URL the API answers with.
func (l link) String() string {
	if l.scopeKind == "global" {
		return linkPrefix + l.project + "/global/" + l.coll + "/" + l.name
	}
	return linkPrefix + l.project + "/" + l.scopeKind + "/" + l.scope + "/" + l.coll + "/" + l.name
}

// parseLink reads a full or partial resource URL: https://…/compute/v1/projects/P/…,
// projects/P/…, or global/… / regions/R/… / zones/Z/… (the project is then
// the one served).
func (s *Server) parseLink(ref string) (link, bool) {
	var l link
	rest := ref
	if i := strings.Index(rest, "://"); i >= 0 {
		j := strings.Index(rest, "/compute/v1/")
		if j < 0 {
			return l, false
		}
		rest = rest[j+len("/compute/v1/"):]
	} else {
		rest = strings.TrimPrefix(rest, "/")
		rest = strings.TrimPrefix(rest, "compute/v1/")
	}
	segs := strings.Split(rest, "/")
	l.project = s.opts.Project
	if len(segs) >= 2 && segs[0] == "projects" {
		l.project = segs[1]
		segs = segs[2:]
	}
	switch {
	case len(segs) == 3 && segs[0] == "global":
		l.scopeKind, l.coll, l.name = "global", segs[1], segs[2]
	case len(segs) == 4 && (segs[0] == "regions" || segs[0] == "zones"):
		l.scopeKind, l.scope, l.coll, l.name = segs[0], segs[1], segs[2], segs[3]
	default:
		return l, false
	}
	for _, v := range []string{l.project, l.scope, l.coll, l.name} {
		if strings.ContainsAny(v, " ?#") {
			return l, false
		}
	}
	if l.project == "" || l.coll == "" || l.name == "" || (l.scopeKind != "global" && l.scope == "") {
		return l, false
	}
	return l, true
}

// region returns the region of a regional link, "" otherwise.
func (l link) region() string {
	if l.scopeKind == "regions" {
		return l.scope
	}
	return ""
}

// BackendServiceURL returns the selfLink of a backend service (region "" =
// global).
func (s *Server) BackendServiceURL(region, name string) string {
	return s.selfLink(kindBackendService, region, name)
}

// URLMapURL returns the selfLink of a URL map (region "" = global).
func (s *Server) URLMapURL(region, name string) string {
	return s.selfLink(kindURLMap, region, name)
}

// GroupURL returns the URL of an instance group or network endpoint group
// (kind "instanceGroups" or "networkEndpointGroups") in a zone; zone ""
// gives a global group (global network endpoint groups such as internet
// NEGs).
func (s *Server) GroupURL(zone, kind, name string) string {
	if zone == "" {
		return link{project: s.opts.Project, scopeKind: "global", coll: kind, name: name}.String()
	}
	return link{project: s.opts.Project, scopeKind: "zones", scope: zone, coll: kind, name: name}.String()
}

func (s *Server) selfLink(kind, region, name string) string {
	if region == "" {
		return link{project: s.opts.Project, scopeKind: "global", coll: kind, name: name}.String()
	}
	return link{project: s.opts.Project, scopeKind: "regions", scope: region, coll: kind, name: name}.String()
}

func (s *Server) regionURL(region string) string {
	return linkPrefix + s.opts.Project + "/regions/" + region
}

// resourcePath is the path a notFound message names.
func (s *Server) resourcePath(k resKey) string {
	if k.region == "" {
		return "projects/" + s.opts.Project + "/global/" + k.kind + "/" + k.name
	}
	return "projects/" + s.opts.Project + "/regions/" + k.region + "/" + k.kind + "/" + k.name
}

// nextFingerprint returns base64 of 8 bytes that depend only on the seed
// and a counter, so runs repeat. Caller holds s.mu.
func (s *Server) nextFingerprint() string {
	s.seq++
	h := fnv.New64a()
	fmt.Fprintf(h, "fp/%d/%d", s.opts.Seed, s.seq)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h.Sum64())
	return base64.StdEncoding.EncodeToString(b[:])
}

func resourceID(selfLink string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(selfLink)) //nolint:errcheck // never fails
	return h.Sum64() >> 1     // ids are positive 63-bit numbers
}

func (s *Server) timestamp() string {
	return s.opts.Now().Format("2006-01-02T15:04:05.000-07:00")
}

// store saves msg under k with the server-side fields filled in and a new
// fingerprint. Caller holds s.mu.
func (s *Server) store(k resKey, msg proto.Message) {
	self := s.selfLink(k.kind, k.region, k.name)
	id := resourceID(self)
	created := s.timestamp()
	var region *string
	if k.region != "" {
		region = proto.String(s.regionURL(k.region))
	}
	old := s.res[k]
	if old != nil {
		switch o := old.msg.(type) {
		case *computepb.UrlMap:
			id, created = o.GetId(), o.GetCreationTimestamp()
		case *computepb.BackendService:
			id, created = o.GetId(), o.GetCreationTimestamp()
		}
	}
	fp := proto.String(s.nextFingerprint())
	switch m := msg.(type) {
	case *computepb.UrlMap:
		m.Name, m.SelfLink, m.Id, m.Kind, m.CreationTimestamp, m.Region, m.Fingerprint =
			proto.String(k.name), proto.String(self), proto.Uint64(id), proto.String("compute#urlMap"), proto.String(created), region, fp
	case *computepb.BackendService:
		m.Name, m.SelfLink, m.Id, m.Kind, m.CreationTimestamp, m.Region, m.Fingerprint =
			proto.String(k.name), proto.String(self), proto.Uint64(id), proto.String("compute#backendService"), proto.String(created), region, fp
	}
	if old == nil {
		s.res[k] = &resource{msg: msg, health: map[string][]*computepb.HealthStatus{}}
		return
	}
	old.msg = msg
}

// keepServerFields copies what the server owns from the stored resource
// onto a patched one: a PATCH or PUT cannot change them. The fingerprint is set by
// store.
func keepServerFields(dst, src proto.Message) {
	switch d := dst.(type) {
	case *computepb.UrlMap:
		o := src.(*computepb.UrlMap)
		d.Name, d.SelfLink, d.Id, d.Kind, d.CreationTimestamp, d.Region = o.Name, o.SelfLink, o.Id, o.Kind, o.CreationTimestamp, o.Region
	case *computepb.BackendService:
		o := src.(*computepb.BackendService)
		d.Name, d.SelfLink, d.Id, d.Kind, d.CreationTimestamp, d.Region = o.Name, o.SelfLink, o.Id, o.Kind, o.CreationTimestamp, o.Region
	}
}

func fingerprintOf(m proto.Message) string {
	switch v := m.(type) {
	case *computepb.UrlMap:
		return v.GetFingerprint()
	case *computepb.BackendService:
		return v.GetFingerprint()
	}
	return ""
}

// PutBackendService creates or replaces a backend service (region "" =
// global) after the validation a PATCH gets; name-derived fields and a new
// fingerprint are filled in. bs is not retained.
func (s *Server) PutBackendService(region string, bs *computepb.BackendService) error {
	if bs == nil {
		return errors.New("gcpsim: nil backend service")
	}
	bs = proto.Clone(bs).(*computepb.BackendService)
	if !nameRE.MatchString(bs.GetName()) {
		return fmt.Errorf("gcpsim: invalid backend service name %q", bs.GetName())
	}
	if region != "" && !nameRE.MatchString(region) {
		return fmt.Errorf("gcpsim: invalid region %q", region)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if aerr := s.validateBackendService(bs); aerr != nil {
		return fmt.Errorf("gcpsim: backend service %s: %s", bs.GetName(), aerr.msg)
	}
	s.store(resKey{kindBackendService, region, bs.GetName()}, bs)
	return nil
}

// PutURLMap creates or replaces a URL map (region "" = global) after the
// validation a PATCH gets: the backend services it references must exist
// already, in the same scope.
func (s *Server) PutURLMap(region string, m *computepb.UrlMap) error {
	if m == nil {
		return errors.New("gcpsim: nil URL map")
	}
	m = proto.Clone(m).(*computepb.UrlMap)
	if !nameRE.MatchString(m.GetName()) {
		return fmt.Errorf("gcpsim: invalid URL map name %q", m.GetName())
	}
	if region != "" && !nameRE.MatchString(region) {
		return fmt.Errorf("gcpsim: invalid region %q", region)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if aerr := s.validateURLMap(m, region); aerr != nil {
		return fmt.Errorf("gcpsim: URL map %s: %s", m.GetName(), aerr.msg)
	}
	s.store(resKey{kindURLMap, region, m.GetName()}, m)
	return nil
}

// BackendService returns a deep copy of a stored backend service.
func (s *Server) BackendService(region, name string) (*computepb.BackendService, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := resKey{kindBackendService, region, name}
	r := s.res[k]
	if r == nil {
		return nil, fmt.Errorf("gcpsim: %s not found", s.resourcePath(k))
	}
	return proto.Clone(r.msg).(*computepb.BackendService), nil
}

// URLMap returns a deep copy of a stored URL map.
func (s *Server) URLMap(region, name string) (*computepb.UrlMap, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := resKey{kindURLMap, region, name}
	r := s.res[k]
	if r == nil {
		return nil, fmt.Errorf("gcpsim: %s not found", s.resourcePath(k))
	}
	return proto.Clone(r.msg).(*computepb.UrlMap), nil
}

// SetGroupHealth sets what getHealth answers for one group (instance group
// or NEG URL, full or partial) of a backend service. getHealth still
// refuses a group that is not among the service's backends when asked.
func (s *Server) SetGroupHealth(region, backendService, group string, status []*computepb.HealthStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := resKey{kindBackendService, region, backendService}
	r := s.res[k]
	if r == nil {
		return fmt.Errorf("gcpsim: %s not found", s.resourcePath(k))
	}
	g, aerr := s.normalizeGroup("group", group)
	if aerr != nil {
		return fmt.Errorf("gcpsim: %s", aerr.msg)
	}
	cp := make([]*computepb.HealthStatus, len(status))
	for i, st := range status {
		cp[i] = proto.Clone(st).(*computepb.HealthStatus)
	}
	r.health[g] = cp
	return nil
}

// FailOperations makes the operations of the next n accepted writes (PATCH
// or PUT), of any resource, end DONE with an error of this HTTP status and
// message; their change is never applied and the fingerprint does not move.
func (s *Server) FailOperations(n int, httpStatus int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, opFailure{status: httpStatus, msg: message})
	}
}

// InterleaveWrite makes the nth (1-based) write (PATCH or PUT) of the named
// resource (kind "urlMaps" or "backendServices", region "" = global) be
// preceded by mutate on the stored resource (a *computepb.UrlMap or
// *computepb.BackendService) and a fingerprint change: another writer
// between a client's read and its write. mutate runs under the server's
// lock and must not call the Server; server-side fields it changes are
// restored.
func (s *Server) InterleaveWrite(kind, region, name string, nth int, mutate func(proto.Message)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, &hook{key: resKey{kind, region, name}, nth: nth, mutate: mutate})
}

// getResource answers urlMaps.get and backendServices.get.
func (s *Server) getResource(k resKey) (proto.Message, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.res[k]
	if r == nil {
		return nil, notFound(s.resourcePath(k))
	}
	return proto.Clone(r.msg), nil
}

// getHealth answers backendServices.getHealth.
func (s *Server) getHealth(k resKey, body []byte) (proto.Message, *apiError) {
	var ref computepb.ResourceGroupReference
	if err := protojson.Unmarshal(body, &ref); err != nil {
		return nil, invalidf("Invalid JSON payload received. %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.res[k]
	if r == nil {
		return nil, notFound(s.resourcePath(k))
	}
	if ref.GetGroup() == "" {
		return nil, &apiError{status: http.StatusBadRequest, reason: "required", domain: "global", msg: "Required field 'resource.group' not specified"}
	}
	g, aerr := s.normalizeGroup("resource.group", ref.GetGroup())
	if aerr != nil {
		return nil, aerr
	}
	member := false
	for _, b := range r.msg.(*computepb.BackendService).GetBackends() {
		member = member || b.GetGroup() == g
	}
	if !member {
		return nil, invalidf("Invalid value for field 'resource.group': '%s'. The group is not a backend of backend service '%s'.", ref.GetGroup(), k.name)
	}
	out := &computepb.BackendServiceGroupHealth{Kind: proto.String("compute#backendServiceGroupHealth")}
	for _, st := range r.health[g] {
		out.HealthStatus = append(out.HealthStatus, proto.Clone(st).(*computepb.HealthStatus))
	}
	return out, nil
}
