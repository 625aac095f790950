package aws

import (
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// endpointPart is the API endpoint a provider block talks to, as
// account.endpointKey names it: "aws", or endpoint_url. ok is false when
// the provider or its endpoint_url is not known yet.
func endpointPart(cfg providers.Config) (string, bool) {
	if cfg.Provider == nil {
		return "", false
	}
	attrs := cfg.Provider.Attrs
	if attrs == cty.NilVal || cfg.Attrs == cty.NilVal || attrs.IsNull() || !attrs.IsKnown() || !attrs.Type().IsObjectType() || !attrs.Type().HasAttribute("endpoint_url") {
		return "", false
	}
	v, _ := attrs.GetAttr("endpoint_url").UnmarkDeep()
	if !v.IsKnown() {
		return "", false
	}
	if v.IsNull() || strings.TrimRight(v.AsString(), "/") == "" {
		return "aws", true
	}
	return strings.TrimRight(v.AsString(), "/"), true
}

// optionalPart reads an optional string of the provider block: "" when
// null; ok is false when unknown.
func optionalPart(cfg providers.Config, attr string) (string, bool) {
	attrs := cfg.Provider.Attrs
	if !attrs.Type().HasAttribute(attr) {
		return "", true
	}
	v, _ := attrs.GetAttr(attr).UnmarkDeep()
	if !v.IsKnown() {
		return "", false
	}
	if v.IsNull() {
		return "", true
	}
	return v.AsString(), true
}

// route53Steers lists the weighted sets a route53_weighted target writes:
// each SetIdentifier of primary and secondary, in one record (name and
// type, names normalised as Observe compares them) of one hosted zone. A
// zone given by ID is the same zone for every account of one endpoint; a
// zone given by name is the same only for the same profile and
// assume_role (two accounts may each hold a zone of that name). A zone
// given by ID in one target and by name in another cannot be compared
// without asking Route 53, and is taken as different.
func route53Steers(cfg providers.Config) []providers.SteeredObject {
	ep, ok := endpointPart(cfg)
	if !ok {
		return nil
	}
	var zoneKey string
	var zoneShown string
	if id, ok := providers.SteerString(cfg.Attrs, "zone_id"); ok {
		zoneKey = "id:" + strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(id.Raw, "/"), "hostedzone/"))
		zoneShown = "hosted zone " + id.Shown
	} else if name, ok := providers.SteerString(cfg.Attrs, "zone"); ok {
		profile, ok1 := optionalPart(cfg, "profile")
		role, ok2 := optionalPart(cfg, "assume_role")
		if !ok1 || !ok2 {
			return nil
		}
		zoneKey = providers.SteerKey("name:"+normName(name.Raw), profile, role)
		zoneShown = "hosted zone " + shownName(name)
	} else {
		return nil
	}
	record, ok := providers.SteerString(cfg.Attrs, "name")
	if !ok {
		return nil
	}
	rtype, ok := providers.SteerString(cfg.Attrs, "type")
	if !ok {
		return nil
	}
	typ := strings.ToUpper(strings.TrimSpace(rtype.Raw))
	sets, attrs := providers.SteerSides(cfg.Attrs)
	out := make([]providers.SteeredObject, 0, len(sets))
	for i, s := range sets {
		out = append(out, providers.SteeredObject{
			Key:  providers.SteerKey("route53", "set", ep, zoneKey, normName(record.Raw), typ, s.Raw),
			What: "Route 53 weighted set " + s.Shown + " of " + shownName(record) + " " + shownType(rtype, typ) + " in " + zoneShown,
			Attr: attrs[i],
		})
	}
	return out
}

// shownName is a DNS name for a message, with its trailing dot.
func shownName(p providers.SteerPart) string {
	if p.Shown == providers.Redacted {
		return p.Shown
	}
	return strings.TrimSuffix(p.Shown, ".") + "."
}

func shownType(p providers.SteerPart, typ string) string {
	if p.Shown == providers.Redacted {
		return p.Shown
	}
	return typ
}

// albSteers lists the target groups an alb_forward target sets weights
// on: each target group ARN of primary and secondary, in the forward
// action of one listener (its default actions) or one listener rule. ARNs
// name their region and account, so the endpoint is all that is added.
func albSteers(cfg providers.Config) []providers.SteeredObject {
	ep, ok := endpointPart(cfg)
	if !ok {
		return nil
	}
	var action, actionShown string
	if l, ok := providers.SteerString(cfg.Attrs, "listener_arn"); ok {
		action, actionShown = "listener:"+l.Raw, "the default action of listener "+l.Shown
	} else if r, ok := providers.SteerString(cfg.Attrs, "rule_arn"); ok {
		action, actionShown = "rule:"+r.Raw, "the action of listener rule "+r.Shown
	} else {
		return nil
	}
	groups, attrs := providers.SteerSides(cfg.Attrs)
	out := make([]providers.SteeredObject, 0, len(groups))
	for i, g := range groups {
		out = append(out, providers.SteeredObject{
			Key:  providers.SteerKey("elbv2", "target-group", ep, action, g.Raw),
			What: "target group " + g.Shown + " in " + actionShown,
			Attr: attrs[i],
		})
	}
	return out
}
