// Package kinds assembles the registry of every kind fbctl is built with.
// It is the one place that decides which provider packages a binary knows.
package kinds

import (
	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/aws"
	"github.com/fbctl/fbctl/providers/azure"
	"github.com/fbctl/fbctl/providers/gcp"
	"github.com/fbctl/fbctl/providers/haproxy"
	"github.com/fbctl/fbctl/providers/libdns"
	"github.com/fbctl/fbctl/providers/powerdns"
)

// Registry returns a new registry holding every built-in provider type,
// target kind and check kind.
func Registry() *providers.Registry {
	r := providers.NewRegistry()
	health.Register(r)
	health.RegisterSQL(r)
	aws.Register(r)
	azure.Register(r)
	gcp.Register(r)
	libdns.Register(r)
	haproxy.Register(r)
	powerdns.Register(r)
	return r
}
