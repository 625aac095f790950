package providertest

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// Body builds a block body of kind k as the policy language hands it to
// the kind: every attribute of the schema, defaults filled in, null where
// there is none, and the given values as they are (string, int, []string
// or cty.Value). It fails the test for an attribute the kind does not
// have. It does not run the kind's Validate: see ValidBody.
func Body(t testing.TB, k *providers.Kind, given map[string]any) cty.Value {
	t.Helper()
	for name := range given {
		if k.Attribute(name) == nil {
			t.Fatalf("body: %s has no attribute %q", k.Name, name)
		}
	}
	return cty.ObjectVal(attrValues(t, k.Attributes, given))
}

// attrValues gives every attribute of a schema its value: the one given,
// else its default, else null.
func attrValues(t testing.TB, attrs []providers.Attribute, given map[string]any) map[string]cty.Value {
	t.Helper()
	obj := map[string]cty.Value{}
	for _, a := range attrs {
		v, ok := given[a.Name]
		switch {
		case !ok && a.Default != cty.NilVal:
			obj[a.Name] = a.Default
		case !ok:
			obj[a.Name] = cty.NullVal(a.Type)
		default:
			obj[a.Name] = value(t, v)
		}
	}
	return obj
}

// ValidBody is Body, and fails the test when the kind's Validate rejects
// the body, so that tests build only bodies a policy could produce.
func ValidBody(t testing.TB, k *providers.Kind, given map[string]any) cty.Value {
	t.Helper()
	body := Body(t, k, given)
	if k.Validate != nil {
		if p := k.Validate(body); len(p) > 0 {
			t.Fatalf("body: %s rejects the body: %+v", k.Name, p)
		}
	}
	return body
}

func value(t testing.TB, v any) cty.Value {
	t.Helper()
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
	t.Fatalf("body: unsupported value %#v", v)
	return cty.NilVal
}

// ProviderBody is Body for a provider block of type p; attributes the
// schema declares Sensitive are marked, as the policy language marks them.
func ProviderBody(t testing.TB, p *providers.ProviderType, given map[string]any) cty.Value {
	t.Helper()
	obj := attrValues(t, p.Attributes, given)
	for _, a := range p.Attributes {
		if a.Sensitive {
			obj[a.Name] = obj[a.Name].Mark(sensitiveMark)
		}
	}
	for name := range given {
		if p.Attribute(name) == nil {
			t.Fatalf("body: provider %s has no attribute %q", p.Name, name)
		}
	}
	return cty.ObjectVal(obj)
}
