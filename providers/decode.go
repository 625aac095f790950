package providers

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Decoder reads the attributes of a provider, target or check block (a cty
// object, as the policy evaluated it) into Go values. It keeps only the
// first error, so a constructor reads every attribute and then checks
// [Decoder.Err] once. Every value that carried a mark
// (all marks are treated as "sensitive") is added to the Redactor, so that
// no error or Detail built later quotes it.
//
// Errors start with the block's name, e.g.
//
//	route53_weighted "dns": zone_id must be a string
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	what string // `route53_weighted "dns"`, `provider gcp.prod`
	obj  cty.Value
	err  error
	red  *Redactor
}

// NewDecoder starts reading obj, the attributes of the block named what;
// red, which must not be nil, collects the text of marked values.
func NewDecoder(what string, obj cty.Value, red *Redactor) *Decoder {
	d := &Decoder{what: what, obj: obj, red: red}
	if obj == cty.NilVal || obj.IsNull() || !obj.Type().IsObjectType() {
		d.Fail(d.Errorf("the attributes are not an object"))
		return d
	}
	if !obj.IsWhollyKnown() {
		d.Fail(d.Errorf("the attributes hold unknown values"))
	}
	return d
}

// Err is the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Errorf formats an error about the block, prefixed with its name. It does
// not record it: pass it to Fail for that.
func (d *Decoder) Errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{d.what}, args...)...)
}

// Fail records err unless an error was recorded before.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Get returns the unmarked attribute (null when absent), noting the text of
// a marked value as a secret.
func (d *Decoder) Get(name string) cty.Value {
	if d.err != nil && (d.obj == cty.NilVal || d.obj.IsNull() || !d.obj.Type().IsObjectType()) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	if !d.obj.Type().HasAttribute(name) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	v := d.obj.GetAttr(name)
	raw, _ := v.UnmarkDeep()
	if v.ContainsMarked() || d.obj.IsMarked() {
		d.red.AddValue(raw)
	}
	if !raw.IsWhollyKnown() {
		d.Fail(d.Errorf("%s is not known", name))
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return raw
}

// OptStr returns a string attribute, "" when null.
func (d *Decoder) OptStr(name string) string {
	v := d.Get(name)
	if v.IsNull() {
		return ""
	}
	if v.Type() != cty.String {
		d.Fail(d.Errorf("%s must be a string", name))
		return ""
	}
	return v.AsString()
}

// Str returns a string attribute that must be set and not blank.
func (d *Decoder) Str(name string) string {
	s := d.OptStr(name)
	if strings.TrimSpace(s) == "" {
		d.Fail(d.Errorf("%s must be set", name))
	}
	return s
}

// Strs returns a list of strings (list, set or tuple), nil when null.
func (d *Decoder) Strs(name string) []string {
	v := d.Get(name)
	if v.IsNull() {
		return nil
	}
	if !(v.Type().IsListType() || v.Type().IsSetType() || v.Type().IsTupleType()) {
		d.Fail(d.Errorf("%s must be a list of strings", name))
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			d.Fail(d.Errorf("each element of %s must be a string", name))
			return nil
		}
		out = append(out, e.AsString())
	}
	return out
}

// Number returns a finite number attribute, def when null, and whether it
// was set.
func (d *Decoder) Number(name string, def float64) (float64, bool) {
	v := d.Get(name)
	if v.IsNull() {
		return def, false
	}
	if v.Type() != cty.Number {
		d.Fail(d.Errorf("%s must be a number", name))
		return def, false
	}
	f, _ := v.AsBigFloat().Float64()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.Fail(d.Errorf("%s must be a finite number", name))
		return def, false
	}
	return f, true
}

// Whole returns a whole-number attribute in [lo, hi], def when null.
func (d *Decoder) Whole(name string, def, lo, hi int64) int64 {
	v := d.Get(name)
	if v.IsNull() {
		return def
	}
	if v.Type() != cty.Number {
		d.Fail(d.Errorf("%s must be a number", name))
		return def
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	if !bf.IsInt() || acc != big.Exact || n < lo || n > hi {
		d.Fail(d.Errorf("%s must be a whole number between %d and %d", name, lo, hi))
		return def
	}
	return n
}

// Members says what a target's "primary" and "secondary" lists name.
type Members struct {
	What  string // one member, for errors: "set identifier", "backend service"
	Limit int    // at most this many on both sides together; 0: no bound
	// NoBlank refuses a member of only white space as empty, not only "":
	// for providers whose names never hold any.
	NoBlank bool
}

// Sides reads the "primary" and "secondary" lists of a target: each side
// names at least one member, none empty, none twice or on both sides, and
// together at most m.Limit. On error both are nil.
func (d *Decoder) Sides(m Members) (primary, secondary []string) {
	primary, secondary = d.Strs("primary"), d.Strs("secondary")
	if d.err != nil {
		return nil, nil
	}
	seen := map[string]string{}
	for _, side := range []struct {
		name    string
		members []string
	}{{"primary", primary}, {"secondary", secondary}} {
		if len(side.members) == 0 {
			d.Fail(d.Errorf("%s names no %s", side.name, m.What))
			return nil, nil
		}
		for _, x := range side.members {
			if x == "" || (m.NoBlank && strings.TrimSpace(x) == "") {
				d.Fail(d.Errorf("%s names an empty %s", side.name, m.What))
				return nil, nil
			}
			if other, dup := seen[x]; dup {
				d.Fail(d.Errorf("%s %s is named twice (in %s and in %s)", m.What, d.red.Quote(x), other, side.name))
				return nil, nil
			}
			seen[x] = side.name
		}
	}
	if n := len(primary) + len(secondary); m.Limit > 0 && n > m.Limit {
		d.Fail(d.Errorf("primary and secondary name %d %ss; at most %d are supported", n, m.What, m.Limit))
		return nil, nil
	}
	return primary, secondary
}
