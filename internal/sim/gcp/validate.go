package gcpsim

import (
	"fmt"
	"strconv"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// validateBackendService checks a backend service as a write leaves it and
// normalizes backend groups to full URLs. Caller holds s.mu.
func (s *Server) validateBackendService(bs *computepb.BackendService) *apiError {
	backends := bs.GetBackends()
	seen := map[string]int{}
	for i, b := range backends {
		field := fmt.Sprintf("resource.backends[%d]", i)
		if b == nil {
			return invalidf("Invalid value for field '%s': null.", field)
		}
		if b.GetGroup() == "" {
			return &apiError{status: 400, reason: "required", domain: "global", msg: fmt.Sprintf("Required field '%s.group' not specified", field)}
		}
		g, aerr := s.normalizeGroup(field+".group", b.GetGroup())
		if aerr != nil {
			return aerr
		}
		if j, dup := seen[g]; dup {
			return invalidf("Invalid value for field '%s.group': '%s'. Duplicate backend group: resource.backends[%d] has the same group.", field, b.GetGroup(), j)
		}
		seen[g] = i
		b.Group = proto.String(g)
		if b.CapacityScaler == nil {
			// The API's default, filled in where a balancing mode applies
			// (instance groups and zonal NEGs).
			if l, _ := s.parseLink(g); l.coll == "instanceGroups" || l.scopeKind == "zones" {
				b.CapacityScaler = proto.Float32(1)
			}
			continue
		}
		c := b.GetCapacityScaler()
		if c != 0 && !(c >= 0.1 && c <= 1.0) {
			return invalidf("Invalid value for field '%s.capacityScaler': '%s'. Must be 0 or in [0.1, 1.0].", field, fmtFloat(c))
		}
		if c == 0 && len(backends) == 1 {
			return invalidf("Invalid value for field '%s.capacityScaler': '0'. capacityScaler cannot be 0 when the backend service has a single backend.", field)
		}
	}
	return nil
}

func fmtFloat(f float32) string { return strconv.FormatFloat(float64(f), 'g', -1, 32) }

// normalizeGroup checks an instance group or network endpoint group URL and
// returns its full form.
func (s *Server) normalizeGroup(field, ref string) (string, *apiError) {
	l, ok := s.parseLink(ref)
	if !ok || (l.coll != "instanceGroups" && l.coll != "networkEndpointGroups") ||
		(l.coll == "instanceGroups" && l.scopeKind == "global") || !nameRE.MatchString(l.name) {
		return "", invalidf("Invalid value for field '%s': '%s'. The URL is malformed: expected an instance group or network endpoint group URL.", field, ref)
	}
	if l.project != s.opts.Project {
		return "", invalidf("Invalid value for field '%s': '%s'. The resource 'projects/%s' was not found.", field, ref, l.project)
	}
	return l.String(), nil
}

// validateURLMap checks a URL map as a write leaves it (region "" = global)
// and normalizes backend service references to full URLs. Caller holds
// s.mu.
func (s *Server) validateURLMap(m *computepb.UrlMap, region string) *apiError {
	if aerr := s.checkDefaults("resource", m.DefaultService, m.DefaultUrlRedirect, m.DefaultRouteAction); aerr != nil {
		return aerr
	}
	if aerr := s.checkService("resource.defaultService", m.DefaultService, region); aerr != nil {
		return aerr
	}
	if aerr := s.checkRouteAction("resource.defaultRouteAction", m.DefaultRouteAction, region); aerr != nil {
		return aerr
	}
	matchers := map[string]bool{}
	for i, pm := range m.GetPathMatchers() {
		field := fmt.Sprintf("resource.pathMatchers[%d]", i)
		if pm == nil {
			return invalidf("Invalid value for field '%s': null.", field)
		}
		if !nameRE.MatchString(pm.GetName()) {
			return invalidf("Invalid value for field '%s.name': '%s'. Must be a match of regex '[a-z]([-a-z0-9]*[a-z0-9])?'.", field, pm.GetName())
		}
		if matchers[pm.GetName()] {
			return invalidf("Invalid value for field '%s.name': '%s'. Duplicate path matcher name.", field, pm.GetName())
		}
		matchers[pm.GetName()] = true
		if aerr := s.checkDefaults(field, pm.DefaultService, pm.DefaultUrlRedirect, pm.DefaultRouteAction); aerr != nil {
			return aerr
		}
		if aerr := s.checkService(field+".defaultService", pm.DefaultService, region); aerr != nil {
			return aerr
		}
		if aerr := s.checkRouteAction(field+".defaultRouteAction", pm.DefaultRouteAction, region); aerr != nil {
			return aerr
		}
		for j, pr := range pm.GetPathRules() {
			f := fmt.Sprintf("%s.pathRules[%d]", field, j)
			if pr == nil {
				return invalidf("Invalid value for field '%s': null.", f)
			}
			if aerr := s.checkService(f+".service", pr.Service, region); aerr != nil {
				return aerr
			}
			if aerr := s.checkRouteAction(f+".routeAction", pr.RouteAction, region); aerr != nil {
				return aerr
			}
		}
		for j, rr := range pm.GetRouteRules() {
			f := fmt.Sprintf("%s.routeRules[%d]", field, j)
			if rr == nil {
				return invalidf("Invalid value for field '%s': null.", f)
			}
			if aerr := s.checkService(f+".service", rr.Service, region); aerr != nil {
				return aerr
			}
			if aerr := s.checkRouteAction(f+".routeAction", rr.RouteAction, region); aerr != nil {
				return aerr
			}
		}
	}
	for i, hr := range m.GetHostRules() {
		if hr == nil {
			return invalidf("Invalid value for field 'resource.hostRules[%d]': null.", i)
		}
		if !matchers[hr.GetPathMatcher()] {
			return invalidf("Invalid value for field 'resource.hostRules[%d].pathMatcher': '%s'. No path matcher of that name in the URL map.", i, hr.GetPathMatcher())
		}
	}
	return nil
}

// checkDefaults enforces "Only one of defaultUrlRedirect, defaultService or
// defaultRouteAction.weightedBackendService can be set" at one level.
func (s *Server) checkDefaults(field string, svc *string, redirect *computepb.HttpRedirectAction, action *computepb.HttpRouteAction) *apiError {
	n := 0
	if svc != nil {
		n++
	}
	if redirect != nil {
		n++
	}
	if len(action.GetWeightedBackendServices()) > 0 {
		n++
	}
	if n > 1 {
		return invalidf("Invalid value for field '%s': only one of defaultService, defaultUrlRedirect or defaultRouteAction.weightedBackendServices may be set.", field)
	}
	return nil
}

// checkRouteAction checks the weighted backend services and the mirror
// policy of a route action.
func (s *Server) checkRouteAction(field string, a *computepb.HttpRouteAction, region string) *apiError {
	if a == nil {
		return nil
	}
	if a.RequestMirrorPolicy != nil {
		if aerr := s.checkService(field+".requestMirrorPolicy.backendService", a.RequestMirrorPolicy.BackendService, region); aerr != nil {
			return aerr
		}
	}
	wbs := a.GetWeightedBackendServices()
	if len(wbs) == 0 {
		return nil
	}
	var sum uint64
	for i, w := range wbs {
		f := fmt.Sprintf("%s.weightedBackendServices[%d]", field, i)
		if w == nil {
			return invalidf("Invalid value for field '%s': null.", f)
		}
		if w.BackendService == nil {
			return &apiError{status: 400, reason: "required", domain: "global", msg: fmt.Sprintf("Required field '%s.backendService' not specified", f)}
		}
		if aerr := s.checkService(f+".backendService", w.BackendService, region); aerr != nil {
			return aerr
		}
		if w.Weight == nil {
			return &apiError{status: 400, reason: "required", domain: "global", msg: fmt.Sprintf("Required field '%s.weight' not specified", f)}
		}
		if w.GetWeight() > 1000 {
			return invalidf("Invalid value for field '%s.weight': '%d'. Must be from 0 to 1000.", f, w.GetWeight())
		}
		sum += uint64(w.GetWeight())
	}
	if sum == 0 {
		return invalidf("Invalid value for field '%s.weightedBackendServices': at least one weight must be non-zero.", field)
	}
	return nil
}

// checkService checks one backend service reference of a URL map: it must
// name an existing backend service in the map's scope. It is rewritten to
// the full URL, as the API stores references.
func (s *Server) checkService(field string, ref *string, region string) *apiError {
	if ref == nil {
		return nil
	}
	l, ok := s.parseLink(*ref)
	if !ok || l.scopeKind == "zones" || !nameRE.MatchString(l.name) {
		return invalidf("Invalid value for field '%s': '%s'. The URL is malformed.", field, *ref)
	}
	if l.coll != kindBackendService {
		return invalidf("Invalid value for field '%s': '%s'. Must reference a backend service (this emulator has no %s).", field, *ref, l.coll)
	}
	if l.project != s.opts.Project {
		return invalidf("Invalid value for field '%s': '%s'. The resource 'projects/%s' was not found.", field, *ref, l.project)
	}
	if l.region() != region {
		if region == "" {
			return invalidf("Invalid value for field '%s': '%s'. A global URL map can only reference global backend services.", field, *ref)
		}
		return invalidf("Invalid value for field '%s': '%s'. A URL map in region %s can only reference backend services of region %s.", field, *ref, region, region)
	}
	k := resKey{kindBackendService, region, l.name}
	if s.res[k] == nil {
		return invalidf("Invalid value for field '%s': '%s'. The resource '%s' was not found.", field, *ref, s.resourcePath(k))
	}
	*ref = l.String()
	return nil
}
