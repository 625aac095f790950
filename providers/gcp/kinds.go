// Package gcp provides fbctl's Google Cloud kinds: the gcp_url_map and
// gcp_backend_capacity targets and the gcp_backend_health check, all bound
// to a `gcp` provider block.
//
// This file declares their schemas and attaches the behaviour to the same
// registrations: [URLMap] (urlmap.go, batched by urlmap_batch.go),
// [BackendCapacity] (capacity.go) and [BackendHealth] (health.go).
//
// # Clients and credentials
//
// Every target and check bound to one provider block shares that block's
// Compute REST clients (cloud.google.com/go/compute/apiv1), built on first
// use (account.go). With endpoint_url they talk to that base URL without
// authentication (emulators); otherwise they authenticate with
// credentials_file (whose type is checked first) or Application Default
// Credentials, impersonating impersonate_service_account when set.
// Credentials never appear in errors, and values the policy marks
// sensitive are redacted from every error and Detail.
//
// # Calls, retries, conflicts
//
// Each API call gets MaxAttempts attempts: HTTP 429, 5xx, 403
// rateLimitExceeded and transport errors are retried with jittered
// exponential backoff; the SDK's own retries are off, so the budget is
// exactly that. Writes are read-modify-write: the whole resource as read
// goes back by PATCH with its fingerprint and a requestId; HTTP 412
// conditionNotMet means another writer came in between, and fbctl reads
// again and redoes its change (MaxConflicts times in all), so the other
// writer's change survives. A write waits for its operation (polling
// operations.get) and an operation that ends in error is an error naming
// the resource and the operation's message. Writes of one process to one
// resource are serialized.
//
// Nothing is written when the policy does not match what exists: a URL
// map, backend service, path matcher or route rule that does not exist, a
// backend service the map does not reference, a group the service does not
// have, a backend service of another region than its URL map, or
// capacityScaler 0 on a service's only backend. Those errors name what is
// missing and what is there.
package gcp

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// ProviderType is the name of the provider block type: provider "gcp" "NAME".
const ProviderType = "gcp"

// Register adds the gcp provider type and its kinds to r.
func Register(r *providers.Registry) {
	r.RegisterProvider(providers.ProviderType{
		Name: ProviderType,
		Doc:  "A Google Cloud project. Credentials come from Application Default Credentials unless credentials_file is set.",
		Attributes: []providers.Attribute{
			providers.Required("project", cty.String, "Project ID."),
			providers.Optional("credentials_file", cty.String, cty.NilVal, "Service account key file; Application Default Credentials when unset."),
			providers.Optional("impersonate_service_account", cty.String, cty.NilVal, "Service account email to impersonate."),
			providers.Optional("endpoint_url", cty.String, cty.NilVal, "Base URL of the Compute API, for emulators."),
		},
		Validate: func(v cty.Value) []providers.Problem {
			var p []providers.Problem
			if s, ok := providers.StringAttr(v, "impersonate_service_account"); ok && !strings.Contains(s, "@") {
				p = append(p, providers.Problem{Attr: "impersonate_service_account", Summary: "Invalid impersonate_service_account",
					Detail: "impersonate_service_account must be a service account email (NAME@PROJECT.iam.gserviceaccount.com)."})
			}
			if s, ok := providers.StringAttr(v, "endpoint_url"); ok {
				// As decodeProvider reads it: surrounding space and a
				// trailing slash are dropped.
				if providers.CheckURL(strings.TrimRight(strings.TrimSpace(s), "/"), "http", "https") != nil {
					p = append(p, providers.Problem{Attr: "endpoint_url", Summary: "Invalid endpoint_url",
						Detail: "endpoint_url must be an http or https URL with a host (and a port in 1-65535), such as http://127.0.0.1:8085."})
				}
			}
			p = append(p, providers.NotBlank(v, "project")...)
			return append(p, noBadChars(v, "project", "impersonate_service_account")...)
		},
	})

	r.Register(providers.Kind{
		Class:    providers.ClassTarget,
		Name:     "gcp_url_map",
		Provider: ProviderType,
		Doc:      "A URL map's weighted backend services (weights 0-1000): the default route action, or a path matcher's, or one route rule's.",
		Attributes: []providers.Attribute{
			providers.Required("url_map", cty.String, "URL map name."),
			providers.Optional("region", cty.String, cty.NilVal, "Region of a regional URL map; global when unset."),
			providers.Optional("path_matcher", cty.String, cty.NilVal, "Path matcher name; the map's default route action when unset."),
			providers.Optional("route_rule", cty.Number, cty.NilVal, "Priority of the route rule within path_matcher; the matcher's default route action when unset."),
			providers.Required("primary", providers.StringList, "Backend services (names or URLs) of the primary."),
			providers.Required("secondary", providers.StringList, "Backend services (names or URLs) of the secondary."),
		},
		Validate: validateURLMap,
		Steers:   urlMapSteers,
		NewTarget: func(cfg providers.Config) (providers.Target, error) {
			t, err := NewURLMap(cfg)
			if err != nil {
				return nil, err // not a typed nil in the interface
			}
			return t, nil
		},
	})

	r.Register(providers.Kind{
		Class:    providers.ClassTarget,
		Name:     "gcp_backend_capacity",
		Provider: ProviderType,
		Doc:      "A backend service whose backends are split into primary and secondary; the share sets their capacityScaler (0, or 0.1-1.0). This scales capacity, not an exact traffic split.",
		Attributes: []providers.Attribute{
			providers.Required("backend_service", cty.String, "Backend service name."),
			providers.Optional("region", cty.String, cty.NilVal, "Region of a regional backend service; global when unset."),
			providers.Required("primary", providers.StringList, "Instance groups or NEGs (URLs or zone/name) of the primary."),
			providers.Required("secondary", providers.StringList, "Instance groups or NEGs (URLs or zone/name) of the secondary."),
		},
		Validate: validateBackendCapacity,
		Deliverable: func(attrs cty.Value, want providers.Share) (providers.Share, bool) {
			p, okP := listLen(attrs, "primary")
			s, okS := listLen(attrs, "secondary")
			if !okP || !okS || p == 0 || s == 0 {
				return 0, false
			}
			a, b := chooseScalers(want, p, s)
			return scalerShare(p, s, a, b), true
		},
		Steers: capacitySteers,
		NewTarget: func(cfg providers.Config) (providers.Target, error) {
			t, err := NewBackendCapacity(cfg)
			if err != nil {
				return nil, err
			}
			return t, nil
		},
	})

	r.Register(cloudDNSKind())

	r.Register(providers.Kind{
		Class:    providers.ClassCheck,
		Name:     "gcp_backend_health",
		Provider: ProviderType,
		Doc:      "getHealth of a backend service's groups: healthy when at least min_healthy instances/endpoints, or min_healthy_percent of them, are HEALTHY.",
		Attributes: []providers.Attribute{
			providers.Required("backend_service", cty.String, "Backend service name."),
			providers.Optional("region", cty.String, cty.NilVal, "Region of a regional backend service; global when unset."),
			providers.Required("groups", providers.StringList, "Instance groups or NEGs to ask about."),
			providers.Optional("min_healthy", cty.Number, cty.NumberIntVal(1), "Minimum number of HEALTHY instances or endpoints."),
			providers.Optional("min_healthy_percent", cty.Number, cty.NilVal, "Minimum percentage HEALTHY; when set, both conditions must hold."),
		},
		Validate: func(v cty.Value) []providers.Problem {
			p := providers.NumberInRange(v, "min_healthy", 1, 100000, true)
			p = append(p, providers.NumberInRange(v, "min_healthy_percent", 0, 100, false)...)
			p = append(p, nameProblem(v, "backend_service", "a backend service name")...)
			p = append(p, noBadChars(v, "region")...)
			if gs, ok := providers.StringsAttr(v, "groups"); ok {
				if len(gs) == 0 {
					p = append(p, providers.Problem{Attr: "groups", Summary: "Invalid groups", Detail: "groups must name at least one group."})
				}
				p = append(p, refProblems("groups", gs, func(s string) error { _, err := parseGroup(s, staticProject); return err })...)
			}
			return providers.HideMarked(v, p)
		},
		NewCheck: func(cfg providers.Config) (providers.Check, error) {
			c, err := NewBackendHealth(cfg)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	})
}

// listLen is the number of elements of a known list attribute.
func listLen(obj cty.Value, attr string) (int, bool) {
	if obj == cty.NilVal || obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(attr) {
		return 0, false
	}
	v, _ := obj.GetAttr(attr).UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || !v.CanIterateElements() {
		return 0, false
	}
	return v.LengthInt(), true
}

// urlMapMembers and capacityMembers are how the constructors read the sides
// (Decoder.Sides); Validate checks the same.
var (
	urlMapMembers   = providers.Members{What: "backend service", Limit: maxServices, NoBlank: true}
	capacityMembers = providers.Members{What: "group", Limit: maxServices, NoBlank: true}
)

// staticProject stands for the provider block's project when a kind's
// Validate parses a reference: a bare name or ZONE/NAME takes the project
// from it, and only the syntax is judged here.
const staticProject = "project"

// validateURLMap is the gcp_url_map kind's validation: everything NewURLMap
// checks without calling Compute, except that two spellings of one backend
// service (a name and its URL) are told apart only with the provider's
// project, by the constructor.
func validateURLMap(v cty.Value) []providers.Problem {
	p := providers.NumberInRange(v, "route_rule", 0, 2147483647, true)
	if providers.IsSet(v, "route_rule") {
		// An empty path_matcher is no path matcher to the constructor.
		if m, known := providers.StringAttr(v, "path_matcher"); (known && m == "") || !providers.IsSet(v, "path_matcher") {
			p = append(p, providers.Problem{Attr: "route_rule", Summary: "route_rule needs path_matcher",
				Detail: "A route rule lives inside a path matcher: set path_matcher too."})
		}
	}
	p = append(p, nameProblem(v, "url_map", "a URL map name")...)
	p = append(p, noBadChars(v, "region", "path_matcher")...)
	region, regionKnown := providers.StringAttr(v, "region")
	region = strings.TrimSpace(region)
	regionKnown = regionKnown || !providers.IsSet(v, "region")
	for _, side := range []string{"primary", "secondary"} {
		refs, ok := providers.StringsAttr(v, side)
		if !ok {
			continue
		}
		p = append(p, refProblems(side, refs, func(s string) error {
			r, err := parseService(s, staticProject, region)
			if err == nil && regionKnown && r.region != region {
				return fmt.Errorf("a backend service of %s, but the URL map is %s: a URL map references backend services of its own region (global ones when it is global)", location(r.region), location(region))
			}
			return err
		})...)
	}
	if len(p) == 0 && regionKnown {
		p = append(p, sameServiceTwice(v, region)...)
	}
	return providers.HideMarked(v, append(p, urlMapMembers.Problems(v)...))
}

// sameServiceTwice reports a backend service named twice in two spellings
// (a name and its path), when that holds whatever the provider's project:
// a spelling that names its project and one that takes the provider's are
// left to the constructor, which knows the project.
func sameServiceTwice(v cty.Value, region string) []providers.Problem {
	return twice(v, func(s, project string) (any, error) { return parseService(s, project, region) },
		func(a, b any) bool { return a.(serviceRef) == b.(serviceRef) }, "backend service")
}

// sameGroupTwice is sameServiceTwice for instance groups and NEGs.
func sameGroupTwice(v cty.Value) []providers.Problem {
	return twice(v, func(s, project string) (any, error) { return parseGroup(s, project) },
		func(a, b any) bool { return a.(groupRef).matches(b.(groupRef)) || b.(groupRef).matches(a.(groupRef)) }, "group")
}

// twice finds two members of primary and secondary that parse to the same
// resource under two different stand-in projects, and so under any.
func twice(v cty.Value, parse func(ref, project string) (any, error), same func(a, b any) bool, what string) []providers.Problem {
	type member struct {
		side, raw string
		a, b      any
	}
	var all []member
	for _, side := range []string{"primary", "secondary"} {
		refs, ok := providers.StringsAttr(v, side)
		if !ok {
			return nil
		}
		for _, r := range refs {
			a, errA := parse(r, "project-a")
			b, errB := parse(r, "project-b")
			if errA != nil || errB != nil {
				return nil // reported by refProblems
			}
			all = append(all, member{side, r, a, b})
		}
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if all[i].raw != all[j].raw && same(all[i].a, all[j].a) && same(all[i].b, all[j].b) {
				return []providers.Problem{{Attr: all[j].side, Summary: "Duplicate member",
					Detail: fmt.Sprintf("%q (in %s) and %q (in %s) name the same %s.", all[i].raw, all[i].side, all[j].raw, all[j].side, what)}}
			}
		}
	}
	return nil
}

// validateBackendCapacity is the gcp_backend_capacity kind's validation.
func validateBackendCapacity(v cty.Value) []providers.Problem {
	p := nameProblem(v, "backend_service", "a backend service name")
	p = append(p, noBadChars(v, "region")...)
	for _, side := range []string{"primary", "secondary"} {
		if refs, ok := providers.StringsAttr(v, side); ok {
			p = append(p, refProblems(side, refs, func(s string) error { _, err := parseGroup(s, staticProject); return err })...)
		}
	}
	if len(p) == 0 {
		p = append(p, sameGroupTwice(v)...)
	}
	return providers.HideMarked(v, append(p, capacityMembers.Problems(v)...))
}

// nameProblem refuses a Compute resource name that is not one (validName),
// after the constructor's trimming of surrounding space.
func nameProblem(v cty.Value, attr, what string) []providers.Problem {
	if s, ok := providers.StringAttr(v, attr); ok && !validName(strings.TrimSpace(s)) {
		return []providers.Problem{{Attr: attr, Summary: "Invalid " + attr,
			Detail: fmt.Sprintf("%s must be %s: 1-63 letters, digits, '-' or '_'.", attr, what)}}
	}
	return nil
}

// refProblems reports the first reference of a list that parse refuses.
// On a target's sides, empty and blank ones are left to
// providers.SidesProblems and Members, which say so better.
func refProblems(attr string, refs []string, parse func(string) error) []providers.Problem {
	for _, r := range refs {
		if (attr == "primary" || attr == "secondary") && strings.TrimSpace(r) == "" {
			continue
		}
		if err := parse(r); err != nil {
			return []providers.Problem{{Attr: attr, Summary: "Invalid " + attr, Detail: attr + ": " + err.Error()}}
		}
	}
	return nil
}

// noBadChars refuses white space and control characters in names the
// Compute API takes in a URL path (a region, a path matcher, a project):
// the API would refuse them only when called.
func noBadChars(v cty.Value, attrs ...string) []providers.Problem {
	var p []providers.Problem
	for _, attr := range attrs {
		if s, ok := providers.StringAttr(v, attr); ok && strings.TrimSpace(s) != "" && providers.BadNameChars(strings.TrimSpace(s)) {
			p = append(p, providers.Problem{Attr: attr, Summary: "Invalid " + attr,
				Detail: attr + " must not hold white space or control characters."})
		}
	}
	return p
}
