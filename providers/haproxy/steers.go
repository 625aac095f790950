package haproxy

import (
	"net"
	"path/filepath"
	"strings"

	"github.com/fbctl/fbctl/providers"
)

// steers lists the servers a haproxy_backend target sets weights on: each
// server of primary and secondary, identified by the runtime API address
// (a socket path cleaned, "unix:" dropped; host:port with the host
// lower-cased), the backend and the server's name. Two addresses of one
// HAProxy (a socket and a TCP port) cannot be told apart statically, and
// are taken as different.
func steers(cfg providers.Config) []providers.SteeredObject {
	addr, ok := providers.SteerString(cfg.Attrs, "runtime_api")
	if !ok {
		return nil
	}
	backend, ok := providers.SteerString(cfg.Attrs, "backend")
	if !ok {
		return nil
	}
	where := canonicalAddress(addr.Raw)
	servers, attrs := providers.SteerSides(cfg.Attrs)
	out := make([]providers.SteeredObject, 0, len(servers))
	for i, s := range servers {
		out = append(out, providers.SteeredObject{
			Key:  providers.SteerKey("haproxy", "server", where, backend.Raw, s.Raw),
			What: "HAProxy server " + backend.Shown + "/" + s.Shown + " at " + addr.Shown,
			Attr: attrs[i],
		})
	}
	return out
}

// canonicalAddress is one spelling of a runtime API address.
func canonicalAddress(addr string) string {
	network, address, err := splitAddress(addr)
	if err != nil {
		return addr
	}
	if network == "unix" {
		return "unix:" + filepath.Clean(address)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return "tcp:" + address
	}
	return "tcp:" + net.JoinHostPort(strings.ToLower(host), port)
}
