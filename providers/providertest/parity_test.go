package providertest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

// fakeKind registers a check kind with one string attribute, whose
// Validate refuses "" and whose constructor runs extra, and returns it as
// the registry holds it (wrapped).
func fakeKind(t *testing.T, validate func(cty.Value) []providers.Problem, extra func(string) error) *providers.Kind {
	t.Helper()
	r := providers.NewRegistry()
	r.Register(providers.Kind{
		Class: providers.ClassCheck, Name: "fake", Doc: "fake",
		Attributes: []providers.Attribute{providers.Required("address", cty.String, "where")},
		Validate:   validate,
		NewCheck: func(cfg providers.Config) (providers.Check, error) {
			v, _ := cfg.Attrs.GetAttr("address").Unmark()
			if err := extra(v.AsString()); err != nil {
				return nil, err
			}
			return nil, nil
		},
	})
	k, err := r.Kind(providers.ClassCheck, "fake")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func notEmpty(v cty.Value) []providers.Problem {
	if s, ok := providers.StringAttr(v, "address"); ok && s == "" {
		return []providers.Problem{{Attr: "address", Summary: "Invalid address"}}
	}
	return nil
}

func base(*providers.Kind) providers.Config {
	return providers.Config{Name: "f", Timeout: time.Second, Attrs: cty.ObjectVal(map[string]cty.Value{"address": cty.StringVal("h:1")})}
}

// TestParityCatchesAConstructorOnlyCheck proves the parity test has teeth:
// a constructor that refuses a port Validate never looks at is caught, on
// the hostile values that carry such a port.
func TestParityCatchesAConstructorOnlyCheck(t *testing.T) {
	k := fakeKind(t, notEmpty, func(s string) error {
		if strings.HasSuffix(s, ":99999") {
			return errors.New("port out of range")
		}
		return nil
	})
	ms, n := providertest.ParityMismatches(k, nil, base(k), nil)
	if n == 0 || len(ms) == 0 {
		t.Fatalf("ParityMismatches found %d mismatches in %d cases; want the constructor-only port check caught", len(ms), n)
	}
	for _, m := range ms {
		if m.Case != `address="host:99999"` || m.BuildOK {
			t.Errorf("unexpected mismatch %s", m)
		}
	}
	// An exception for exactly that case silences it, and nothing else.
	if ms, _ := providertest.ParityMismatches(k, nil, base(k), map[string]string{`address="host:99999"`: "test"}); len(ms) != 0 {
		t.Errorf("mismatches despite the exception: %v", ms)
	}
}

// TestParityAgreesWhenValidateHasTheCheck: the same check in Validate is
// parity; the registry's wrapper makes the constructor refuse first.
func TestParityAgreesWhenValidateHasTheCheck(t *testing.T) {
	validate := func(v cty.Value) []providers.Problem {
		p := notEmpty(v)
		if s, ok := providers.StringAttr(v, "address"); ok && strings.HasSuffix(s, ":99999") {
			p = append(p, providers.Problem{Attr: "address", Summary: "Invalid address"})
		}
		return p
	}
	k := fakeKind(t, validate, func(s string) error {
		if s == "" {
			return errors.New("empty")
		}
		return nil
	})
	if ms, n := providertest.ParityMismatches(k, nil, base(k), nil); len(ms) != 0 {
		t.Errorf("%d mismatches in %d cases: %v", len(ms), n, ms)
	}
}

// TestParityReportsAPanic: a Validate that panics on a hostile value is a
// mismatch, not a crash of the test.
func TestParityReportsAPanic(t *testing.T) {
	k := fakeKind(t, func(v cty.Value) []providers.Problem {
		if s, _ := providers.StringAttr(v, "address"); strings.ContainsRune(s, 0) {
			panic("NUL")
		}
		return nil
	}, func(string) error { return nil })
	ms, _ := providertest.ParityMismatches(k, nil, base(k), nil)
	if len(ms) == 0 || ms[0].Panic == "" {
		t.Fatalf("mismatches = %v, want a panic reported", ms)
	}
}
