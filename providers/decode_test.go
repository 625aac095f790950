package providers_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

const block = `kind "x"`

func TestDecoderReadsValues(t *testing.T) {
	red := &providers.Redactor{}
	d := providers.NewDecoder(block, cty.ObjectVal(map[string]cty.Value{
		"name":  cty.StringVal("lb"),
		"token": cty.StringVal("s3cret-t0ken").Mark("sensitive"),
		"null":  cty.NullVal(cty.String),
		"list":  cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		"tuple": cty.TupleVal([]cty.Value{cty.StringVal("c")}),
		"num":   cty.NumberFloatVal(2.5),
		"whole": cty.NumberIntVal(7),
	}), red)
	if got := d.Str("name"); got != "lb" {
		t.Errorf("Str = %q", got)
	}
	if got := d.OptStr("token"); got != "s3cret-t0ken" {
		t.Errorf("OptStr of a marked value = %q", got)
	}
	if !red.IsSecret("s3cret-t0ken") {
		t.Error("a marked value was not added to the Redactor")
	}
	if got := d.OptStr("null") + d.OptStr("absent"); got != "" {
		t.Errorf("OptStr of null and absent = %q", got)
	}
	if got := d.Strs("list"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Strs(list) = %q", got)
	}
	if got := d.Strs("tuple"); !slices.Equal(got, []string{"c"}) {
		t.Errorf("Strs(tuple) = %q", got)
	}
	if got := d.Strs("absent"); got != nil {
		t.Errorf("Strs(absent) = %q", got)
	}
	if f, set := d.Number("num", 1); f != 2.5 || !set {
		t.Errorf("Number = %v, %v", f, set)
	}
	if f, set := d.Number("absent", 1); f != 1 || set {
		t.Errorf("Number(absent) = %v, %v", f, set)
	}
	if n := d.Whole("whole", 0, 1, 10); n != 7 {
		t.Errorf("Whole = %d", n)
	}
	if n := d.Whole("absent", 3, 1, 10); n != 3 {
		t.Errorf("Whole(absent) = %d", n)
	}
	if err := d.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
}

// Each case reads one attribute; the error is the first one, prefixed
// with the block's name.
func TestDecoderErrors(t *testing.T) {
	attrs := func(name string, v cty.Value) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{name: v})
	}
	for _, tc := range []struct {
		name string
		obj  cty.Value
		read func(d *providers.Decoder)
		want string
	}{
		{"not an object", cty.StringVal("x"), func(d *providers.Decoder) { d.OptStr("a") },
			"the attributes are not an object"},
		{"null", cty.NullVal(cty.EmptyObject), func(d *providers.Decoder) { d.Strs("a") },
			"the attributes are not an object"},
		{"unknown", attrs("a", cty.UnknownVal(cty.String)), func(d *providers.Decoder) { d.OptStr("a") },
			"the attributes hold unknown values"},
		{"not a string", attrs("a", cty.True), func(d *providers.Decoder) { d.OptStr("a") },
			"a must be a string"},
		{"blank", attrs("a", cty.StringVal(" ")), func(d *providers.Decoder) { d.Str("a") },
			"a must be set"},
		{"absent", cty.EmptyObjectVal, func(d *providers.Decoder) { d.Str("a") },
			"a must be set"},
		{"not a list", attrs("a", cty.StringVal("x")), func(d *providers.Decoder) { d.Strs("a") },
			"a must be a list of strings"},
		{"not a list of strings", attrs("a", cty.TupleVal([]cty.Value{cty.StringVal("x"), cty.True})), func(d *providers.Decoder) { d.Strs("a") },
			"each element of a must be a string"},
		{"not a number", attrs("a", cty.StringVal("1")), func(d *providers.Decoder) { d.Number("a", 0) },
			"a must be a number"},
		{"infinite", attrs("a", cty.NumberFloatVal(math.Inf(1))), func(d *providers.Decoder) { d.Number("a", 0) },
			"a must be a finite number"},
		{"fraction", attrs("a", cty.NumberFloatVal(1.5)), func(d *providers.Decoder) { d.Whole("a", 0, 0, 9) },
			"a must be a whole number between 0 and 9"},
		{"out of range", attrs("a", cty.NumberIntVal(10)), func(d *providers.Decoder) { d.Whole("a", 0, 0, 9) },
			"a must be a whole number between 0 and 9"},
		{"first error kept", attrs("a", cty.True), func(d *providers.Decoder) { d.OptStr("a"); d.Str("b") },
			"a must be a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := providers.NewDecoder(block, tc.obj, &providers.Redactor{})
			tc.read(d)
			if err := d.Err(); err == nil || err.Error() != block+": "+tc.want {
				t.Fatalf("Err = %v, want %s: %s", err, block, tc.want)
			}
		})
	}
}

func TestDecoderSides(t *testing.T) {
	sides := func(p, s []string) cty.Value {
		list := func(ms []string) cty.Value {
			if len(ms) == 0 {
				return cty.ListValEmpty(cty.String)
			}
			var vs []cty.Value
			for _, m := range ms {
				v := cty.StringVal(m)
				if strings.HasPrefix(m, "secret") {
					v = v.Mark("sensitive")
				}
				vs = append(vs, v)
			}
			return cty.ListVal(vs)
		}
		return cty.ObjectVal(map[string]cty.Value{"primary": list(p), "secondary": list(s)})
	}
	m := providers.Members{What: "pool", Limit: 3}
	for _, tc := range []struct {
		name string
		obj  cty.Value
		m    providers.Members
		want string // "" for no error
	}{
		{"ok", sides([]string{"a", "b"}, []string{"c"}), m, ""},
		{"no primary", sides(nil, []string{"c"}), m, "primary names no pool"},
		{"no secondary", sides([]string{"a"}, nil), m, "secondary names no pool"},
		{"empty", sides([]string{"a", ""}, []string{"c"}), m, "primary names an empty pool"},
		{"blank allowed", sides([]string{" "}, []string{"c"}), m, ""},
		{"blank refused", sides([]string{"a"}, []string{" "}), providers.Members{What: "pool", NoBlank: true}, "secondary names an empty pool"},
		{"twice", sides([]string{"a", "a"}, []string{"c"}), m, `pool "a" is named twice (in primary and in primary)`},
		{"both sides", sides([]string{"a"}, []string{"a"}), m, `pool "a" is named twice (in primary and in secondary)`},
		{"secret twice", sides([]string{"secret-a"}, []string{"secret-a"}), m, `pool (sensitive value) is named twice (in primary and in secondary)`},
		{"too many", sides([]string{"a", "b"}, []string{"c", "d"}), m, "primary and secondary name 4 pools; at most 3 are supported"},
		{"no limit", sides([]string{"a", "b"}, []string{"c", "d"}), providers.Members{What: "pool"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := providers.NewDecoder(block, tc.obj, &providers.Redactor{})
			p, s := d.Sides(tc.m)
			err := d.Err()
			if tc.want == "" {
				if err != nil || len(p) == 0 || len(s) == 0 {
					t.Fatalf("Sides = %q, %q, %v", p, s, err)
				}
				return
			}
			if err == nil || err.Error() != block+": "+tc.want {
				t.Fatalf("Err = %v, want %s: %s", err, block, tc.want)
			}
			if p != nil || s != nil {
				t.Errorf("Sides returned %q, %q with an error", p, s)
			}
		})
	}
}
