package providertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// Static parity: `fbctl validate` judges a block with its kind's Validate
// (and the provider type's), a run with its constructor. The two must agree
// on every block: a policy that validates must build, or the user learns of
// a mistake only when the controller runs. [Parity] holds a kind to that by
// mutating a valid block, one attribute at a time, with a catalogue of
// hostile values of the attribute's type, and comparing the verdicts. It
// is a property of the kind, not a list of known rows: a check a
// constructor makes without Validate shows as a mismatch on whichever
// hostile value trips it.

// ParityCase is one mutated block.
type ParityCase struct {
	// Attr is the mutated attribute, "provider." before one of the
	// provider block's.
	Attr string
	// Name says which attribute was given which value, e.g.
	// `url="http://h:70000/"` or `provider.endpoint_url=""`.
	Name   string
	Config providers.Config
}

// Mismatch is a case on which the static verdict and the constructor
// disagree, or on which either panicked.
type Mismatch struct {
	Case    string
	Static  []providers.Problem // the static verdict's problems
	BuildOK bool                // whether the constructor built it
	Err     error               // the constructor's error
	Panic   string              // a panic's value, when one happened
}

func (m Mismatch) String() string {
	switch {
	case m.Panic != "":
		return fmt.Sprintf("%s: panic: %s", m.Case, m.Panic)
	case m.BuildOK:
		return fmt.Sprintf("%s: Validate refuses (%v) but the constructor builds", m.Case, summaries(m.Static))
	default:
		return fmt.Sprintf("%s: Validate accepts but the constructor refuses: %v", m.Case, m.Err)
	}
}

func summaries(ps []providers.Problem) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Attr+": "+p.Summary+": "+p.Detail)
	}
	return strings.Join(out, "; ")
}

// StaticProblems is the static verdict on cfg as the policy language
// reaches it: every required attribute set, exactly one of each
// ExactlyOneOf group, the kind's Validate, and pt's Validate over the
// provider block when pt is not nil.
func StaticProblems(k *providers.Kind, pt *providers.ProviderType, cfg providers.Config) []providers.Problem {
	var ps []providers.Problem
	if pt != nil && cfg.Provider != nil {
		ps = append(ps, providers.RequiredSet(pt.Attributes, cfg.Provider.Attrs)...)
		if pt.Validate != nil {
			ps = append(ps, pt.Validate(cfg.Provider.Attrs)...)
		}
	}
	return append(ps, k.Problems(cfg.Attrs)...)
}

// ParityCases returns the mutations of base: for every attribute of k (and
// of pt, over base.Provider), each hostile value of its type (see
// HostileValues) in place of the valid one.
func ParityCases(k *providers.Kind, pt *providers.ProviderType, base providers.Config) []ParityCase {
	var out []ParityCase
	for _, a := range k.Attributes {
		for _, hv := range HostileValues(a, base.Attrs.GetAttr(a.Name)) {
			cfg := base
			cfg.Attrs = withAttr(base.Attrs, a, hv.v)
			out = append(out, ParityCase{Attr: a.Name, Name: a.Name + "=" + hv.label, Config: cfg})
		}
	}
	if pt != nil && base.Provider != nil {
		for _, a := range pt.Attributes {
			for _, hv := range HostileValues(a, base.Provider.Attrs.GetAttr(a.Name)) {
				cfg := base
				p := *base.Provider
				p.Attrs = withAttr(p.Attrs, a, hv.v)
				cfg.Provider = &p
				out = append(out, ParityCase{Attr: "provider." + a.Name, Name: "provider." + a.Name + "=" + hv.label, Config: cfg})
			}
		}
	}
	return out
}

// withAttr returns obj with attribute a replaced by v, marked when the
// schema declares a Sensitive, as the policy language hands it over.
func withAttr(obj cty.Value, a providers.Attribute, v cty.Value) cty.Value {
	m := obj.AsValueMap()
	if a.Sensitive {
		v = v.Mark(sensitiveMark)
	}
	m[a.Name] = v
	return cty.ObjectVal(m)
}

// sensitiveMark is the mark the policy language puts on sensitive values;
// providers treat every mark alike.
const sensitiveMark = "sensitive"

// ParityMismatches builds every case of ParityCases with k's constructor
// (as the registry wraps it) and returns those on which it and
// StaticProblems disagree, and the number of cases run. exceptions maps
// prefixes of case names (`ca_file=`, `provider.config={key=`) to the
// reason the constructor may refuse such a value when Validate cannot see
// why: on those cases only a refusal by the constructor alone is
// tolerated, never a panic or a build of a block Validate refuses.
func ParityMismatches(k *providers.Kind, pt *providers.ProviderType, base providers.Config, exceptions map[string]string) ([]Mismatch, int) {
	var out []Mismatch
	cases := ParityCases(k, pt, base)
	for _, c := range cases {
		m, bad := parityOne(k, pt, c.Config, c.Name)
		if bad && m.Panic == "" && !m.BuildOK && excepted(c.Name, exceptions) {
			continue
		}
		if bad {
			out = append(out, m)
		}
	}
	return out, len(cases)
}

func excepted(name string, exceptions map[string]string) bool {
	for prefix, reason := range exceptions {
		if reason != "" && strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

func parityOne(k *providers.Kind, pt *providers.ProviderType, cfg providers.Config, name string) (m Mismatch, bad bool) {
	m.Case = name
	defer func() {
		if p := recover(); p != nil {
			m.Panic, bad = fmt.Sprint(p), true
		}
	}()
	m.Static = StaticProblems(k, pt, cfg)
	var err error
	switch {
	case k.NewTarget != nil:
		_, err = k.NewTarget(cfg)
	case k.NewCheck != nil:
		_, err = k.NewCheck(cfg)
	default:
		return m, false // validates only: nothing to compare with
	}
	m.Err, m.BuildOK = err, err == nil
	return m, (len(m.Static) > 0) == m.BuildOK
}

// Parity fails t for every mismatch of ParityMismatches, after checking
// that base itself is accepted by both, that Validate skips an unknown
// value of every attribute without panicking, and that neither Validate's
// problems nor the constructor's error quote a marked value. k must be
// taken from a Registry (whose wrapper asks Validate first) and its
// constructor must do no I/O: Parity builds thousands of blocks whose
// addresses must never be dialled.
func Parity(t *testing.T, k *providers.Kind, pt *providers.ProviderType, base providers.Config, exceptions map[string]string) {
	t.Helper()
	if ps := StaticProblems(k, pt, base); len(ps) > 0 {
		t.Fatalf("%s: the base block is refused statically: %s", k.Name, summaries(ps))
	}
	if m, bad := parityOne(k, pt, base, "base"); bad {
		t.Fatalf("%s: %s", k.Name, m)
	}
	for _, a := range k.Attributes {
		body := withAttr(base.Attrs, a, cty.UnknownVal(a.Type))
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: Validate panics on an unknown %s: %v", k.Name, a.Name, p)
				}
			}()
			if k.Validate == nil {
				return
			}
			for _, p := range k.Validate(body) {
				if p.Attr == a.Name {
					t.Errorf("%s: Validate refuses an unknown %s (%s); it must skip unknown values", k.Name, a.Name, p.Summary)
				}
			}
		}()
	}
	checkNoLeaks(t, k, base)
	ms, n := ParityMismatches(k, pt, base, exceptions)
	for _, m := range ms {
		t.Errorf("%s: %s", k.Name, m)
	}
	t.Logf("%s: %d cases, %d mismatches", k.Name, n, len(ms))
}

// hostile is one catalogue value and how a case name shows it.
type hostile struct {
	label string
	v     cty.Value
}

// hostileStrings are the strings every string attribute is tried with:
// empty and blank, inner space, line breaks and NUL, a bare host, ports
// and URLs out of range, a bracketed IPv6 address without a port, a very
// long string and non-ASCII text.
var hostileStrings = []string{
	"", " ", "a b", "x\ny", "x\r\ny", "x\x00y", "host", "host:", ":53", "host:0", "host:99999", "host:port",
	"http://h:70000/", "http://", "https://h/", "ftp://h/", "unix:", "/", "[::1]", "[::1]:53",
	strings.Repeat("a", 5000), "héllo wörld ☃", "-1", "*", ".", "..", "a..b", "arn:", "@",
}

// hostileNumbers are the numbers every number attribute is tried with.
var hostileNumbers = []float64{-1, 0, 0.5, 1, 99, 100, 101, 256, 257, 599, 600, 65535, 65536, 2147483648, 1e12}

// HostileValues returns the catalogue for attribute a whose valid value is
// valid: values of a's type built to trip parsers and limits, plus
// variations of valid (with a space, a line break, a NUL appended).
func HostileValues(a providers.Attribute, valid cty.Value) []hostile {
	valid, _ = valid.UnmarkDeep()
	var out []hostile
	add := func(label string, v cty.Value) { out = append(out, hostile{label, v}) }
	if !a.Required {
		add("null", cty.NullVal(a.Type))
	}
	strs := func() []hostile {
		var hs []hostile
		for _, s := range hostileStrings {
			hs = append(hs, hostile{quote(s), cty.StringVal(s)})
		}
		if valid.Type() == cty.String && !valid.IsNull() && valid.IsKnown() {
			vs := valid.AsString()
			for _, s := range []string{vs + " ", " " + vs, vs + "\n", vs + "\x00", strings.ToUpper(vs), vs + ":1", vs + "/x", vs + vs} {
				hs = append(hs, hostile{quote(s), cty.StringVal(s)})
			}
		}
		return hs
	}
	nums := func() []hostile {
		var hs []hostile
		for _, f := range hostileNumbers {
			hs = append(hs, hostile{fmt.Sprint(f), cty.NumberFloatVal(f)})
		}
		return hs
	}
	switch t := a.Type; {
	case t == cty.String:
		out = append(out, strs()...)
	case t == cty.Number:
		out = append(out, nums()...)
	case t == cty.Bool:
		add("true", cty.True)
		add("false", cty.False)
	case t.IsListType():
		et := t.ElementType()
		var elems []cty.Value
		if !valid.IsNull() && valid.IsKnown() {
			elems = valid.AsValueSlice()
		}
		add("[]", cty.ListValEmpty(et))
		add("[null]", cty.ListVal([]cty.Value{cty.NullVal(et)}))
		var singles []hostile
		if et == cty.String {
			singles = strs()
		} else if et == cty.Number {
			singles = nums()
		}
		for _, h := range singles {
			add("["+h.label+"]", cty.ListVal([]cty.Value{h.v}))
			if len(elems) > 0 {
				add("[valid…, "+h.label+"]", cty.ListVal(append(append([]cty.Value{}, elems...), h.v)))
			}
		}
		if len(elems) > 0 {
			add("[dup]", cty.ListVal([]cty.Value{elems[0], elems[0]}))
			add("[valid…, null]", cty.ListVal(append(append([]cty.Value{}, elems...), cty.NullVal(et))))
		}
		var long []cty.Value
		for i := 0; i < 300; i++ {
			if et == cty.Number {
				long = append(long, cty.NumberIntVal(int64(200+i)))
			} else {
				long = append(long, cty.StringVal(fmt.Sprintf("m%d", i)))
			}
		}
		add("[300 elements]", cty.ListVal(long))
	case t.IsMapType() && t.ElementType() == cty.String:
		base := map[string]cty.Value{}
		if !valid.IsNull() && valid.IsKnown() {
			base = valid.AsValueMap()
		}
		with := func(k string, v cty.Value) cty.Value {
			m := map[string]cty.Value{}
			for kk, vv := range base {
				m[kk] = vv
			}
			m[k] = v
			return cty.MapVal(m)
		}
		add("{}", cty.MapValEmpty(cty.String))
		add(`{"a b"=…}`, with("a b", cty.StringVal("v")))
		add(`{""=…}`, with("", cty.StringVal("v")))
		add(`{"X-A:"=…}`, with("X-A:", cty.StringVal("v")))
		add(`{"X-Ä"=…}`, with("X-Ä", cty.StringVal("v")))
		add(`{extra=null}`, with("x_extra", cty.NullVal(cty.String)))
		for _, h := range strs() {
			add("{x_test="+h.label+"}", with("X-Test", h.v))
			for k := range base {
				add("{"+k+"="+h.label+"}", with(k, h.v))
			}
		}
		for k := range base {
			m := map[string]cty.Value{}
			for kk, vv := range base {
				if kk != k {
					m[kk] = vv
				}
			}
			if len(m) == 0 {
				continue
			}
			add("{without "+k+"}", cty.MapVal(m))
		}
	}
	return out
}

func quote(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q…(%d bytes)", s[:20], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// leakProbe is a value distinctive enough that finding it in a message
// means the message quotes it; it is invalid for most attributes.
const leakProbe = "zq-LEAK-probe 7"

// checkNoLeaks gives each string attribute (and each member of a string
// list or map) a marked, invalid value and fails t when Validate's
// problems or the constructor's error quote it.
func checkNoLeaks(t *testing.T, k *providers.Kind, base providers.Config) {
	t.Helper()
	for _, a := range k.Attributes {
		var v cty.Value
		switch {
		case a.Type == cty.String:
			v = cty.StringVal(leakProbe)
		case a.Type.IsListType() && a.Type.ElementType() == cty.String:
			v = cty.ListVal([]cty.Value{cty.StringVal(leakProbe)})
		case a.Type.IsMapType() && a.Type.ElementType() == cty.String:
			v = cty.MapVal(map[string]cty.Value{"X-Probe": cty.StringVal(leakProbe)})
		default:
			continue
		}
		cfg := base
		cfg.Attrs = withAttr(base.Attrs, a, v.Mark(sensitiveMark))
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: panic on a marked %s: %v", k.Name, a.Name, p)
				}
			}()
			if k.Validate != nil {
				for _, p := range k.Validate(cfg.Attrs) {
					if strings.Contains(p.Summary+p.Detail, leakProbe) {
						t.Errorf("%s: Validate quotes the marked value of %s: %s: %s", k.Name, a.Name, p.Summary, p.Detail)
					}
				}
			}
			var err error
			switch {
			case k.NewTarget != nil:
				_, err = k.NewTarget(cfg)
			case k.NewCheck != nil:
				_, err = k.NewCheck(cfg)
			}
			if err != nil && strings.Contains(err.Error(), leakProbe) {
				t.Errorf("%s: the constructor's error quotes the marked value of %s: %v", k.Name, a.Name, err)
			}
		}()
	}
}
