// Package clouddns is a wire-level emulator of the parts of the Google Cloud
// DNS API (dns/v1) that fbctl's cloud_dns_wrr target and gcloud's
// `dns record-sets` commands use: managedZones get and list; rrsets list
// (name and type filters, maxResults and pageToken), get, create, patch
// and delete; changes create and get.
//
// changes.create is atomic, as Cloud DNS documents: every deletion must
// equal the current record set exactly (name, type, ttl, rrdatas,
// routingPolicy), else HTTP 412 conditionNotMet and nothing changes; an
// addition of a record set that exists and is not deleted in the same
// change is HTTP 409 alreadyExists. A change is "done" at once.
//
// WRR routing policies are checked as Cloud DNS does: weights 0-1000 and
// every item holding rrdatas or healthCheckedTargets. The emulator checks
// no credential. It listens on loopback only.
package clouddns

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	dns "google.golang.org/api/dns/v1"
)

// Server is one emulated Cloud DNS project.
type Server struct {
	Project string

	mu      sync.Mutex
	zones   map[string]*dns.ManagedZone
	rrsets  map[string][]*dns.ResourceRecordSet // by zone name
	changes map[string][]*dns.Change
	calls   map[string]int
	hook    func(method string) // called before a change is applied, unlocked
	faults  map[string][]int    // by method: statuses to answer next
	srv     *http.Server
	ln      net.Listener
}

// New returns an emulator of project.
func New(project string) *Server {
	return &Server{Project: project, zones: map[string]*dns.ManagedZone{}, rrsets: map[string][]*dns.ResourceRecordSet{},
		changes: map[string][]*dns.Change{}, calls: map[string]int{}}
}

// Start serves on a loopback port and returns the base URL (no trailing
// slash); the API is under URL/dns/v1/.
func (s *Server) Start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // ends with Close
	return "http://" + ln.Addr().String(), nil
}

// Close stops the server.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// AddZone creates a managed zone; dnsName ends with a dot.
func (s *Server) AddZone(name, dnsName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zones[name] = &dns.ManagedZone{Kind: "dns#managedZone", Name: name, DnsName: dnsName, Id: uint64(len(s.zones) + 1), Visibility: "public"}
}

// Put sets a record set of a zone as is (seeding, or another writer).
func (s *Server) Put(zone string, rr *dns.ResourceRecordSet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rr = clone(rr)
	rr.Kind = "dns#resourceRecordSet"
	list := s.rrsets[zone]
	for i, r := range list {
		if r.Name == rr.Name && r.Type == rr.Type {
			list[i] = rr
			return
		}
	}
	s.rrsets[zone] = append(list, rr)
}

// Get returns a copy of a record set, or nil.
func (s *Server) Get(zone, name, typ string) *dns.ResourceRecordSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.find(zone, name, typ); i >= 0 {
		return clone(s.rrsets[zone][i])
	}
	return nil
}

// Snapshot returns copies of every record set of a zone, sorted by name
// and type.
func (s *Server) Snapshot(zone string) []*dns.ResourceRecordSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*dns.ResourceRecordSet
	for _, r := range s.rrsets[zone] {
		out = append(out, clone(r))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name+" "+out[i].Type < out[j].Name+" "+out[j].Type })
	return out
}

// Calls returns how often each method was called ("rrsets.list",
// "changes.create", ...) since the last ResetCalls.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// ResetCalls zeroes the counts.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
}

// Fail makes the next calls of method ("rrsets.list", "changes.create",
// ...) answer the HTTP statuses given, one each, before serving again:
// 429 as rateLimitExceeded, 403 as forbidden, others by their text.
func (s *Server) Fail(method string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		s.faults = map[string][]int{}
	}
	s.faults[method] = append(s.faults[method], statuses...)
}

// fault consumes the next injected status of method, or 0.
func (s *Server) fault(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults[method]
	if len(f) == 0 {
		return 0
	}
	s.faults[method] = f[1:]
	return f[0]
}

// BeforeWrite sets a function called before each changes.create (and
// rrsets patch) is applied, without the server's lock: a test plays
// another writer there.
func (s *Server) BeforeWrite(f func(method string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = f
}

// GcloudEnv returns the environment for a gcloud command that talks to
// this emulator at url: the process's environment without CLOUDSDK_* and
// GOOGLE_* settings, a fresh configuration directory, an access token read
// from tokenFile, the project, and no prompts, usage reporting or update
// check. gcloud reaches Cloud DNS at CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS.
func (s *Server) GcloudEnv(url, configDir, tokenFile string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CLOUDSDK_") && !strings.HasPrefix(kv, "GOOGLE_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"CLOUDSDK_CONFIG="+configDir,
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS="+url+"/dns/v1/",
		"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE="+tokenFile,
		"CLOUDSDK_CORE_PROJECT="+s.Project,
		"CLOUDSDK_CORE_DISABLE_PROMPTS=1",
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
	)
}

func clone(r *dns.ResourceRecordSet) *dns.ResourceRecordSet {
	b, _ := json.Marshal(r)
	var out dns.ResourceRecordSet
	_ = json.Unmarshal(b, &out)
	return &out
}

// find is the index of a record set in zone, or -1. Caller holds mu.
func (s *Server) find(zone, name, typ string) int {
	for i, r := range s.rrsets[zone] {
		if strings.EqualFold(r.Name, name) && strings.EqualFold(r.Type, typ) {
			return i
		}
	}
	return -1
}

// apiError writes an error as Google APIs do.
func apiError(w http.ResponseWriter, code int, reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "errors": []map[string]any{{"domain": "global", "reason": reason, "message": msg}},
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// out prepares a record set for the wire: weight 0 is sent, not omitted.
func out(r *dns.ResourceRecordSet) *dns.ResourceRecordSet {
	r = clone(r)
	if r.RoutingPolicy != nil && r.RoutingPolicy.Wrr != nil {
		for _, it := range r.RoutingPolicy.Wrr.Items {
			it.ForceSendFields = append(it.ForceSendFields, "Weight")
		}
	}
	return r
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	// dns/v1/projects/P/managedZones[/Z[/rrsets[/NAME/TYPE]|/changes[/ID]]]
	if len(parts) < 5 || parts[0] != "dns" || parts[1] != "v1" || parts[2] != "projects" || parts[4] != "managedZones" {
		apiError(w, http.StatusNotFound, "notFound", "no such method: %s %s", r.Method, r.URL.Path)
		return
	}
	if parts[3] != s.Project {
		apiError(w, http.StatusNotFound, "notFound", "The requested project was not found.")
		return
	}
	rest := parts[5:]
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		s.count("managedZones.list")
		s.listZones(w)
		return
	case len(rest) == 0:
		apiError(w, http.StatusMethodNotAllowed, "methodNotAllowed", "method %s not allowed", r.Method)
		return
	}
	zone := rest[0]
	s.mu.Lock()
	z, ok := s.zones[zone]
	s.mu.Unlock()
	if !ok {
		s.count("notFound")
		apiError(w, http.StatusNotFound, "notFound", "The 'parameters.managedZone' resource named '%s' does not exist.", zone)
		return
	}
	switch {
	case len(rest) == 1 && r.Method == http.MethodGet:
		s.count("managedZones.get")
		writeJSON(w, z)
	case len(rest) == 2 && rest[1] == "rrsets" && r.Method == http.MethodGet:
		s.count("rrsets.list")
		if s.injected(w, "rrsets.list") {
			return
		}
		s.listRRsets(w, r, zone)
	case len(rest) == 2 && rest[1] == "rrsets" && r.Method == http.MethodPost:
		s.count("rrsets.create")
		var rr dns.ResourceRecordSet
		if !decode(w, r, &rr) {
			return
		}
		s.change(w, zone, &dns.Change{Additions: []*dns.ResourceRecordSet{&rr}}, func(*dns.Change) any { return out(&rr) })
	case len(rest) == 4 && rest[1] == "rrsets":
		s.rrset(w, r, zone, rest[2], rest[3])
	case len(rest) == 2 && rest[1] == "changes" && r.Method == http.MethodPost:
		s.count("changes.create")
		if s.injected(w, "changes.create") {
			return
		}
		var c dns.Change
		if !decode(w, r, &c) {
			return
		}
		s.change(w, zone, &c, func(c *dns.Change) any { return c })
	case len(rest) == 2 && rest[1] == "changes" && r.Method == http.MethodGet:
		s.count("changes.list")
		s.mu.Lock()
		cs := s.changes[zone]
		s.mu.Unlock()
		writeJSON(w, &dns.ChangesListResponse{Kind: "dns#changesListResponse", Changes: cs})
	case len(rest) == 3 && rest[1] == "changes" && r.Method == http.MethodGet:
		s.count("changes.get")
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.changes[zone] {
			if c.Id == rest[2] {
				writeJSON(w, c)
				return
			}
		}
		apiError(w, http.StatusNotFound, "notFound", "The 'parameters.changeId' resource named '%s' does not exist.", rest[2])
	default:
		apiError(w, http.StatusNotFound, "notFound", "no such method: %s %s", r.Method, r.URL.Path)
	}
}

func (s *Server) count(m string) {
	s.mu.Lock()
	s.calls[m]++
	s.mu.Unlock()
}

// injected answers an injected fault of method, if any.
func (s *Server) injected(w http.ResponseWriter, method string) bool {
	code := s.fault(method)
	switch code {
	case 0:
		return false
	case http.StatusTooManyRequests:
		apiError(w, code, "rateLimitExceeded", "Rate limit exceeded")
	case http.StatusForbidden:
		apiError(w, code, "forbidden", "Forbidden: the caller does not have permission")
	default:
		apiError(w, code, "backendError", "%s", http.StatusText(code))
	}
	return true
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "parseError", "Parse Error: %v", err)
		return false
	}
	return true
}

func (s *Server) listZones(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &dns.ManagedZonesListResponse{Kind: "dns#managedZonesListResponse"}
	var names []string
	for n := range s.zones {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		resp.ManagedZones = append(resp.ManagedZones, s.zones[n])
	}
	writeJSON(w, resp)
}

func (s *Server) listRRsets(w http.ResponseWriter, r *http.Request, zone string) {
	q := r.URL.Query()
	name, typ := q.Get("name"), q.Get("type")
	if typ != "" && name == "" {
		apiError(w, http.StatusBadRequest, "invalid", "Invalid value for 'parameters.type': type given without name")
		return
	}
	max := 100
	if m := q.Get("maxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n <= 0 {
			apiError(w, http.StatusBadRequest, "invalid", "Invalid value for 'parameters.maxResults': %q", m)
			return
		}
		max = n
	}
	start := 0
	if p := q.Get("pageToken"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			apiError(w, http.StatusBadRequest, "invalid", "Invalid value for 'parameters.pageToken': %q", p)
			return
		}
		start = n
	}
	var all []*dns.ResourceRecordSet
	for _, rr := range s.Snapshot(zone) {
		if name != "" && !strings.EqualFold(rr.Name, name) || typ != "" && !strings.EqualFold(rr.Type, typ) {
			continue
		}
		all = append(all, out(rr))
	}
	resp := &dns.ResourceRecordSetsListResponse{Kind: "dns#resourceRecordSetsListResponse", Rrsets: []*dns.ResourceRecordSet{}}
	if start < len(all) {
		end := min(start+max, len(all))
		resp.Rrsets = all[start:end]
		if end < len(all) {
			resp.NextPageToken = strconv.Itoa(end)
		}
	}
	writeJSON(w, resp)
}

// rrset serves rrsets get, patch and delete.
func (s *Server) rrset(w http.ResponseWriter, r *http.Request, zone, name, typ string) {
	cur := s.Get(zone, name, typ)
	switch r.Method {
	case http.MethodGet:
		s.count("rrsets.get")
	case http.MethodPatch:
		s.count("rrsets.patch")
	case http.MethodDelete:
		s.count("rrsets.delete")
	default:
		apiError(w, http.StatusMethodNotAllowed, "methodNotAllowed", "method %s not allowed", r.Method)
		return
	}
	if cur == nil {
		apiError(w, http.StatusNotFound, "notFound", "The 'entity.resourceRecordSet' resource named '%s (%s)' does not exist.", name, typ)
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, out(cur))
	case http.MethodDelete:
		s.change(w, zone, &dns.Change{Deletions: []*dns.ResourceRecordSet{cur}}, func(*dns.Change) any { return struct{}{} })
	case http.MethodPatch:
		var next dns.ResourceRecordSet
		if !decode(w, r, &next) {
			return
		}
		if next.Name == "" {
			next.Name = cur.Name
		}
		if next.Type == "" {
			next.Type = cur.Type
		}
		if next.Ttl == 0 {
			next.Ttl = cur.Ttl
		}
		s.change(w, zone, &dns.Change{Deletions: []*dns.ResourceRecordSet{cur}, Additions: []*dns.ResourceRecordSet{&next}},
			func(*dns.Change) any { return out(&next) })
	}
}

// change applies c to zone atomically and answers with reply(c).
func (s *Server) change(w http.ResponseWriter, zone string, c *dns.Change, reply func(*dns.Change) any) {
	s.mu.Lock()
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		hook("change")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.zones[zone]
	if len(c.Additions) == 0 && len(c.Deletions) == 0 {
		apiError(w, http.StatusBadRequest, "required", "The change must have at least one addition or deletion.")
		return
	}
	for i, a := range c.Additions {
		if msg := invalid(a, z.DnsName); msg != "" {
			apiError(w, http.StatusBadRequest, "invalid", "Invalid value for 'entity.change.additions[%d]': %s", i, msg)
			return
		}
	}
	list := append([]*dns.ResourceRecordSet(nil), s.rrsets[zone]...)
	deleted := map[string]bool{}
	for i, d := range c.Deletions {
		j := -1
		for k, r := range list {
			if strings.EqualFold(r.Name, d.Name) && strings.EqualFold(r.Type, d.Type) {
				j = k
			}
		}
		if j < 0 {
			apiError(w, http.StatusNotFound, "notFound", "The 'entity.change.deletions[%d]' resource named '%s (%s)' does not exist.", i, d.Name, d.Type)
			return
		}
		if !same(list[j], d) {
			apiError(w, http.StatusPreconditionFailed, "conditionNotMet", "Precondition not met for 'entity.change.deletions[%d]'", i)
			return
		}
		deleted[strings.ToLower(d.Name+" "+d.Type)] = true
		list = append(list[:j], list[j+1:]...)
	}
	for i, a := range c.Additions {
		for _, r := range list {
			if strings.EqualFold(r.Name, a.Name) && strings.EqualFold(r.Type, a.Type) {
				apiError(w, http.StatusConflict, "alreadyExists", "The resource 'entity.change.additions[%d]' named '%s (%s)' already exists", i, a.Name, a.Type)
				return
			}
		}
		n := clone(a)
		n.Kind = "dns#resourceRecordSet"
		list = append(list, n)
	}
	s.rrsets[zone] = list
	c.Kind = "dns#change"
	c.Status = "done"
	c.StartTime = time.Now().UTC().Format(time.RFC3339Nano)
	c.Id = strconv.Itoa(len(s.changes[zone]) + 1)
	for _, r := range c.Additions {
		r.ForceSendFields = nil
	}
	s.changes[zone] = append(s.changes[zone], c)
	writeJSON(w, reply(c))
}

// same reports whether a deletion equals the record set exactly, as the
// wire carries them.
func same(cur, d *dns.ResourceRecordSet) bool {
	norm := func(r *dns.ResourceRecordSet) map[string]any {
		b, _ := json.Marshal(out(r))
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		delete(m, "kind")
		m["name"] = strings.ToLower(r.Name)
		return m
	}
	return reflect.DeepEqual(norm(cur), norm(d))
}

// invalid says what is wrong with an addition, or "".
func invalid(r *dns.ResourceRecordSet, dnsName string) string {
	if !strings.HasSuffix(r.Name, ".") {
		return fmt.Sprintf("%q is not a fully qualified name (it must end with a dot)", r.Name)
	}
	if !strings.HasSuffix(strings.ToLower(r.Name), strings.ToLower(dnsName)) {
		return fmt.Sprintf("%q is not in the zone %s", r.Name, dnsName)
	}
	if r.Type == "" {
		return "type is required"
	}
	hasData := len(r.Rrdatas) > 0
	if r.RoutingPolicy != nil {
		if hasData {
			return "a record set has rrdatas or a routingPolicy, not both"
		}
		if wrr := r.RoutingPolicy.Wrr; wrr != nil {
			if len(wrr.Items) == 0 {
				return "a WRR policy needs at least one item"
			}
			for i, it := range wrr.Items {
				if it.Weight < 0 || it.Weight > 1000 {
					return fmt.Sprintf("routingPolicy.wrr.items[%d].weight %v is out of range 0-1000", i, it.Weight)
				}
				if len(it.Rrdatas) == 0 && it.HealthCheckedTargets == nil {
					return fmt.Sprintf("routingPolicy.wrr.items[%d] has neither rrdatas nor healthCheckedTargets", i)
				}
			}
		}
		return ""
	}
	if !hasData {
		return "rrdatas is required"
	}
	return ""
}
