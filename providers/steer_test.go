package providers_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// TestSteerParts: known values are read, marked ones shown as Redacted,
// and unknown or null ones left out, for Steers functions at validate time.
func TestSteerParts(t *testing.T) {
	obj := cty.ObjectVal(map[string]cty.Value{
		"plain":     cty.StringVal("a"),
		"secret":    cty.StringVal("s").Mark("sensitive"),
		"unknown":   cty.UnknownVal(cty.String),
		"null":      cty.NullVal(cty.String),
		"rule":      cty.NumberIntVal(10),
		"primary":   cty.ListVal([]cty.Value{cty.StringVal("p1"), cty.UnknownVal(cty.String), cty.StringVal("p2").Mark("sensitive")}),
		"secondary": cty.ListVal([]cty.Value{cty.StringVal("s1")}).Mark("sensitive"),
	})
	for _, tt := range []struct {
		attr string
		want providers.SteerPart
		ok   bool
	}{
		{"plain", providers.SteerPart{Raw: "a", Shown: "a"}, true},
		{"secret", providers.SteerPart{Raw: "s", Shown: providers.Redacted}, true},
		{"unknown", providers.SteerPart{}, false},
		{"null", providers.SteerPart{}, false},
		{"absent", providers.SteerPart{}, false},
	} {
		got, ok := providers.SteerString(obj, tt.attr)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SteerString(%s) = %+v, %v; want %+v, %v", tt.attr, got, ok, tt.want, tt.ok)
		}
	}
	if got, ok := providers.SteerNumber(obj, "rule"); !ok || got.Raw != "10" || got.Shown != "10" {
		t.Errorf("SteerNumber(rule) = %+v, %v", got, ok)
	}
	parts, attrs := providers.SteerSides(obj)
	want := []providers.SteerPart{{Raw: "p1", Shown: "p1"}, {Raw: "p2", Shown: providers.Redacted}, {Raw: "s1", Shown: providers.Redacted}}
	if diff := cmp.Diff(want, parts); diff != "" {
		t.Errorf("SteerSides parts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"primary", "primary", "secondary"}, attrs); diff != "" {
		t.Errorf("SteerSides attrs (-want +got):\n%s", diff)
	}
	if _, ok := providers.SteerString(cty.NilVal, "plain"); ok {
		t.Error("SteerString of NilVal is ok")
	}
}
