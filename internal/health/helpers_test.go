package health

import (
	"context"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/fbctl/fbctl/providers"
)

// kindOf looks a check kind up in a real registry filled by Register.
func kindOf(t *testing.T, kind string) *providers.Kind {
	t.Helper()
	r := providers.NewRegistry()
	Register(r)
	k, err := r.Kind(providers.ClassCheck, kind)
	if err != nil {
		t.Fatalf("kind %q: %v", kind, err)
	}
	return k
}

// checkConfig builds the Config the policy language would: Attrs holds
// every attribute of the kind, the given values converted to the
// attribute's type (marks kept), defaults applied, null otherwise.
func checkConfig(t *testing.T, kind string, set map[string]cty.Value, timeout time.Duration) providers.Config {
	t.Helper()
	k := kindOf(t, kind)
	for name := range set {
		if k.Attribute(name) == nil {
			t.Fatalf("kind %q has no attribute %q", kind, name)
		}
	}
	vals := map[string]cty.Value{}
	for _, a := range k.Attributes {
		v, ok := set[a.Name]
		switch {
		case ok:
			cv, err := convert.Convert(v, a.Type)
			if err != nil {
				t.Fatalf("attribute %q: %v", a.Name, err)
			}
			v = cv
		case a.Default != cty.NilVal:
			v = a.Default
		default:
			v = cty.NullVal(a.Type)
		}
		vals[a.Name] = v
	}
	obj := cty.ObjectVal(vals)
	if k.Validate != nil {
		for _, p := range k.Validate(obj) {
			t.Logf("note: the kind's Validate reports %s: %s", p.Summary, p.Detail)
		}
	}
	return providers.Config{Name: "test-" + kind, Attrs: obj, Timeout: timeout}
}

// newCheck builds a check through the registry's constructor.
func newCheck(t *testing.T, kind string, set map[string]cty.Value, timeout time.Duration) providers.Check {
	t.Helper()
	k := kindOf(t, kind)
	if k.NewCheck == nil {
		t.Fatalf("kind %q has no NewCheck", kind)
	}
	c, err := k.NewCheck(checkConfig(t, kind, set, timeout))
	if err != nil {
		t.Fatalf("NewCheck(%s): %v", kind, err)
	}
	return c
}

// newCheckErr builds a check expecting the constructor to fail.
func newCheckErr(t *testing.T, kind string, set map[string]cty.Value, timeout time.Duration) error {
	t.Helper()
	c, err := kindOf(t, kind).NewCheck(checkConfig(t, kind, set, timeout))
	if err == nil {
		t.Fatalf("NewCheck(%s) = %T, want an error", kind, c)
	}
	return err
}

func probe(t *testing.T, c providers.Check) providers.Result {
	t.Helper()
	r := c.Probe(context.Background())
	t.Logf("probe: healthy=%v detail=%q latency=%s", r.Healthy, r.Detail, r.Latency)
	return r
}

func str(s string) cty.Value { return cty.StringVal(s) }

func sensitive(v cty.Value) cty.Value { return v.Mark("sensitive") }

func strs(ss ...string) cty.Value {
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}

func nums(ns ...int) cty.Value {
	vals := make([]cty.Value, len(ns))
	for i, n := range ns {
		vals[i] = cty.NumberIntVal(int64(n))
	}
	return cty.ListVal(vals)
}

const long = 10 * time.Second

func providersConfig(attrs cty.Value) providers.Config {
	return providers.Config{Name: "raw", Attrs: attrs, Timeout: time.Second}
}
