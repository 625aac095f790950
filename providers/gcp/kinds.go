// Package gcp provides fbctl's Google Cloud kinds: the gcp_url_map and
// gcp_backend_capacity targets and the gcp_backend_health check, all bound
// to a `gcp` provider block.
//
// This file declares their schemas; the behaviour is attached to the same
// registrations by the GCP provider work.
package gcp

import (
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
		Validate: func(v cty.Value) []providers.Problem {
			p := providers.NumberInRange(v, "route_rule", 0, 2147483647, true)
			if _, hasMatcher := providers.StringAttr(v, "path_matcher"); !hasMatcher {
				if providers.IsSet(v, "route_rule") {
					p = append(p, providers.Problem{Attr: "route_rule", Summary: "route_rule needs path_matcher",
						Detail: "A route rule lives inside a path matcher: set path_matcher too."})
				}
			}
			return p
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
	})

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
			return append(p, providers.NumberInRange(v, "min_healthy_percent", 0, 100, false)...)
		},
	})
}
