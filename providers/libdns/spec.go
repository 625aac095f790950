package libdns

import (
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// maxAddresses bounds the addresses a side may list. It keeps an RRset in
// a sensible size, and it keeps any two distinct composition shares (of at
// most 100 addresses) at least a basis point apart, so that the share read
// back from a composition maps to that same composition again: Apply of an
// observed share changes nothing.
const maxAddresses = 50

// spec is a dns_rrset block, checked and normalised.
type spec struct {
	zone      string // fully qualified, lower case
	name      string // relative to zone, lower case; "@" for the apex
	rtype     string // A, AAAA or CNAME
	primary   []string
	secondary []string
	ttl       uint32 // 0: keep the RRset's TTL
	threshold providers.Share
}

// fqdn is the record's fully qualified name.
func (s *spec) fqdn() string {
	if s.name == "@" {
		return s.zone
	}
	return s.name + "." + s.zone
}

// parseSpec checks a dns_rrset body (every attribute present, defaults
// applied, values possibly marked or unknown). It returns the problems of
// the known values, and known=false when a value it needs is unknown, in
// which case the spec is incomplete. It never panics.
//
// The policy language itself reports empty sides and a member written
// twice (on one side or both); forPolicy leaves those to it, so that a
// mistake is reported once. Members that are the same only once
// normalised ("2001:db8::1" and "2001:DB8:0::1") are reported here.
func parseSpec(v cty.Value, forPolicy bool) (s spec, problems []providers.Problem, known bool) {
	known = true
	get := func(attr string) (cty.Value, bool) {
		if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute(attr) {
			known = false
			return cty.NilVal, false
		}
		raw, _ := v.GetAttr(attr).UnmarkDeep()
		if !raw.IsWhollyKnown() {
			known = false
			return cty.NilVal, false
		}
		return raw, true
	}
	str := func(attr string) (string, bool) {
		raw, ok := get(attr)
		if !ok || raw.IsNull() || raw.Type() != cty.String {
			if ok {
				known = false
			}
			return "", false
		}
		return raw.AsString(), true
	}
	problem := func(attr, format string, args ...any) {
		problems = append(problems, providers.Problem{Attr: attr, Summary: "Invalid " + attr, Detail: fmt.Sprintf(format, args...)})
	}

	if z, ok := str("zone"); ok {
		if _, valid := dns.IsDomainName(z); !valid || strings.Trim(z, ".") == "" || providers.BadNameChars(z) {
			problem("zone", "zone must be a domain name such as example.com.")
		} else {
			s.zone = strings.ToLower(dns.Fqdn(z))
		}
	}
	if n, ok := str("name"); ok {
		n = strings.ToLower(n)
		switch _, valid := dns.IsDomainName(n); {
		case n == "@":
			s.name = n
		case !valid || n == "" || strings.HasSuffix(n, ".") || providers.BadNameChars(n):
			problem("name", "name must be a record name relative to the zone, such as www, or \"@\" for the zone's apex (no trailing dot).")
		case s.zone != "" && (n+"." == s.zone || strings.HasSuffix(n+".", "."+s.zone)):
			problem("name", "name must be relative to the zone: it ends with the zone's name, so it would name %s%s. Write only the part before the zone.", n, "."+s.zone)
		default:
			s.name = n
		}
	}
	// `type = null` is the default, as an absent type is.
	if raw, ok := get("type"); ok && raw.IsNull() {
		s.rtype = "A"
	} else if t, ok := str("type"); ok {
		switch t {
		case "A", "AAAA", "CNAME":
			s.rtype = t
		default:
			problem("type", "type must be one of \"A\", \"AAAA\", \"CNAME\".")
		}
	}
	if raw, ok := get("ttl"); ok && !raw.IsNull() && raw.Type() == cty.Number {
		f := raw.AsBigFloat()
		if n, acc := f.Int64(); f.IsInt() && acc == 0 && n >= 1 && n <= math.MaxInt32 {
			s.ttl = uint32(n)
		} else {
			problem("ttl", "ttl must be a whole number of seconds between 1 and 2147483647.")
		}
	}
	s.threshold = providers.Share(5000)
	if raw, ok := get("cname_threshold"); ok && !raw.IsNull() && raw.Type() == cty.Number {
		f, _ := raw.AsBigFloat().Float64()
		// Compare in basis points, as the share is: 0.004 % would round to
		// a threshold of 0 and point the name at the primary at 0 %.
		switch bp := math.Round(f * 100); {
		case math.IsNaN(f) || bp < 1 || f > 100:
			problem("cname_threshold", "cname_threshold must be at least 0.01 and at most 100 (percent): at 0 the name would point at the primary even at a 0 %% share.")
		default:
			s.threshold = providers.Share(bp)
		}
	}

	seen := map[string]string{} // normalised value -> side
	rawSeen := map[string]bool{}
	side := func(attr string) (norm []string) {
		raw, ok := get(attr)
		if !ok || raw.IsNull() || !raw.CanIterateElements() {
			if ok {
				known = false
			}
			return nil
		}
		var raws []string
		for it := raw.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() || e.Type() != cty.String {
				problem(attr, "%s must be a list of strings.", attr)
				return nil
			}
			raws = append(raws, e.AsString())
		}
		switch {
		case len(raws) == 0:
			if !forPolicy {
				problem(attr, "%s must list at least one value.", attr)
			}
			return nil
		case s.rtype == "CNAME" && len(raws) != 1:
			problem(attr, "A CNAME has exactly one target: %s must list one name (it lists %d).", attr, len(raws))
			return nil
		case len(raws) > maxAddresses:
			problem(attr, "%s lists %d addresses; at most %d are supported.", attr, len(raws), maxAddresses)
			return nil
		}
		for _, r := range raws {
			n, err := normValue(s.rtype, r)
			if err != nil {
				problem(attr, "%s: %v", attr, err)
				return nil
			}
			if other, dup := seen[n]; dup {
				if forPolicy && rawSeen[r] {
					return nil // the policy reports it
				}
				if other == attr {
					problem(attr, "%s lists %q twice.", attr, r)
				} else {
					problem(attr, "%q is listed in both primary and secondary: an address belongs to one side.", r)
				}
				return nil
			}
			seen[n] = attr
			rawSeen[r] = true
			norm = append(norm, n)
		}
		return norm
	}
	if s.rtype != "" {
		s.primary = side("primary")
		s.secondary = side("secondary")
	}
	if s.rtype == "CNAME" && s.name == "@" {
		problem("name", "A CNAME cannot be at the zone's apex (\"@\"), which holds the SOA and NS records.")
	}
	complete := s.zone != "" && s.name != "" && s.rtype != "" && len(s.primary) > 0 && len(s.secondary) > 0
	return s, problems, known && complete && len(problems) == 0
}

// normValue normalises one address (A, AAAA) or CNAME target so that
// values compare equal exactly when they mean the same: addresses in
// netip's canonical form, names lower case and fully qualified.
func normValue(rtype, v string) (string, error) {
	switch rtype {
	case "A", "AAAA":
		ip, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil || ip.Zone() != "" {
			return "", fmt.Errorf("%q is not an IP address", v)
		}
		if rtype == "A" && !ip.Unmap().Is4() {
			return "", fmt.Errorf("%q is not an IPv4 address (an A record holds one)", v)
		}
		if rtype == "AAAA" && (ip.Is4() || ip.Is4In6()) {
			return "", fmt.Errorf("%q is not an IPv6 address (an AAAA record holds one)", v)
		}
		if rtype == "A" {
			ip = ip.Unmap()
		}
		return ip.String(), nil
	case "CNAME":
		n := strings.TrimSpace(v)
		if _, ok := dns.IsDomainName(n); !ok || strings.Trim(n, ".") == "" {
			return "", fmt.Errorf("%q is not a domain name", v)
		}
		return strings.ToLower(dns.Fqdn(n)), nil
	}
	return "", fmt.Errorf("unsupported type %q", rtype)
}

// deliverable is the share Apply delivers for want, from the spec alone.
func (s *spec) deliverable(want providers.Share) providers.Share {
	if want < providers.ShareNone {
		want = providers.ShareNone
	}
	if want > providers.ShareFull {
		want = providers.ShareFull
	}
	if s.rtype == "CNAME" {
		if want >= s.threshold {
			return providers.ShareFull
		}
		return providers.ShareNone
	}
	return Compose(want, len(s.primary), len(s.secondary)).Share()
}

// resolution is the target's Resolution.
func (s *spec) resolution() providers.Share {
	if s.rtype == "CNAME" {
		return providers.ShareFull
	}
	return Resolution(len(s.primary), len(s.secondary))
}
