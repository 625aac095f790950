// Package azure provides fbctl's azure provider: the azure_traffic_manager
// target (the endpoints of a Traffic Manager profile with the Weighted
// routing method) and the azure_endpoint_health check (an endpoint's
// monitor status), through Azure Resource Manager with the Azure SDK for
// Go (armtrafficmanager, azidentity).
//
// # The provider block
//
// `provider "azure" "NAME" { subscription_id = "..."; tenant_id = "...";
// client_id = "..."; client_secret = "..." }`. With client_secret the
// client authenticates as that service principal; without it, through
// azidentity's default credential chain (environment, workload identity,
// managed identity, Azure CLI). client_secret is sensitive and never
// appears in any message. endpoint_url replaces the ARM base URL
// (https://management.azure.com), for an emulator. Building a provider is
// pure: no I/O until a target or check reads or writes.
package azure

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// ProviderType is the name of the provider block type: provider "azure" "NAME".
const ProviderType = "azure"

// Kind is the target kind's name.
const Kind = "azure_traffic_manager"

// HealthKind is the check kind's name.
const HealthKind = "azure_endpoint_health"

// MaxWeight is Traffic Manager's largest endpoint weight; the smallest is 1.
const MaxWeight = 1000

// maxEndpoints bounds the endpoints a side may name (a profile holds at most 200).
const maxEndpoints = 200

// Register adds the azure provider type and its kinds to r.
func Register(r *providers.Registry) {
	r.RegisterProvider(providers.ProviderType{
		Name: ProviderType,
		Doc:  "Azure Resource Manager: a subscription reached as a service principal (client_secret) or through the default credential chain.",
		Attributes: []providers.Attribute{
			providers.Required("subscription_id", cty.String, "Subscription id."),
			providers.Optional("tenant_id", cty.String, cty.NilVal, "Tenant (directory) id; required with client_secret."),
			providers.Optional("client_id", cty.String, cty.NilVal, "Application (client) id of a service principal; required with client_secret."),
			providers.Secret(providers.Optional("client_secret", cty.String, cty.NilVal, "Client secret of the service principal; without it the default credential chain (environment, workload identity, managed identity, Azure CLI) is used.")),
			providers.Optional("endpoint_url", cty.String, cty.NilVal, "ARM base URL (https), for an emulator; https://management.azure.com when unset."),
		},
		Validate: validateProvider,
	})
	r.Register(providers.Kind{
		Class:    providers.ClassTarget,
		Name:     Kind,
		Provider: ProviderType,
		Doc:      "Endpoints of an Azure Traffic Manager profile with the Weighted routing method; weights 1-1000, and a side at 0 % is set to endpointStatus Disabled (Traffic Manager has no weight 0).",
		Attributes: []providers.Attribute{
			providers.Required("resource_group", cty.String, "Resource group of the profile."),
			providers.Required("profile", cty.String, "Traffic Manager profile name."),
			providers.Required("primary", providers.StringList, "Endpoint names of the primary (any endpoint type: azure, external, nested)."),
			providers.Required("secondary", providers.StringList, "Endpoint names of the secondary."),
		},
		Validate: func(v cty.Value) []providers.Problem {
			_, p, _ := parseSpec(v)
			return providers.HideMarked(v, p)
		},
		Steers: steers,
		NewTarget: func(cfg providers.Config) (providers.Target, error) {
			t, err := NewTarget(cfg)
			if err != nil {
				return nil, err // not a typed nil in the interface
			}
			return t, nil
		},
	})
	r.Register(providers.Kind{
		Class:    providers.ClassCheck,
		Name:     HealthKind,
		Provider: ProviderType,
		Doc:      "The endpointMonitorStatus of a Traffic Manager endpoint: Online is healthy, CheckingEndpoint unknown, anything else (Degraded, Stopped, Inactive, Disabled) unhealthy.",
		Attributes: []providers.Attribute{
			providers.Required("resource_group", cty.String, "Resource group of the profile."),
			providers.Required("profile", cty.String, "Traffic Manager profile name."),
			providers.Required("endpoint", cty.String, "Endpoint name."),
		},
		Validate: func(v cty.Value) []providers.Problem {
			p := nameProblems(v, "resource_group", "profile", "endpoint")
			return providers.HideMarked(v, p)
		},
		NewCheck: func(cfg providers.Config) (providers.Check, error) {
			c, err := NewEndpointHealth(cfg)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	})
}

func validateProvider(v cty.Value) []providers.Problem {
	p := nameProblems(v, "subscription_id", "tenant_id", "client_id")
	if providers.IsSet(v, "endpoint_url") {
		p = append(p, providers.URLProblem(v, "endpoint_url", "https")...)
	}
	if providers.IsSet(v, "client_secret") {
		p = append(p, providers.NotBlank(v, "client_secret")...)
		for _, a := range []string{"tenant_id", "client_id"} {
			if s, ok := providers.StringAttr(v, a); !ok || strings.TrimSpace(s) == "" {
				if raw, _ := v.GetAttr(a).UnmarkDeep(); raw.IsKnown() {
					p = append(p, providers.Problem{Attr: a, Summary: "Missing " + a, Detail: a + " is required with client_secret."})
				}
			}
		}
	}
	return providers.HideMarked(v, p)
}

// validName reports whether s can be an ARM name segment.
func validName(s string) bool {
	return s != "" && len(s) <= 260 && !strings.ContainsAny(s, "/?#%\\ \t\r\n") && !providers.BadNameChars(s)
}

func nameProblems(v cty.Value, attrs ...string) []providers.Problem {
	var p []providers.Problem
	for _, a := range attrs {
		if !v.Type().HasAttribute(a) {
			continue
		}
		raw, _ := v.GetAttr(a).UnmarkDeep()
		if !raw.IsKnown() || raw.IsNull() {
			continue
		}
		if !validName(strings.TrimSpace(raw.AsString())) {
			p = append(p, providers.Problem{Attr: a, Summary: "Invalid " + a,
				Detail: a + " must be a non-empty name without '/', '?', '#', '%', '\\' or white space."})
		}
	}
	return p
}

// spec is an azure_traffic_manager block, checked and normalized.
type spec struct {
	group, profile     string
	primary, secondary []string
}

// parseSpec checks a block's attributes: the validation `validate` and
// NewTarget share. known is false when a value is not known yet.
func parseSpec(v cty.Value) (s spec, p []providers.Problem, known bool) {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return s, nil, false
	}
	known = true
	p = nameProblems(v, "resource_group", "profile")
	for _, a := range []string{"resource_group", "profile"} {
		raw, _ := v.GetAttr(a).UnmarkDeep()
		if !raw.IsKnown() {
			known = false
		} else if !raw.IsNull() {
			if a == "profile" {
				s.profile = strings.TrimSpace(raw.AsString())
			} else {
				s.group = strings.TrimSpace(raw.AsString())
			}
		}
	}
	seen := map[string]string{}
	for _, side := range []string{"primary", "secondary"} {
		raw, _ := v.GetAttr(side).UnmarkDeep()
		if !raw.IsWhollyKnown() {
			known = false
			continue
		}
		list, ok := providers.StringsAttr(cty.ObjectVal(map[string]cty.Value{side: raw}), side)
		bad := func(detail string) {
			p = append(p, providers.Problem{Attr: side, Summary: "Invalid " + side, Detail: detail})
		}
		if !ok || len(list) == 0 {
			bad(side + " must name at least one endpoint.")
			continue
		}
		if len(list) > maxEndpoints {
			bad(fmt.Sprintf("%s names %d endpoints; a profile holds at most %d.", side, len(list), maxEndpoints))
			continue
		}
		var names []string
		for _, n := range list {
			n = strings.TrimSpace(n)
			if !validName(n) {
				bad(fmt.Sprintf("%s holds %q, which is not an endpoint name.", side, n))
				break
			}
			if other, dup := seen[strings.ToLower(n)]; dup {
				bad(fmt.Sprintf("endpoint %s is named twice (in %s and in %s).", n, other, side))
				break
			}
			seen[strings.ToLower(n)] = side
			names = append(names, n)
		}
		if side == "primary" {
			s.primary = names
		} else {
			s.secondary = names
		}
	}
	return s, p, known
}

// steers lists the endpoints a target writes, identified by the ARM base
// URL, subscription, resource group, profile and endpoint name.
func steers(cfg providers.Config) []providers.SteeredObject {
	if cfg.Provider == nil {
		return nil
	}
	sub, ok := providers.SteerString(cfg.Provider.Attrs, "subscription_id")
	if !ok {
		return nil
	}
	base := defaultEndpoint
	if u, ok := providers.SteerString(cfg.Provider.Attrs, "endpoint_url"); ok && u.Raw != "" {
		base = strings.TrimRight(strings.ToLower(u.Raw), "/")
	}
	s, _, known := parseSpec(cfg.Attrs)
	if !known || s.group == "" || s.profile == "" {
		return nil
	}
	prof, _ := providers.SteerString(cfg.Attrs, "profile")
	var out []providers.SteeredObject
	for i, side := range [][]string{s.primary, s.secondary} {
		attr := []string{"primary", "secondary"}[i]
		shown := providers.SteerList(cfg.Attrs, attr)
		for j, e := range side {
			what := e
			if j < len(shown) {
				what = shown[j].Shown
			}
			out = append(out, providers.SteeredObject{
				Key:  providers.SteerKey("azure-tm", base, strings.ToLower(sub.Raw), strings.ToLower(s.group), strings.ToLower(s.profile), strings.ToLower(e)),
				What: "Traffic Manager endpoint " + what + " of profile " + prof.Shown,
				Attr: attr,
			})
		}
	}
	return out
}
