// Package powerdns provides fbctl's powerdns_weighted target: a LUA record
// of a PowerDNS Authoritative zone whose weight table (pickwrandom or
// pickwhashed) splits the answers between primary and secondary
// addresses, changed through the PowerDNS HTTP API.
//
// # The provider block
//
// `provider "powerdns" "NAME" { api_url = "http://127.0.0.1:8081"; api_key
// = "..."; server_id = "localhost" }`. api_key is sensitive: it is sent as
// the X-API-Key header and never appears in any message. Building a
// provider is pure: no I/O until a target reads or writes.
//
// # The powerdns_weighted target
//
// [Target] documents the record it owns and how a share maps to weights.
package powerdns

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// ProviderType is the name of the provider block type: provider "powerdns" "NAME".
const ProviderType = "powerdns"

// Kind is the target kind's name.
const Kind = "powerdns_weighted"

// MaxWeight is the weight a side's addresses get at a 100 % share.
const MaxWeight = 1000

// maxAddrs bounds the addresses a side may name.
const maxAddrs = 100

// Register adds the powerdns provider type and the powerdns_weighted kind to r.
func Register(r *providers.Registry) {
	r.RegisterProvider(providers.ProviderType{
		Name: ProviderType,
		Doc:  "A PowerDNS Authoritative server reached through its HTTP API.",
		Attributes: []providers.Attribute{
			providers.Required("api_url", cty.String, "Base URL of the API (http or https), e.g. http://127.0.0.1:8081; /api/v1 is added."),
			providers.Secret(providers.Required("api_key", cty.String, "API key (the server's api-key), sent as X-API-Key.")),
			providers.Optional("server_id", cty.String, cty.StringVal("localhost"), "Server id in the API's paths."),
		},
		Validate: validateProvider,
	})
	r.Register(providers.Kind{
		Class:    providers.ClassTarget,
		Name:     Kind,
		Provider: ProviderType,
		Doc:      "A PowerDNS LUA record whose pickwrandom or pickwhashed weight table splits the answers between primary and secondary addresses; weights 0-1000 a side.",
		Attributes: []providers.Attribute{
			providers.Required("zone", cty.String, "Zone name, e.g. example.com."),
			providers.Required("name", cty.String, "Record name relative to the zone (\"@\" for the apex), or a fully qualified name in the zone."),
			providers.Optional("type", cty.String, cty.StringVal("A"), "A or AAAA: the type the LUA record answers with."),
			providers.Required("primary", providers.StringList, "Addresses of the primary (IPv4 for A, IPv6 for AAAA)."),
			providers.Required("secondary", providers.StringList, "Addresses of the secondary (IPv4 for A, IPv6 for AAAA)."),
			providers.Optional("function", cty.String, cty.StringVal("pickwrandom"), "pickwrandom (a weighted random answer per query) or pickwhashed (weighted by a hash of the client's address: one client keeps its answer)."),
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
}

func validateProvider(v cty.Value) []providers.Problem {
	p := providers.URLProblem(v, "api_url", "http", "https")
	p = append(p, providers.NotBlank(v, "api_key", "server_id")...)
	if s, ok := providers.StringAttr(v, "server_id"); ok && strings.ContainsAny(s, "/?#% \t\r\n") {
		p = append(p, providers.Problem{Attr: "server_id", Summary: "Invalid server_id",
			Detail: "server_id must not hold '/', '?', '#', '%' or white space."})
	}
	return providers.HideMarked(v, p)
}

// spec is a powerdns_weighted block, checked and normalized.
type spec struct {
	zone, name         string // fully qualified, lower case
	rtype              string
	function           string
	primary, secondary []string // canonical addresses
}

// parseSpec checks a block's attributes: the validation `validate` and
// NewTarget share. known is false when a value is not known yet.
func parseSpec(v cty.Value) (s spec, p []providers.Problem, known bool) {
	known = true
	bad := func(attr, detail string) {
		p = append(p, providers.Problem{Attr: attr, Summary: "Invalid " + attr, Detail: detail})
	}
	str := func(attr string) string {
		raw, _ := v.GetAttr(attr).UnmarkDeep()
		if !raw.IsKnown() {
			known = false
			return ""
		}
		if raw.IsNull() {
			return ""
		}
		return raw.AsString()
	}
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		return s, nil, false
	}
	p = append(p, providers.OneOf(v, "type", "A", "AAAA")...)
	p = append(p, providers.OneOf(v, "function", "pickwrandom", "pickwhashed")...)
	s.rtype, s.function = str("type"), str("function")
	if s.function == "" {
		s.function = "pickwrandom"
	}
	if zone := str("zone"); zone != "" {
		z := strings.ToLower(dns.Fqdn(strings.TrimSpace(zone)))
		if _, ok := dns.IsDomainName(z); !ok || z == "." || providers.BadNameChars(zone) {
			bad("zone", "zone must be a DNS name such as example.com.")
		} else {
			s.zone = z
		}
	} else if known {
		bad("zone", "zone must not be empty.")
	}
	if name := str("name"); name != "" && s.zone != "" {
		n := strings.ToLower(strings.TrimSpace(name))
		switch {
		case n == "@":
			n = s.zone
		case strings.HasSuffix(n, "."):
		default:
			n = n + "." + s.zone
		}
		if _, ok := dns.IsDomainName(n); !ok || providers.BadNameChars(name) || strings.HasPrefix(n, ".") {
			bad("name", "name must be a DNS name: relative to the zone, \"@\" or fully qualified.")
		} else if !dns.IsSubDomain(s.zone, n) {
			bad("name", "name must be in the zone.")
		} else {
			s.name = n
		}
	} else if known && s.zone != "" {
		bad("name", "name must not be empty.")
	}
	seen := map[string]string{}
	for _, side := range []string{"primary", "secondary"} {
		raw, _ := v.GetAttr(side).UnmarkDeep()
		if !raw.IsWhollyKnown() {
			known = false
			continue
		}
		list, ok := providers.StringsAttr(objOf(side, raw), side)
		if !ok || len(list) == 0 {
			bad(side, side+" must name at least one address.")
			continue
		}
		if len(list) > maxAddrs {
			bad(side, fmt.Sprintf("%s names %d addresses; at most %d are supported.", side, len(list), maxAddrs))
			continue
		}
		var norm []string
		for _, a := range list {
			rtype := s.rtype
			if rtype != "A" && rtype != "AAAA" {
				rtype = ""
			}
			n, err := normAddr(rtype, a)
			if err != nil {
				bad(side, fmt.Sprintf("%s holds %q, %s.", side, a, err))
				break
			}
			if other, dup := seen[n]; dup {
				bad(side, fmt.Sprintf("address %s is named twice (in %s and in %s).", n, other, side))
				break
			}
			seen[n] = side
			norm = append(norm, n)
		}
		if side == "primary" {
			s.primary = norm
		} else {
			s.secondary = norm
		}
	}
	return s, p, known
}

func objOf(attr string, v cty.Value) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{attr: v})
}
