// Package azure is a wire-level emulator of the Azure Resource Manager
// calls fbctl's azure_traffic_manager target and azure_endpoint_health
// check make: Traffic Manager profiles (GET) and their endpoints (GET, PUT
// createOrUpdate, PATCH update) under
//
//	/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/trafficmanagerprofiles/{p}[/{type}/{e}]?api-version=...
//
// It serves TLS only (azcore refuses bearer tokens over plain HTTP), needs
// "Authorization: Bearer TOKEN", answers ARM's error shape
// {"error":{"code":...,"message":...}}, and can inject faults (a status
// with Retry-After) for the next requests. Path segments match
// case-insensitively, as ARM's do. Traffic Manager endpoints carry no
// ETag, and the SDK sends no If-Match, so none is served.
package azure

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// APIVersion is the api-version armtrafficmanager v1.3.0 sends.
const APIVersion = "2022-04-01"

// Endpoint is an endpoint as seeded and stored.
type Endpoint struct {
	Name string
	// Type is AzureEndpoints, ExternalEndpoints or NestedEndpoints.
	Type   string
	Target string
	Weight int64
	// Status is Enabled or Disabled.
	Status string
	// Health is what the monitor reports while the endpoint is enabled
	// (Online, Degraded, CheckingEndpoint, Stopped); a Disabled endpoint
	// reports Disabled.
	Health   string
	Priority int64
	// Extra holds other properties kept as they are (e.g. customHeaders).
	Extra map[string]any
}

// Profile is a profile as seeded and stored.
type Profile struct {
	Subscription, ResourceGroup, Name string
	RoutingMethod                     string // Weighted, Priority, ...
	TTL                               int64
	Endpoints                         []*Endpoint
}

type fault struct {
	status     int
	retryAfter string
}

// Server is the emulator.
type Server struct {
	*httptest.Server
	// Token is the bearer token requests must carry.
	Token string

	mu       sync.Mutex
	profiles map[string]*Profile
	faults   []fault
	calls    map[string]int
}

// New starts an emulator on loopback with TLS; Close it when done. Its
// Client() trusts its certificate.
func New(token string) *Server {
	s := &Server{Token: token, profiles: map[string]*Profile{}, calls: map[string]int{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

func key(parts ...string) string { return strings.ToLower(strings.Join(parts, "/")) }

// AddProfile stores p (replacing one of the same name).
func (s *Server) AddProfile(p Profile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := p
	cp.Endpoints = nil
	for _, e := range p.Endpoints {
		e2 := *e
		if e2.Status == "" {
			e2.Status = "Enabled"
		}
		if e2.Health == "" {
			e2.Health = "Online"
		}
		cp.Endpoints = append(cp.Endpoints, &e2)
	}
	s.profiles[key(p.Subscription, p.ResourceGroup, p.Name)] = &cp
}

// Endpoint returns a copy of an endpoint's state.
func (s *Server) Endpoint(sub, rg, profile, name string) (Endpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.profiles[key(sub, rg, profile)]
	if p == nil {
		return Endpoint{}, false
	}
	for _, e := range p.Endpoints {
		if strings.EqualFold(e.Name, name) {
			return *e, true
		}
	}
	return Endpoint{}, false
}

// SetHealth sets what the monitor reports for an enabled endpoint.
func (s *Server) SetHealth(sub, rg, profile, name, health string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.profiles[key(sub, rg, profile)]; p != nil {
		for _, e := range p.Endpoints {
			if strings.EqualFold(e.Name, name) {
				e.Health = health
			}
		}
	}
}

// Fail makes the next n requests answer status, with Retry-After
// retryAfter when not empty.
func (s *Server) Fail(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status, retryAfter})
	}
}

// Calls returns how many requests of a method ("GET profile", "PATCH
// endpoint", "PUT endpoint", "GET endpoint") were served, faults included.
func (s *Server) Calls(what string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[what]
}

// ProfileJSON is the profile's ARM representation.
func (s *Server) ProfileJSON(sub, rg, name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.profiles[key(sub, rg, name)]
	if p == nil {
		return nil, false
	}
	b, _ := json.Marshal(profileDoc(p))
	return b, true
}

func armError(w http.ResponseWriter, status int, code, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-error-code", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": fmt.Sprintf(format, args...)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func profileID(p *Profile) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/trafficManagerProfiles/%s", p.Subscription, p.ResourceGroup, p.Name)
}

func typeSegment(t string) string { // AzureEndpoints -> azureEndpoints
	if t == "" {
		return t
	}
	return strings.ToLower(t[:1]) + t[1:]
}

func endpointDoc(p *Profile, e *Endpoint) map[string]any {
	props := map[string]any{}
	for k, v := range e.Extra {
		props[k] = v
	}
	mon := e.Health
	if e.Status == "Disabled" {
		mon = "Disabled"
	}
	props["endpointStatus"] = e.Status
	props["endpointMonitorStatus"] = mon
	props["target"] = e.Target
	props["weight"] = e.Weight
	if e.Priority > 0 {
		props["priority"] = e.Priority
	}
	return map[string]any{
		"id":         profileID(p) + "/" + typeSegment(e.Type) + "/" + e.Name,
		"name":       e.Name,
		"type":       "Microsoft.Network/trafficManagerProfiles/" + typeSegment(e.Type),
		"properties": props,
	}
}

func profileDoc(p *Profile) map[string]any {
	eps := []any{}
	for _, e := range p.Endpoints {
		eps = append(eps, endpointDoc(p, e))
	}
	ttl := p.TTL
	if ttl == 0 {
		ttl = 30
	}
	return map[string]any{
		"id":       profileID(p),
		"name":     p.Name,
		"type":     "Microsoft.Network/trafficManagerProfiles",
		"location": "global",
		"tags":     map[string]any{},
		"properties": map[string]any{
			"profileStatus":        "Enabled",
			"trafficRoutingMethod": p.RoutingMethod,
			"dnsConfig":            map[string]any{"relativeName": strings.ToLower(p.Name), "fqdn": strings.ToLower(p.Name) + ".trafficmanager.net", "ttl": ttl},
			"monitorConfig": map[string]any{"profileMonitorStatus": "Online", "protocol": "HTTPS", "port": 443, "path": "/",
				"intervalInSeconds": 30, "timeoutInSeconds": 10, "toleratedNumberOfFailures": 3},
			"endpoints":                   eps,
			"trafficViewEnrollmentStatus": "Disabled",
			"maxReturn":                   0,
		},
	}
}

var types = map[string]string{"azureendpoints": "AzureEndpoints", "externalendpoints": "ExternalEndpoints", "nestedendpoints": "NestedEndpoints"}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	what := r.Method + " endpoint"
	if len(seg) == 8 {
		what = r.Method + " profile"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[what]++
	if r.Header.Get("Authorization") != "Bearer "+s.Token || s.Token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.invalid/", error="invalid_token"`)
		armError(w, 401, "InvalidAuthenticationToken", "The access token is invalid.")
		return
	}
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		code := "InternalServerError"
		if f.status == 429 {
			code = "TooManyRequests"
		}
		armError(w, f.status, code, "Injected fault %d.", f.status)
		return
	}
	if v := r.URL.Query().Get("api-version"); v == "" {
		armError(w, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	} else if v != APIVersion {
		armError(w, 400, "InvalidApiVersionParameter", "The api-version '%s' is invalid. The supported versions are '%s'.", v, APIVersion)
		return
	}
	if (len(seg) != 8 && len(seg) != 10) || !strings.EqualFold(seg[0], "subscriptions") || !strings.EqualFold(seg[2], "resourceGroups") ||
		!strings.EqualFold(seg[4], "providers") || !strings.EqualFold(seg[5], "Microsoft.Network") || !strings.EqualFold(seg[6], "trafficmanagerprofiles") {
		armError(w, 404, "InvalidResourceType", "The resource type could not be found in the namespace for api version '%s'.", APIVersion)
		return
	}
	sub, rg, name := seg[1], seg[3], seg[7]
	p := s.profiles[key(sub, rg, name)]
	if p == nil {
		armError(w, 404, "ResourceNotFound", "The Resource 'Microsoft.Network/trafficmanagerprofiles/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", name, rg)
		return
	}
	if len(seg) == 8 {
		if r.Method != http.MethodGet {
			armError(w, 405, "MethodNotAllowed", "The emulator serves only GET on a profile.")
			return
		}
		writeJSON(w, 200, profileDoc(p))
		return
	}
	typ, ok := types[strings.ToLower(seg[8])]
	if !ok {
		armError(w, 400, "BadRequest", "The endpoint type '%s' is not valid.", seg[8])
		return
	}
	var ep *Endpoint
	for _, e := range p.Endpoints {
		if strings.EqualFold(e.Name, seg[9]) && e.Type == typ {
			ep = e
		}
	}
	switch r.Method {
	case http.MethodGet:
		if ep == nil {
			armError(w, 404, "NotFound", "Endpoint '%s' of type '%s' not found in profile '%s'.", seg[9], typ, name)
			return
		}
		writeJSON(w, 200, endpointDoc(p, ep))
	case http.MethodPut, http.MethodPatch:
		var body struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			armError(w, 400, "BadRequest", "The request body could not be parsed: %v", err)
			return
		}
		if ep == nil && r.Method == http.MethodPatch {
			armError(w, 404, "NotFound", "Endpoint '%s' of type '%s' not found in profile '%s'.", seg[9], typ, name)
			return
		}
		next := Endpoint{Name: seg[9], Type: typ, Status: "Enabled", Health: "CheckingEndpoint", Extra: map[string]any{}}
		if ep != nil {
			next = *ep
			next.Extra = map[string]any{}
			for k, v := range ep.Extra {
				next.Extra[k] = v
			}
			if r.Method == http.MethodPut {
				next.Extra = map[string]any{}
				next.Target, next.Weight, next.Priority, next.Status = "", 0, 0, "Enabled"
			}
		}
		for k, raw := range body.Properties {
			var err error
			switch k {
			case "weight":
				err = json.Unmarshal(raw, &next.Weight)
				if err == nil && (next.Weight < 1 || next.Weight > 1000) {
					armError(w, 400, "BadRequest", "The weight of endpoint '%s' must be between 1 and 1000.", seg[9])
					return
				}
			case "priority":
				err = json.Unmarshal(raw, &next.Priority)
			case "target":
				err = json.Unmarshal(raw, &next.Target)
			case "endpointStatus":
				err = json.Unmarshal(raw, &next.Status)
				if err == nil && next.Status != "Enabled" && next.Status != "Disabled" {
					armError(w, 400, "BadRequest", "endpointStatus must be Enabled or Disabled, not '%s'.", next.Status)
					return
				}
			case "endpointMonitorStatus":
				// read-only in effect: the monitor decides
			default:
				var v any
				err = json.Unmarshal(raw, &v)
				next.Extra[k] = v
			}
			if err != nil {
				armError(w, 400, "BadRequest", "Property '%s' is not valid: %v", k, err)
				return
			}
		}
		if p.RoutingMethod == "Weighted" && next.Weight == 0 {
			next.Weight = 1
		}
		status := 200
		if ep == nil {
			status = 201
			ep = &Endpoint{}
			p.Endpoints = append(p.Endpoints, ep)
		}
		*ep = next
		writeJSON(w, status, endpointDoc(p, ep))
	default:
		armError(w, 405, "MethodNotAllowed", "Method %s is not allowed.", r.Method)
	}
}

// RetryAfter formats seconds for Fail.
func RetryAfter(seconds int) string { return strconv.Itoa(seconds) }
