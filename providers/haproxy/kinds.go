// Package haproxy provides fbctl's haproxy_backend target: the servers of one
// HAProxy backend split into primary and secondary, steered through the
// runtime API by server weights (0-256).
//
// This file declares the schema and attaches the behaviour, [NewTarget]
// (target.go), to the same registration. [Target] documents how a share
// maps to weights and back.
package haproxy

import (
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// Register adds the haproxy_backend kind to r. It needs no provider block:
// the runtime API address is part of the target.
func Register(r *providers.Registry) {
	r.Register(providers.Kind{
		Class: providers.ClassTarget,
		Name:  "haproxy_backend",
		Doc:   "Servers of one HAProxy backend, split into primary and secondary; the share maps to server weights through the runtime API.",
		Attributes: []providers.Attribute{
			providers.Required("runtime_api", cty.String, "Runtime API address: a unix socket path (/run/haproxy/admin.sock or unix:/path) or host:port."),
			providers.Required("backend", cty.String, "Backend name."),
			providers.Required("primary", providers.StringList, "Server names of the primary."),
			providers.Required("secondary", providers.StringList, "Server names of the secondary."),
			providers.Optional("max_weight", cty.Number, cty.NumberIntVal(256), "Weight a side's servers get at a 100 % share (1-256); the resolution follows from it."),
		},
		Validate: func(v cty.Value) []providers.Problem {
			p := providers.NumberInRange(v, "max_weight", 1, 256, true)
			if s, ok := providers.StringAttr(v, "runtime_api"); ok && !validAddress(s) {
				p = append(p, providers.Problem{Attr: "runtime_api", Summary: "Invalid runtime_api",
					Detail: "runtime_api must be a unix socket path (absolute, or unix:PATH) or host:port."})
			}
			return p
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

func validAddress(s string) bool {
	switch {
	case strings.HasPrefix(s, "unix:"):
		return len(s) > len("unix:")
	case strings.HasPrefix(s, "/"):
		return true
	default:
		i := strings.LastIndex(s, ":")
		return i > 0 && i < len(s)-1
	}
}
