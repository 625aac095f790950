package gcp

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Compute resources are named in many spellings: a bare name, a partial
// path ("global/backendServices/x", "zones/z/instanceGroups/g"), a path
// from "projects/", or a full URL of any API version
// ("https://www.googleapis.com/compute/v1/projects/p/..."). Policies may use
// any of them and Compute answers with full URLs, so both sides are parsed
// into the same form before they are compared.

// serviceRef is a backend service, normalised.
type serviceRef struct {
	project, region, name string // region "" for a global service
}

// String is the canonical path: projects/P/global/backendServices/N or
// projects/P/regions/R/backendServices/N.
func (s serviceRef) String() string {
	if s.region == "" {
		return "projects/" + s.project + "/global/backendServices/" + s.name
	}
	return "projects/" + s.project + "/regions/" + s.region + "/backendServices/" + s.name
}

// resourcePath returns the part of a reference from "projects/" on, or
// the reference itself when it has none; ok is false for a URL without a
// project path.
func resourcePath(ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if strings.Contains(ref, "://") {
		u, err := url.Parse(ref)
		if err != nil {
			return "", false
		}
		ref = u.Path
	}
	if i := strings.Index(ref, "projects/"); i >= 0 && (i == 0 || ref[i-1] == '/') {
		return ref[i:], true
	}
	return strings.TrimPrefix(ref, "/"), !strings.Contains(ref, "://")
}

// parseService parses a backend service reference. A bare name is a
// service of the provider's project in the region of the steered resource
// (global when region is "").
func parseService(ref, project, region string) (serviceRef, error) {
	p, ok := resourcePath(ref)
	if !ok || p == "" {
		return serviceRef{}, fmt.Errorf("%q is not a backend service name or URL", ref)
	}
	parts := strings.Split(p, "/")
	if len(parts) == 1 {
		if !validName(parts[0]) {
			return serviceRef{}, fmt.Errorf("%q is not a valid backend service name", ref)
		}
		return serviceRef{project: project, region: region, name: parts[0]}, nil
	}
	if parts[0] != "projects" {
		parts = append([]string{"projects", project}, parts...)
	}
	switch {
	case len(parts) == 5 && parts[2] == "global" && parts[3] == "backendServices" && parts[1] != "" && validName(parts[4]):
		return serviceRef{project: parts[1], name: parts[4]}, nil
	case len(parts) == 6 && parts[2] == "regions" && parts[4] == "backendServices" && parts[1] != "" && parts[3] != "" && validName(parts[5]):
		return serviceRef{project: parts[1], region: parts[3], name: parts[5]}, nil
	}
	return serviceRef{}, fmt.Errorf("%q is not a backend service name or URL (projects/P/global/backendServices/NAME or projects/P/regions/R/backendServices/NAME)", ref)
}

// groupRef is an instance group or network endpoint group, normalised.
// kind is "" for a short "zone/name" form, which matches either kind.
type groupRef struct {
	project string
	scope   string // "zones/us-central1-a", "regions/us-central1", "global"
	kind    string // "instanceGroups", "networkEndpointGroups", or ""
	name    string
}

func (g groupRef) String() string {
	k := g.kind
	if k == "" {
		k = "*"
	}
	return "projects/" + g.project + "/" + g.scope + "/" + k + "/" + g.name
}

// matches reports whether a group named in a policy (g) is the live group
// o (always fully qualified).
func (g groupRef) matches(o groupRef) bool {
	return g.project == o.project && g.scope == o.scope && g.name == o.name && (g.kind == "" || g.kind == o.kind)
}

// zoneRE matches a zone name (us-central1-a); a region name ends in a
// digit (us-central1).
var zoneRE = regexp.MustCompile(`^[a-z]+(-[a-z0-9]+)*-[a-z]$`)

// parseGroup parses an instance group or NEG reference: a URL or path of
// either kind, zonal, regional or global, or the short form
// "LOCATION/NAME", where LOCATION is a zone (us-central1-a) or a region
// (us-central1) and the kind is left open.
func parseGroup(ref, project string) (groupRef, error) {
	p, ok := resourcePath(ref)
	if !ok || p == "" {
		return groupRef{}, fmt.Errorf("%q is not an instance group or network endpoint group URL, or ZONE/NAME", ref)
	}
	parts := strings.Split(p, "/")
	if len(parts) == 2 {
		loc, name := parts[0], parts[1]
		switch {
		case !validName(loc) || !validName(name):
		case zoneRE.MatchString(loc):
			return groupRef{project: project, scope: "zones/" + loc, name: name}, nil
		default:
			return groupRef{project: project, scope: "regions/" + loc, name: name}, nil
		}
	}
	if len(parts) >= 1 && parts[0] != "projects" {
		parts = append([]string{"projects", project}, parts...)
	}
	kindOK := func(k string) bool { return k == "instanceGroups" || k == "networkEndpointGroups" }
	switch {
	case len(parts) == 5 && parts[2] == "global" && parts[3] == "networkEndpointGroups" && validName(parts[4]):
		return groupRef{project: parts[1], scope: "global", kind: parts[3], name: parts[4]}, nil
	case len(parts) == 6 && (parts[2] == "zones" || parts[2] == "regions") && parts[3] != "" && kindOK(parts[4]) && validName(parts[5]):
		return groupRef{project: parts[1], scope: parts[2] + "/" + parts[3], kind: parts[4], name: parts[5]}, nil
	}
	return groupRef{}, fmt.Errorf("%q is not an instance group or network endpoint group URL, or ZONE/NAME", ref)
}

// validName accepts Compute resource names (RFC 1035 labels, up to 63
// characters); fbctl is lenient on case, Compute is not.
func validName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
