// Package libdns provides fbctl's dns_rrset target over any compiled-in
// libdns driver (RFC 2136 dynamic updates, Cloudflare, ...), bound to a
// `libdns` provider block.
//
// This file declares the schemas and the drivers' configuration keys; the
// behaviour is attached to the same registrations by the libdns provider work.
package libdns

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// ProviderType is the name of the provider block type: provider "libdns" "NAME".
const ProviderType = "libdns"

// Driver describes one compiled-in libdns driver's configuration keys.
type Driver struct {
	Name     string
	Required []string
	Optional []string
}

// Drivers lists the compiled-in drivers. Adding a driver is one entry here
// (and, with the behaviour, one constructor).
var Drivers = []Driver{
	{Name: "rfc2136", Required: []string{"server", "key_name", "key"}, Optional: []string{"key_alg"}},
	{Name: "cloudflare", Required: []string{"api_token"}, Optional: []string{"zone_token"}},
}

func driver(name string) (Driver, bool) {
	for _, d := range Drivers {
		if d.Name == name {
			return d, true
		}
	}
	return Driver{}, false
}

// Register adds the libdns provider type and the dns_rrset kind to r.
func Register(r *providers.Registry) {
	r.RegisterProvider(providers.ProviderType{
		Name: ProviderType,
		Doc:  "A DNS provider reached through a compiled-in libdns driver. The whole config map is sensitive.",
		Attributes: []providers.Attribute{
			providers.Required("driver", cty.String, "Driver name: "+driverNames()+"."),
			providers.Secret(providers.Optional("config", cty.Map(cty.String), cty.MapValEmpty(cty.String), "Driver configuration; rfc2136: server, key_name, key (base64), key_alg (default hmac-sha256); cloudflare: api_token, zone_token.")),
		},
		Validate: validateProvider,
	})

	r.Register(providers.Kind{
		Class:    providers.ClassTarget,
		Name:     "dns_rrset",
		Provider: ProviderType,
		Doc:      "A plain RRset composed of primary and secondary addresses in the proportion closest to the share; a CNAME switches at cname_threshold.",
		Attributes: []providers.Attribute{
			providers.Required("zone", cty.String, "Zone name, e.g. example.com."),
			providers.Required("name", cty.String, "Record name relative to the zone (\"@\" for the apex)."),
			providers.Optional("type", cty.String, cty.StringVal("A"), "A, AAAA or CNAME."),
			providers.Required("primary", providers.StringList, "Addresses (or, for CNAME, one target) of the primary."),
			providers.Required("secondary", providers.StringList, "Addresses (or, for CNAME, one target) of the secondary."),
			providers.Optional("ttl", cty.Number, cty.NilVal, "TTL in seconds for the RRset; the existing TTL is kept when unset."),
			providers.Optional("cname_threshold", cty.Number, cty.NumberIntVal(50), "For CNAME: the share (percent) at and above which the name points at the primary."),
		},
		TTLAttribute: "ttl",
		Validate: func(v cty.Value) []providers.Problem {
			p := providers.OneOf(v, "type", "A", "AAAA", "CNAME")
			p = append(p, providers.NumberInRange(v, "ttl", 1, 2147483647, true)...)
			p = append(p, providers.NumberInRange(v, "cname_threshold", 0, 100, false)...)
			return p
		},
	})
}

func driverNames() string {
	var names []string
	for _, d := range Drivers {
		names = append(names, d.Name)
	}
	return strings.Join(names, ", ")
}

func validateProvider(v cty.Value) []providers.Problem {
	name, ok := providers.StringAttr(v, "driver")
	if !ok {
		return nil
	}
	d, ok := driver(name)
	if !ok {
		return []providers.Problem{{Attr: "driver", Summary: "Unknown libdns driver",
			Detail: fmt.Sprintf("No driver %q is compiled in; known drivers: %s.", name, driverNames())}}
	}
	cfg, _ := v.GetAttr("config").UnmarkDeep()
	if cfg.IsNull() || !cfg.IsWhollyKnown() {
		return nil
	}
	keys := map[string]bool{}
	for it := cfg.ElementIterator(); it.Next(); {
		k, _ := it.Element()
		keys[k.AsString()] = true
	}
	allowed := map[string]bool{}
	var p []providers.Problem
	for _, k := range d.Required {
		allowed[k] = true
		if !keys[k] {
			p = append(p, providers.Problem{Attr: "config", Summary: "Missing libdns driver setting",
				Detail: fmt.Sprintf("The %s driver needs config key %q.", d.Name, k)})
		}
	}
	for _, k := range d.Optional {
		allowed[k] = true
	}
	var extra []string
	for k := range keys {
		if !allowed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		p = append(p, providers.Problem{Attr: "config", Summary: "Unknown libdns driver setting",
			Detail: fmt.Sprintf("The %s driver has no config key %q; it takes %s.", d.Name, k, strings.Join(append(append([]string{}, d.Required...), d.Optional...), ", "))})
	}
	return p
}
