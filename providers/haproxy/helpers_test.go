package haproxy_test

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/haproxy"
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

// attrs builds a block body as the policy language hands it to the kind:
// every attribute of the schema, defaults filled in, given values as they
// are (strings, []string lists, ints, or cty values). It fails the test if
// the kind's own validation rejects the body, so tests build only bodies a
// policy could have produced.
func attrs(t testing.TB, given map[string]any) cty.Value {
	t.Helper()
	k := kind(t)
	obj := map[string]cty.Value{}
	for _, a := range k.Attributes {
		v, ok := given[a.Name]
		switch {
		case !ok && a.Default != cty.NilVal:
			obj[a.Name] = a.Default
		case !ok:
			obj[a.Name] = cty.NullVal(a.Type)
		default:
			obj[a.Name] = ctyValue(t, v)
		}
	}
	for name := range given {
		if k.Attribute(name) == nil {
			t.Fatalf("attrs: haproxy_backend has no attribute %q", name)
		}
	}
	body := cty.ObjectVal(obj)
	if k.Validate != nil {
		if p := k.Validate(body); len(p) > 0 {
			t.Fatalf("attrs: the kind rejects the body: %+v", p)
		}
	}
	return body
}

func ctyValue(t testing.TB, v any) cty.Value {
	switch v := v.(type) {
	case cty.Value:
		return v
	case string:
		return cty.StringVal(v)
	case int:
		return cty.NumberIntVal(int64(v))
	case []string:
		return providers.Strings(v...)
	}
	t.Fatalf("attrs: unsupported value %#v", v)
	return cty.NilVal
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
