// Package libdns provides fbctl's dns_rrset target over any compiled-in
// libdns driver (RFC 2136 dynamic updates, Cloudflare, ...), bound to a
// `libdns` provider block.
//
// # The provider block
//
// `provider "libdns" "NAME" { driver = "..."; config = { ... } }` picks a
// driver from [Drivers] and configures it. The whole config map is
// sensitive: it is never printed, and the driver's secret settings (the
// rfc2136 key, Cloudflare tokens) never appear in any error. Settings that
// are not secret (a server address, a key name) are named in errors, which
// need them to be clear, unless they come from a sensitive value.
//
// Building a provider is pure: no I/O until a target reads or writes.
//
// # Drivers
//
// A driver is one entry of [Drivers]: its configuration keys, which of
// them are secret, and a constructor from the config map to a [Client]
// holding a libdns provider (libdns.RecordGetter and libdns.RecordSetter).
// Adding a driver is adding that entry. rfc2136 (TSIG-signed AXFR and
// UPDATE) is tested against a real BIND; cloudflare is constructed and
// validated only, since the tests have no network.
//
// # The dns_rrset target
//
// [RRset] documents how a share maps to the addresses of an RRset and
// back; [Compose] is the composition rule.
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

// Driver describes one compiled-in libdns driver.
type Driver struct {
	Name     string
	Required []string
	Optional []string
	// Secrets are the keys whose values are secrets: never in any message.
	Secrets []string
	// Where are the keys that say where the zones live (rfc2136: the
	// server), so that two provider blocks with equal values reach the
	// same RRsets; none when the driver's API is one place (Cloudflare).
	Where []string
	// New builds the driver's client from the config map (every Required
	// key present), checking every setting. It does no I/O, and its errors
	// never quote a value.
	New func(config map[string]string) (*Client, error)
	// Check, when set, checks the settings that are not secrets, for
	// policy validation. Secrets are checked by New only: a policy's
	// validation runs with placeholder secrets as often as with real ones.
	Check func(config map[string]string) error
}

// Drivers lists the compiled-in drivers. Adding a driver is one entry here.
var Drivers = []Driver{
	{Name: "rfc2136", Required: []string{"server", "key_name", "key"}, Optional: []string{"key_alg"},
		Secrets: []string{"key"}, Where: []string{"server"}, New: newRFC2136,
		Check: func(cfg map[string]string) error { _, err := checkRFC2136(cfg, false); return err }},
	{Name: "cloudflare", Required: []string{"api_token"}, Optional: []string{"zone_token"},
		Secrets: []string{"api_token", "zone_token"}, New: newCloudflare},
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
			_, p, _ := parseSpec(v, true)
			return providers.HideMarked(v, p)
		},
		Deliverable: func(attrs cty.Value, want providers.Share) (providers.Share, bool) {
			s, _, ok := parseSpec(attrs, true)
			// A CNAME switches at cname_threshold by design: every step
			// but the switching one delivers the same answer, and saying
			// so on every CNAME policy would be noise, not a warning.
			if !ok || s.rtype == "CNAME" {
				return 0, false
			}
			return s.deliverable(want), true
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
	if !cfg.IsWhollyKnown() {
		return nil
	}
	if cfg.IsNull() {
		// `config = null` is no settings at all, as the driver reads it.
		cfg = cty.MapValEmpty(cty.String)
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
	if len(p) == 0 && d.Check != nil {
		// The driver's checks (a server's host:port, a known algorithm),
		// whose messages never quote a value.
		vals := map[string]string{}
		for it := cfg.ElementIterator(); it.Next(); {
			k, v := it.Element()
			if v.IsNull() {
				continue
			}
			vals[k.AsString()] = v.AsString()
		}
		if err := d.Check(vals); err != nil {
			p = append(p, providers.Problem{Attr: "config", Summary: "Invalid libdns driver setting",
				Detail: fmt.Sprintf("The %s driver's %s.", d.Name, err)})
		}
	}
	return p
}
