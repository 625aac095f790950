// Package haproxy provides fbctl's haproxy_backend target: the servers of one
// HAProxy backend split into primary and secondary, steered through the
// runtime API by server weights (0-256).
//
// This file declares the schema and attaches the behaviour, [NewTarget]
// (target.go), to the same registration. [Target] documents how a share
// maps to weights and back.
package haproxy

import (
	"fmt"

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
		Validate: validate,
		Steers:   steers,
		NewTarget: func(cfg providers.Config) (providers.Target, error) {
			t, err := NewTarget(cfg)
			if err != nil {
				return nil, err // not a typed nil in the interface
			}
			return t, nil
		},
	})
}

// validate is the haproxy_backend kind's validation: everything NewTarget
// checks, which needs no I/O.
func validate(v cty.Value) []providers.Problem {
	p := providers.NumberInRange(v, "max_weight", 1, MaxWeight, true)
	if s, ok := providers.StringAttr(v, "runtime_api"); ok {
		if _, _, err := splitAddress(s); err != nil {
			p = append(p, providers.Problem{Attr: "runtime_api", Summary: "Invalid runtime_api",
				Detail: "runtime_api must be a unix socket path (absolute, or unix:PATH) or host:port with a port between 1 and 65535."})
		}
	}
	if s, ok := providers.StringAttr(v, "backend"); ok && !validName(s) {
		p = append(p, providers.Problem{Attr: "backend", Summary: "Invalid backend",
			Detail: "backend must be a valid HAProxy name (letters, digits, '-', '_', '.', ':')."})
	}
	for _, side := range []string{"primary", "secondary"} {
		servers, ok := providers.StringsAttr(v, side)
		if !ok {
			continue
		}
		if len(servers) > maxServers {
			p = append(p, providers.Problem{Attr: side, Summary: "Invalid " + side,
				Detail: fmt.Sprintf("%s names %d servers; at most %d are supported.", side, len(servers), maxServers)})
		}
		for _, s := range servers {
			if s != "" && !validName(s) {
				p = append(p, providers.Problem{Attr: side, Summary: "Invalid " + side,
					Detail: side + " names a server that is not a valid HAProxy name (letters, digits, '-', '_', '.', ':')."})
				break
			}
		}
	}
	return p
}
