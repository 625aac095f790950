package haproxy_test

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/haproxy"
	"github.com/fbctl/fbctl/providers/providertest"
)

// kind returns the haproxy_backend kind from a real registry.
func kind(t testing.TB) *providers.Kind {
	t.Helper()
	r := providers.NewRegistry()
	haproxy.Register(r)
	k, err := r.Kind(providers.ClassTarget, "haproxy_backend")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// attrs builds a block body as the policy language hands it to the kind,
// and fails the test if the kind's own validation rejects it, so tests
// build only bodies a policy could have produced.
func attrs(t testing.TB, given map[string]any) cty.Value {
	t.Helper()
	return providertest.ValidBody(t, kind(t), given)
}

// newTarget builds a target through the registry, as the engine does.
func newTarget(t testing.TB, given map[string]any) providers.Target {
	t.Helper()
	tg, err := kind(t).NewTarget(providers.Config{Name: "lb", Attrs: attrs(t, given)})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}
