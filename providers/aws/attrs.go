package aws

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// decoder reads a block's attributes, remembering the first error and the
// text of every value that carried a mark (all marks are treated as
// "sensitive"), so that no error or Detail ever quotes one.
type decoder struct {
	what string // `route53_weighted "dns"`, `provider aws.prod`
	obj  cty.Value
	err  error
	red  *redactor
}

func newDecoder(what string, obj cty.Value, red *redactor) *decoder {
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
		d.red.addValue(raw)
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

// redactor removes known secret strings from text.
type redactor struct {
	secrets []string
}

func (r *redactor) add(ss ...string) {
	for _, s := range ss {
		if s == "" {
			continue
		}
		r.secrets = append(r.secrets, s)
	}
	// Longest first, so that a secret containing another is replaced whole.
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// addValue records every string and number inside v.
func (r *redactor) addValue(v cty.Value) {
	if v.IsNull() || !v.IsKnown() {
		return
	}
	switch t := v.Type(); {
	case t == cty.String:
		r.add(v.AsString())
	case t == cty.Number:
		r.add(v.AsBigFloat().Text('f', -1))
	case v.CanIterateElements():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			r.addValue(e)
		}
	}
}

// isSecret reports whether s is one of the recorded secrets.
func (r *redactor) isSecret(s string) bool {
	if r == nil {
		return false
	}
	for _, x := range r.secrets {
		if x == s {
			return true
		}
	}
	return false
}

// redact replaces every secret in s, ignoring case (DNS names come back
// lower-cased).
func (r *redactor) redact(s string) string {
	if r == nil {
		return s
	}
	for _, sec := range r.secrets {
		s = replaceFold(s, strconv.Quote(sec), sensitive)
		s = replaceFold(s, sec, sensitive)
	}
	return s
}

// hide rewrites err's message so that no secret shows, keeping the chain
// for errors.Is and errors.As.
func (r *redactor) hide(err error) error {
	if err == nil || r == nil || len(r.secrets) == 0 {
		return err
	}
	msg := r.redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return &hiddenError{msg: msg, err: err}
}

// merged returns a redactor holding the secrets of both.
func (r *redactor) merged(o *redactor) *redactor {
	out := &redactor{}
	if r != nil {
		out.add(r.secrets...)
	}
	if o != nil {
		out.add(o.secrets...)
	}
	return out
}

// sensitive replaces a sensitive value in messages.
const sensitive = "(sensitive)"

type hiddenError struct {
	msg string
	err error
}

func (e *hiddenError) Error() string { return e.msg }
func (e *hiddenError) Unwrap() error { return e.err }

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old, repl string) string {
	if old == "" {
		return s
	}
	lo, lold := strings.ToLower(s), strings.ToLower(old)
	if len(lo) != len(s) || len(lold) != len(old) {
		return strings.ReplaceAll(s, old, repl)
	}
	var b strings.Builder
	for {
		i := strings.Index(lo, lold)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lo = s[i+len(old):], lo[i+len(old):]
	}
}

// quote quotes a name for a message, or says "(sensitive)".
func (r *redactor) quote(s string) string {
	if r.isSecret(s) {
		return sensitive
	}
	return strconv.Quote(s)
}
