package gcp

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// This decoder is the aws package's (providers/aws/attrs.go), copied: both
// should use one in package providers once it moves there.

// decoder reads a block's attributes, remembering the first error and the
// text of every value that carried a mark (all marks are treated as
// "sensitive"), so that no error or Detail ever quotes one.
type decoder struct {
	what string // `gcp_url_map "lb"`, `provider gcp.prod`
	obj  cty.Value
	err  error
	red  *providers.Redactor
}

func newDecoder(what string, obj cty.Value, red *providers.Redactor) *decoder {
	d := &decoder{what: what, obj: obj, red: red}
	if obj == cty.NilVal || obj.IsNull() || !obj.Type().IsObjectType() {
		d.fail(d.errorf("the attributes are not an object"))
		return d
	}
	if !obj.IsWhollyKnown() {
		d.fail(d.errorf("the attributes hold unknown values"))
	}
	return d
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{d.what}, args...)...)
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// get returns the unmarked attribute (null when absent), noting the text of
// a marked value as a secret.
func (d *decoder) get(name string) cty.Value {
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
		d.fail(d.errorf("%s is not known", name))
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return raw
}

// optStr returns a string attribute, "" when null.
func (d *decoder) optStr(name string) string {
	v := d.get(name)
	if v.IsNull() {
		return ""
	}
	if v.Type() != cty.String {
		d.fail(d.errorf("%s must be a string", name))
		return ""
	}
	return v.AsString()
}

// str returns a string attribute that must be set and not blank.
func (d *decoder) str(name string) string {
	s := d.optStr(name)
	if strings.TrimSpace(s) == "" {
		d.fail(d.errorf("%s must be set", name))
	}
	return s
}

// strs returns a list of strings (list, set or tuple).
func (d *decoder) strs(name string) []string {
	v := d.get(name)
	if v.IsNull() {
		return nil
	}
	if !(v.Type().IsListType() || v.Type().IsSetType() || v.Type().IsTupleType()) {
		d.fail(d.errorf("%s must be a list of strings", name))
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			d.fail(d.errorf("each element of %s must be a string", name))
			return nil
		}
		out = append(out, e.AsString())
	}
	return out
}

// number returns a number attribute, def when null, and whether it was set.
func (d *decoder) number(name string, def float64) (float64, bool) {
	v := d.get(name)
	if v.IsNull() {
		return def, false
	}
	if v.Type() != cty.Number {
		d.fail(d.errorf("%s must be a number", name))
		return def, false
	}
	f, _ := v.AsBigFloat().Float64()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(d.errorf("%s must be a finite number", name))
		return def, false
	}
	return f, true
}

// whole returns a whole-number attribute in [lo, hi], def when null.
func (d *decoder) whole(name string, def, lo, hi int64) int64 {
	v := d.get(name)
	if v.IsNull() {
		return def
	}
	if v.Type() != cty.Number {
		d.fail(d.errorf("%s must be a number", name))
		return def
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	if !bf.IsInt() || acc != big.Exact || n < lo || n > hi {
		d.fail(d.errorf("%s must be a whole number between %d and %d", name, lo, hi))
		return def
	}
	return n
}
