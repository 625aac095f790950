package providers

import (
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/zclconf/go-cty/cty"
)

// Required declares a required attribute.
func Required(name string, t cty.Type, doc string) Attribute {
	return Attribute{Name: name, Type: t, Required: true, Doc: doc}
}

// Optional declares an optional attribute; def is its default, or cty.NilVal
// for none (the attribute is then null when absent).
func Optional(name string, t cty.Type, def cty.Value, doc string) Attribute {
	return Attribute{Name: name, Type: t, Default: def, Doc: doc}
}

// Secret declares an attribute whose value is always treated as sensitive.
func Secret(a Attribute) Attribute {
	a.Sensitive = true
	return a
}

// StringList is the type of the primary/secondary member lists.
var StringList = cty.List(cty.String)

// Strings returns a cty list of strings, for defaults.
func Strings(ss ...string) cty.Value {
	if len(ss) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}

// NumberInRange reports a Problem when the named number attribute of obj is
// set, known and outside [lo, hi], or not a whole number when whole is true.
func NumberInRange(obj cty.Value, attr string, lo, hi int64, whole bool) []Problem {
	v := getAttr(obj, attr)
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.Number {
		return nil
	}
	return numberProblem(attr, v.AsBigFloat(), lo, hi, whole, "")
}

// NumbersInRange is NumberInRange for every element of a list of numbers.
func NumbersInRange(obj cty.Value, attr string, lo, hi int64, whole bool) []Problem {
	v := getAttr(obj, attr)
	if v.IsNull() || !v.IsKnown() || !v.CanIterateElements() {
		return nil
	}
	var out []Problem
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || !e.IsKnown() || e.Type() != cty.Number {
			continue
		}
		out = append(out, numberProblem(attr, e.AsBigFloat(), lo, hi, whole, "each element of ")...)
	}
	return out
}

func numberProblem(attr string, f *big.Float, lo, hi int64, whole bool, prefix string) []Problem {
	if whole && !f.IsInt() {
		return []Problem{{Attr: attr, Summary: "Invalid " + attr,
			Detail: fmt.Sprintf("%s%s must be a whole number.", prefix, attr)}}
	}
	if f.Cmp(big.NewFloat(float64(lo))) < 0 || f.Cmp(big.NewFloat(float64(hi))) > 0 {
		return []Problem{{Attr: attr, Summary: "Invalid " + attr,
			Detail: fmt.Sprintf("%s%s must be between %d and %d.", prefix, attr, lo, hi)}}
	}
	return nil
}

// getAttr returns obj[attr], or a null value when obj is not an object
// holding attr, so validators never panic on an unexpected shape.
func getAttr(obj cty.Value, attr string) cty.Value {
	if obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(attr) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	v, _ := obj.GetAttr(attr).UnmarkDeep()
	return v
}

// StringAttr returns the string value of obj[attr] and whether it is set and
// known.
func StringAttr(obj cty.Value, attr string) (string, bool) {
	v := getAttr(obj, attr)
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// OneOf reports a Problem when the named string attribute is set, known and
// not one of the allowed values.
func OneOf(obj cty.Value, attr string, allowed ...string) []Problem {
	s, ok := StringAttr(obj, attr)
	if !ok {
		return nil
	}
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	detail := fmt.Sprintf("%s must be one of %s; got %q.", attr, quoteList(allowed), s)
	if attrMarked(obj, attr) {
		detail = fmt.Sprintf("%s must be one of %s.", attr, quoteList(allowed))
	}
	return []Problem{{Attr: attr, Summary: "Invalid " + attr, Detail: detail}}
}

func quoteList(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q", s)
	}
	return out
}

// IsSet reports whether obj[attr] exists and is not null.
func IsSet(obj cty.Value, attr string) bool { return !getAttr(obj, attr).IsNull() }

// NotBlank reports a Problem for each named string attribute that is set,
// known and empty or only white space, which Decoder.Str refuses.
func NotBlank(obj cty.Value, attrs ...string) []Problem {
	var out []Problem
	for _, attr := range attrs {
		if s, ok := StringAttr(obj, attr); ok && strings.TrimSpace(s) == "" {
			out = append(out, Problem{Attr: attr, Summary: "Invalid " + attr, Detail: attr + " must not be empty."})
		}
	}
	return out
}

// StringsAttr returns the elements of the list of strings obj[attr], and
// whether it is set, wholly known and holds no null.
func StringsAttr(obj cty.Value, attr string) ([]string, bool) {
	v := getAttr(obj, attr)
	if v.IsNull() || !v.IsWhollyKnown() || !v.CanIterateElements() || v.Type().IsMapType() || v.Type().IsObjectType() {
		return nil, false
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}

// HostPortProblem reports a Problem when the named string attribute is set,
// known and not host:port with a host and a port in 1-65535.
func HostPortProblem(obj cty.Value, attr string) []Problem {
	s, ok := StringAttr(obj, attr)
	if !ok {
		return nil
	}
	if err := CheckHostPort(s); err != nil {
		return []Problem{{Attr: attr, Summary: "Invalid " + attr, Detail: attr + " " + err.Error() + "."}}
	}
	return nil
}

// CheckHostPort checks a host:port with a host and a numeric port in
// 1-65535. Its error never quotes s.
func CheckHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || strings.ContainsAny(host, " \t\r\n\x00") {
		return errors.New("must be host:port, with a host and a port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return errors.New("must have a port between 1 and 65535")
	}
	return nil
}

// URLProblem reports a Problem when the named string attribute is set,
// known and not an absolute URL with one of schemes, a host and, when
// given, a port in 1-65535. Its Detail never quotes the value.
func URLProblem(obj cty.Value, attr string, schemes ...string) []Problem {
	s, ok := StringAttr(obj, attr)
	if !ok {
		return nil
	}
	if err := CheckURL(s, schemes...); err != nil {
		return []Problem{{Attr: attr, Summary: "Invalid " + attr, Detail: attr + " " + err.Error() + "."}}
	}
	return nil
}

// CheckURL checks an absolute URL with one of schemes, a host and, when it
// has one, a port in 1-65535. Its error never quotes s.
func CheckURL(s string, schemes ...string) error {
	want := "must be an absolute " + strings.Join(schemes, " or ") + " URL with a host"
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" || !slices.Contains(schemes, u.Scheme) {
		return errors.New(want)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return errors.New(want + " and a port between 1 and 65535")
		}
	}
	return nil
}

// BadNameChars reports whether s holds white space or a control character
// (a NUL, a line break): no DNS name, resource name or identifier fbctl
// sends to an API has one, and an API refuses it only when called.
func BadNameChars(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
}
