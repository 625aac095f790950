package libdns

import (
	"strings"

	"github.com/miekg/dns"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// steers lists the RRset a dns_rrset target replaces: one name and type in
// one zone, at the place the provider block's driver reaches (the driver
// and its Where settings, such as an rfc2136 server; host names are not
// resolved, so two spellings of one server are taken as different). The
// whole RRset is written, so it is one object whatever the addresses.
func steers(cfg providers.Config) []providers.SteeredObject {
	where, driverName, ok := providerPlace(cfg.Provider)
	if !ok {
		return nil
	}
	zone, ok := providers.SteerString(cfg.Attrs, "zone")
	if !ok {
		return nil
	}
	name, ok := providers.SteerString(cfg.Attrs, "name")
	if !ok {
		return nil
	}
	rtype, ok := providers.SteerString(cfg.Attrs, "type")
	if !ok {
		return nil
	}
	z := strings.ToLower(dns.Fqdn(strings.TrimSpace(zone.Raw)))
	n := strings.ToLower(strings.TrimSpace(name.Raw))
	fqdn := z
	if n != "@" {
		fqdn = strings.TrimSuffix(n, ".") + "." + z
	}
	shown := fqdn
	if zone.Shown == providers.Redacted || name.Shown == providers.Redacted {
		shown = providers.Redacted
	}
	typ := strings.ToUpper(strings.TrimSpace(rtype.Raw))
	shownType := typ
	if rtype.Shown == providers.Redacted {
		shownType = providers.Redacted
	}
	return []providers.SteeredObject{{
		Key:  providers.SteerKey("libdns", "rrset", where, z, fqdn, typ),
		What: "DNS RRset " + shown + " " + shownType + " (libdns " + driverName + ")",
		Attr: "name",
	}}
}

// providerPlace is the identity of where a libdns provider block's zones
// live: its driver and the values of the driver's Where settings. ok is
// false when any of them is not known yet.
func providerPlace(p *providers.ProviderConfig) (where, driverName string, ok bool) {
	if p == nil {
		return "", "", false
	}
	drv, ok := providers.SteerString(p.Attrs, "driver")
	if !ok {
		return "", "", false
	}
	d, ok := driver(drv.Raw)
	if !ok {
		return "", "", false
	}
	parts := []string{d.Name}
	if len(d.Where) > 0 {
		if !p.Attrs.Type().HasAttribute("config") {
			return "", "", false
		}
		cfg, _ := p.Attrs.GetAttr("config").UnmarkDeep()
		if cfg.IsNull() || !cfg.IsKnown() || !cfg.Type().IsMapType() {
			return "", "", false
		}
		for _, k := range d.Where {
			if !cfg.HasIndex(cty.StringVal(k)).True() {
				return "", "", false
			}
			v := cfg.Index(cty.StringVal(k))
			if v.IsNull() || !v.IsKnown() {
				return "", "", false
			}
			parts = append(parts, strings.ToLower(strings.TrimSpace(v.AsString())))
		}
	}
	shownDriver := d.Name
	if drv.Shown == providers.Redacted {
		shownDriver = providers.Redacted
	}
	return providers.SteerKey(parts...), shownDriver, true
}
