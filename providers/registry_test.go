package providers_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

func TestShareFromPercent(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want providers.Share
		err  string
	}{
		{0, 0, ""},
		{5, 500, ""},
		{12.34, 1234, ""},
		{0.01, 1, ""},
		{100, 10000, ""},
		{12.345, 0, "more than two decimals"},
		{-1, 0, "outside 0-100"},
		{100.01, 0, "outside 0-100"},
	} {
		got, err := providers.ShareFromPercent(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ShareFromPercent(%v) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ShareFromPercent(%v) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if s := providers.Share(1250).String(); s != "12.5%" {
		t.Errorf("String() = %q", s)
	}
}

func TestRegistryUnknownKindListsKnown(t *testing.T) {
	r := providers.NewRegistry()
	r.Register(providers.Kind{Class: providers.ClassTarget, Name: "b"})
	r.Register(providers.Kind{Class: providers.ClassTarget, Name: "a"})
	_, err := r.Kind(providers.ClassTarget, "c")
	var ue *providers.UnknownError
	if !errors.As(err, &ue) || strings.Join(ue.Known, ",") != "a,b" {
		t.Fatalf("err = %v", err)
	}
	if _, err := r.Kind(providers.ClassCheck, "a"); err == nil {
		t.Fatal("a target kind was found as a check kind")
	}
}

func TestRegistryRejectsBadRegistrations(t *testing.T) {
	for name, reg := range map[string]func(r *providers.Registry){
		"duplicate": func(r *providers.Registry) {
			r.Register(providers.Kind{Class: providers.ClassCheck, Name: "x"})
			r.Register(providers.Kind{Class: providers.ClassCheck, Name: "x"})
		},
		"bad class": func(r *providers.Registry) { r.Register(providers.Kind{Class: "thing", Name: "x"}) },
		"required with default": func(r *providers.Registry) {
			a := providers.Required("a", cty.String, "")
			a.Default = cty.StringVal("x")
			r.Register(providers.Kind{Class: providers.ClassCheck, Name: "x", Attributes: []providers.Attribute{a}})
		},
		"exactly one of unknown": func(r *providers.Registry) {
			r.Register(providers.Kind{Class: providers.ClassCheck, Name: "x", ExactlyOneOf: [][]string{{"nope"}}})
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			reg(providers.NewRegistry())
		})
	}
}

func TestValidatorsIgnoreUnknownAndNull(t *testing.T) {
	obj := cty.ObjectVal(map[string]cty.Value{
		"n": cty.UnknownVal(cty.Number),
		"s": cty.NullVal(cty.String),
		"l": cty.ListVal([]cty.Value{cty.UnknownVal(cty.Number)}),
	})
	if p := providers.NumberInRange(obj, "n", 0, 1, true); p != nil {
		t.Errorf("unknown number: %v", p)
	}
	if p := providers.OneOf(obj, "s", "a"); p != nil {
		t.Errorf("null string: %v", p)
	}
	if p := providers.NumbersInRange(obj, "l", 0, 1, true); p != nil {
		t.Errorf("unknown element: %v", p)
	}
	if p := providers.NumberInRange(obj, "missing", 0, 1, true); p != nil {
		t.Errorf("missing attribute: %v", p)
	}
	if p := providers.NumberInRange(cty.NumberIntVal(3), "n", 0, 1, true); p != nil {
		t.Errorf("not an object: %v", p)
	}
}
