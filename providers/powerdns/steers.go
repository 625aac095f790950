package powerdns

import (
	"strings"

	"github.com/fbctl/fbctl/providers"
)

// steers lists the record a powerdns_weighted target writes: the LUA
// record of its type at its name, identified by the API URL, server id,
// zone and name.
func steers(cfg providers.Config) []providers.SteeredObject {
	if cfg.Provider == nil {
		return nil
	}
	api, ok := providers.SteerString(cfg.Provider.Attrs, "api_url")
	if !ok {
		return nil
	}
	server, ok := providers.SteerString(cfg.Provider.Attrs, "server_id")
	if !ok {
		return nil
	}
	s, _, known := parseSpec(cfg.Attrs)
	if !known || s.zone == "" || s.name == "" || s.rtype == "" {
		return nil
	}
	zone, _ := providers.SteerString(cfg.Attrs, "zone")
	name, _ := providers.SteerString(cfg.Attrs, "name")
	return []providers.SteeredObject{{
		Key:  providers.SteerKey("powerdns", strings.TrimRight(strings.ToLower(api.Raw), "/"), server.Raw, s.zone, s.name, s.rtype),
		What: "PowerDNS LUA " + s.rtype + " record " + name.Shown + " in zone " + zone.Shown + " at " + api.Shown,
		Attr: "name",
	}}
}
