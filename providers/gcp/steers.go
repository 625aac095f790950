package gcp

import (
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// projectPart is the Compute endpoint and project of a target's provider
// block, as account.endpointKey names them; ok is false when either is
// not known yet.
func projectPart(cfg providers.Config) (endpoint, project string, ok bool) {
	if cfg.Provider == nil || !isObject(cfg.Attrs) || !isObject(cfg.Provider.Attrs) {
		return "", "", false
	}
	p, ok := providers.SteerString(cfg.Provider.Attrs, "project")
	if !ok || strings.TrimSpace(p.Raw) == "" {
		return "", "", false
	}
	endpoint = "compute.googleapis.com"
	if attrs := cfg.Provider.Attrs; attrs.Type().HasAttribute("endpoint_url") {
		v, _ := attrs.GetAttr("endpoint_url").UnmarkDeep()
		if !v.IsKnown() {
			return "", "", false
		}
		if !v.IsNull() && v.AsString() != "" {
			endpoint = strings.TrimRight(v.AsString(), "/")
		}
	}
	return endpoint, strings.TrimSpace(p.Raw), true
}

// regionPart reads a target's optional region: "" for global; ok is false
// when it is not known yet.
func regionPart(cfg providers.Config) (providers.SteerPart, bool) {
	if !cfg.Attrs.Type().HasAttribute("region") {
		return providers.SteerPart{}, true
	}
	v, _ := cfg.Attrs.GetAttr("region").UnmarkDeep()
	if !v.IsKnown() {
		return providers.SteerPart{}, false
	}
	if v.IsNull() {
		return providers.SteerPart{}, true
	}
	p, ok := providers.SteerString(cfg.Attrs, "region")
	p.Raw = strings.TrimSpace(p.Raw)
	return p, ok
}

// urlMapSteers lists the backend services a gcp_url_map target sets
// weights on: each service of primary and secondary (in normal form, so a
// name and a URL of one service are the same), in one route action (the
// map's default, a path matcher's, or one route rule's) of one URL map of
// one project and region. A service that does not parse is left out: the
// target's constructor reports it.
func urlMapSteers(cfg providers.Config) []providers.SteeredObject {
	ep, project, ok := projectPart(cfg)
	// An unknown path matcher or rule must not read as the default route.
	if !ok || !knownAll(cfg, "url_map", "region", "path_matcher", "route_rule") {
		return nil
	}
	region, ok := regionPart(cfg)
	if !ok {
		return nil
	}
	m, ok := providers.SteerString(cfg.Attrs, "url_map")
	if !ok {
		return nil
	}
	route, routeShown := "default", "the default route action"
	if pm, ok := providers.SteerString(cfg.Attrs, "path_matcher"); ok {
		route, routeShown = "matcher:"+pm.Raw, "path matcher "+pm.Shown
		if rule, ok := providers.SteerNumber(cfg.Attrs, "route_rule"); ok {
			route += "\x00rule:" + rule.Raw
			routeShown = "route rule " + rule.Shown + " of " + routeShown
		}
	}
	mapShown := "URL map " + m.Shown
	if region.Raw != "" {
		mapShown += " in " + region.Shown
	}
	services, attrs := providers.SteerSides(cfg.Attrs)
	var out []providers.SteeredObject
	for i, s := range services {
		ref, err := parseService(s.Raw, project, region.Raw)
		if err != nil {
			continue
		}
		out = append(out, providers.SteeredObject{
			Key:  providers.SteerKey("urlMaps", "service", ep, project, region.Raw, strings.ToLower(strings.TrimSpace(m.Raw)), route, strings.ToLower(ref.String())),
			What: "backend service " + s.Shown + " in " + routeShown + " of " + mapShown,
			Attr: attrs[i],
		})
	}
	return out
}

// capacitySteers lists the backends a gcp_backend_capacity target sets
// the capacityScaler of: each group of primary and secondary, in one
// backend service of one project and region. Groups compare in normal
// form without their kind, as the constructor's own duplicate check does
// ("zone/name" names an instance group or a NEG alike).
func capacitySteers(cfg providers.Config) []providers.SteeredObject {
	ep, project, ok := projectPart(cfg)
	if !ok {
		return nil
	}
	region, ok := regionPart(cfg)
	if !ok {
		return nil
	}
	bs, ok := providers.SteerString(cfg.Attrs, "backend_service")
	if !ok {
		return nil
	}
	bsShown := "backend service " + bs.Shown
	if region.Raw != "" {
		bsShown += " in " + region.Shown
	}
	groups, attrs := providers.SteerSides(cfg.Attrs)
	var out []providers.SteeredObject
	for i, g := range groups {
		ref, err := parseGroup(g.Raw, project)
		if err != nil {
			continue
		}
		ref.kind = ""
		out = append(out, providers.SteeredObject{
			Key:  providers.SteerKey("backendServices", "backend", ep, project, region.Raw, strings.ToLower(strings.TrimSpace(bs.Raw)), strings.ToLower(ref.String())),
			What: "backend " + g.Shown + " of " + bsShown,
			Attr: attrs[i],
		})
	}
	return out
}

func isObject(v cty.Value) bool {
	return v != cty.NilVal && v.IsKnown() && !v.IsNull() && v.Type().IsObjectType()
}

// knownAll reports whether the named attributes are all known.
func knownAll(cfg providers.Config, attrs ...string) bool {
	for _, a := range attrs {
		if cfg.Attrs.Type().HasAttribute(a) && !cfg.Attrs.GetAttr(a).IsWhollyKnown() {
			return false
		}
	}
	return true
}

// cloudDNSSteers lists the WRR items a cloud_dns_wrr target sets weights
// on: each rrdata of primary and secondary, in one record set (name and
// type) of one managed zone of one project. Names compare as written,
// case-insensitively: a relative name and its fully qualified spelling are
// told apart here (the zone's DNS name is known only to Cloud DNS).
func cloudDNSSteers(cfg providers.Config) []providers.SteeredObject {
	ep, project, ok := projectPart(cfg)
	if !ok || !knownAll(cfg, "managed_zone", "name", "type") {
		return nil
	}
	if ep == "compute.googleapis.com" {
		ep = "dns.googleapis.com"
	}
	zone, okZ := providers.SteerString(cfg.Attrs, "managed_zone")
	name, okN := providers.SteerString(cfg.Attrs, "name")
	if !okZ || !okN {
		return nil
	}
	typ := "A"
	if v, ok := providers.SteerString(cfg.Attrs, "type"); ok && strings.TrimSpace(v.Raw) != "" {
		typ = strings.ToUpper(strings.TrimSpace(v.Raw))
	}
	rrdatas, attrs := providers.SteerSides(cfg.Attrs)
	var out []providers.SteeredObject
	for i, r := range rrdatas {
		out = append(out, providers.SteeredObject{
			Key:  providers.SteerKey("clouddns", "wrr", ep, project, strings.TrimSpace(zone.Raw), strings.ToLower(strings.TrimSpace(name.Raw)), typ, strings.ToLower(strings.TrimSpace(r.Raw))),
			What: "WRR item " + r.Shown + " of record set " + name.Shown + " " + typ + " in managed zone " + zone.Shown,
			Attr: attrs[i],
		})
	}
	return out
}
