package policy

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// kindSchema builds the HCL schema of a kind's or provider's body: its
// registered attributes plus the extra ones the language adds.
func kindSchema(attrs []providers.Attribute, extra ...string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range attrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	for _, n := range extra {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}

// decodeConfig evaluates the registered attributes of a body into an object
// holding every attribute, defaults applied, and runs the registered
// validation. what is e.g. `target "dns"` for messages.
func (l *Loader) decodeConfig(attrs []providers.Attribute, content *hcl.BodyContent, defRange hcl.Range,
	exactlyOneOf [][]string, validate func(cty.Value) []providers.Problem) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vals := make(map[string]cty.Value, len(attrs))
	for _, a := range attrs {
		attr, ok := content.Attributes[a.Name]
		var v cty.Value
		switch {
		case ok:
			var d hcl.Diagnostics
			v, d = l.eval(attr.Expr, a.Type, a.Name)
			diags = append(diags, d...)
		case a.Default != cty.NilVal:
			v = a.Default
		default:
			v = cty.NullVal(a.Type)
		}
		if a.Sensitive {
			v = v.Mark(Sensitive)
			l.secrets.add(v)
			if ok {
				l.mask(attr.Expr)
			}
		}
		vals[a.Name] = v
	}
	obj := cty.ObjectVal(vals)
	if diags.HasErrors() {
		return obj, diags
	}

	// The static verdict the kind's constructor also asks first
	// (providers.Kind.Problems), part by part so that each has its range:
	// ExactlyOneOf at the name of the second attribute set, the schema's
	// own rules and validate at the offending value; a target's sides are
	// judged by the caller.
	for _, p := range providers.ExactlyOne(exactlyOneOf, obj) {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: p.Summary, Detail: p.Detail, Subject: rangePtr(defRange)}
		if attr, ok := content.Attributes[p.Attr]; ok {
			d.Subject = rangePtr(attr.NameRange)
		}
		diags = append(diags, d)
	}

	var problems []providers.Problem
	for _, p := range providers.AttributeProblems(attrs, obj) {
		// An absent one is reported by the schema already.
		if _, present := content.Attributes[p.Attr]; present {
			problems = append(problems, p)
		}
	}
	if validate != nil {
		problems = append(problems, validate(obj)...)
	}
	for _, p := range problems {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: p.Summary, Detail: p.Detail, Subject: rangePtr(defRange)}
		if attr, ok := content.Attributes[p.Attr]; ok {
			d.Subject = rangePtr(attr.Expr.Range())
		}
		if v, ok := vals[p.Attr]; ok && IsSensitive(v) {
			d.Detail = sensitiveProblemDetail(attrs, p, v)
			if d.Detail == p.Detail {
				d.Detail = l.secrets.redact(p.Detail)
			}
		}
		d.Summary, d.Detail = hideLong(d.Summary, obj), hideLong(d.Detail, obj)
		diags = append(diags, d)
	}
	return obj, diags
}

// sensitiveProblemDetail is the Detail to show for a validator's Problem
// about an attribute whose value is sensitive. Validators of attributes the
// schema declares Sensitive (such as a libdns config) promise never to
// quote values, so their Detail stays (and is still scrubbed of known
// secrets). Any other validator may quote the value it rejects (`got "x"`),
// and a secret shorter than three characters escapes redaction: its Detail
// is replaced by one that shows nothing of the value.
func sensitiveProblemDetail(attrs []providers.Attribute, p providers.Problem, v cty.Value) string {
	for _, a := range attrs {
		if a.Name == p.Attr && a.Sensitive {
			return p.Detail
		}
	}
	if o := originOf(v); o != "" {
		return fmt.Sprintf("%s: the value is not valid (it is %s, so it is not shown).", p.Attr, o)
	}
	return fmt.Sprintf("%s: the value is not valid (it is sensitive, so it is not shown).", p.Attr)
}

// hideLong replaces, in a kind's message, every string of the block's
// attributes longer than maxShown by its length: a kind's validator may
// quote the value it rejects, and a value from a Terraform output or a
// variable can be a whole document. Sensitive values are not searched
// here; they never reach such a message unredacted.
func hideLong(msg string, obj cty.Value) string {
	if len(msg) <= maxShown {
		return msg
	}
	var long []string
	var walk func(v cty.Value)
	walk = func(v cty.Value) {
		if v.IsMarked() || !v.IsKnown() || v.IsNull() {
			return
		}
		switch {
		case v.Type() == cty.String:
			if len(v.AsString()) > maxShown {
				long = append(long, v.AsString())
			}
		case v.CanIterateElements():
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				walk(e)
			}
		}
	}
	walk(obj)
	sort.Slice(long, func(i, j int) bool { return len(long[i]) > len(long[j]) })
	for _, str := range long {
		shown := fmt.Sprintf("(a string of %d bytes, not shown)", len(str))
		msg = strings.ReplaceAll(msg, quoteGo(str), shown)
		msg = strings.ReplaceAll(msg, str, shown)
	}
	return msg
}

// noteUnknown records a setting of the engine (a duration, a count, an
// enumeration of a rollout, a check or the schedule) whose value is not
// known, so that a command that loads the policy leniently (ModeState) does
// not judge on the default that stands in for it.
func (l *Loader) noteUnknown(attr *hcl.Attribute, v cty.Value, diags hcl.Diagnostics) {
	if !diags.HasErrors() && !v.IsKnown() {
		l.unknownSettings = append(l.unknownSettings, attr.Name)
	}
}

// decodeSchedule reads the top-level schedule, which one file at most may
// set: two would leave the runs' cadence to the order of -f.
func (l *Loader) decodeSchedule(attrs []*hcl.Attribute) (time.Duration, hcl.Diagnostics) {
	if len(attrs) == 0 {
		return 0, nil
	}
	var diags hcl.Diagnostics
	for _, a := range attrs[1:] {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate schedule",
			Detail:   fmt.Sprintf("The schedule was already set at %s; set it once, in one file.", shortRange(attrs[0].NameRange)),
			Subject:  rangePtr(a.NameRange),
		})
	}
	attr := attrs[0]
	dur, d := l.duration(attr, 0)
	diags = append(diags, d...)
	if dur > MaxSchedule {
		diags = append(diags, attrError(attr, "Invalid schedule",
			fmt.Sprintf("schedule must be at most %s: evidence counts for two schedules, and a probe that old says nothing about the primary now.", MaxSchedule)))
		return 0, diags
	}
	return dur, diags
}

// fbDecoder holds what decoding one failback needs to remember.
type fbDecoder struct {
	l         *Loader
	fb        *Failback
	bakeRange hcl.Range
	broken    bool // a check or target failed to decode: skip whole-failback rules
	// Which decoded durations and counts came from sensitive values, so
	// that the messages that print them (bakeWarnings) do not.
	bakeSensitive  bool
	checkSensitive map[*Check]checkSecrets
	// stepsSensitive is set when any step came from a sensitive value, so
	// stepWarnings does not print steps.
	stepsSensitive bool
}

// checkSecrets says which of a check's timing settings are sensitive.
type checkSecrets struct {
	interval, timeout, healthyThreshold bool
}

// duration evaluates a positive Go duration string ("90s", "10m",
// "1h30m"); absent, it is def. Unknown values give def too: validate skips
// what it cannot know.
func (l *Loader) duration(attr *hcl.Attribute, def time.Duration) (time.Duration, hcl.Diagnostics) {
	dur, _, diags := l.durationValue(attr, def)
	return dur, diags
}

// durationValue is duration that also says whether the value is sensitive,
// for messages that print the duration later.
func (l *Loader) durationValue(attr *hcl.Attribute, def time.Duration) (time.Duration, bool, hcl.Diagnostics) {
	if attr == nil {
		return def, false, nil
	}
	v, diags := l.eval(attr.Expr, cty.String, attr.Name)
	if diags.HasErrors() || !v.IsKnown() {
		l.noteUnknown(attr, v, diags)
		return def, false, diags
	}
	if v.IsNull() {
		return def, false, append(diags, attrError(attr, "Invalid duration", attr.Name+" must be a duration such as \"90s\", \"10m\" or \"1h30m\"."))
	}
	raw, _ := v.UnmarkDeep()
	dur, err := time.ParseDuration(raw.AsString())
	if err != nil {
		return def, false, append(diags, attrError(attr, "Invalid duration",
			fmt.Sprintf("%s is %s, which is not a duration; write a number with a unit, such as \"90s\", \"10m\" or \"1h30m\".", attr.Name, describe(v))))
	}
	if dur <= 0 {
		return def, false, append(diags, attrError(attr, "Invalid duration",
			fmt.Sprintf("%s must be positive; it is %s.", attr.Name, describe(v))))
	}
	return dur, IsSensitive(v), diags
}

// count evaluates a whole number in [lo, hi]; absent or unknown, it is def.
func (l *Loader) count(attr *hcl.Attribute, def, lo, hi int) (int, hcl.Diagnostics) {
	n, _, diags := l.countValue(attr, def, lo, hi)
	return n, diags
}

// countValue is count that also says whether the value is sensitive.
func (l *Loader) countValue(attr *hcl.Attribute, def, lo, hi int) (int, bool, hcl.Diagnostics) {
	if attr == nil {
		return def, false, nil
	}
	v, diags := l.eval(attr.Expr, cty.Number, attr.Name)
	if diags.HasErrors() || !v.IsKnown() {
		l.noteUnknown(attr, v, diags)
		return def, false, diags
	}
	if v.IsNull() {
		return def, false, append(diags, attrError(attr, "Invalid "+attr.Name, attr.Name+" must be a whole number."))
	}
	raw, _ := v.UnmarkDeep()
	f := raw.AsBigFloat()
	n, acc := f.Int64()
	if !f.IsInt() || acc != big.Exact {
		return def, false, append(diags, attrError(attr, "Invalid "+attr.Name, fmt.Sprintf("%s must be a whole number; it is %s.", attr.Name, describe(v))))
	}
	if n < int64(lo) || n > int64(hi) {
		return def, false, append(diags, attrError(attr, "Invalid "+attr.Name, fmt.Sprintf("%s must be between %d and %d; it is %s.", attr.Name, lo, hi, describe(v))))
	}
	return int(n), IsSensitive(v), diags
}

// enum evaluates a string that must be one of allowed. known is false when
// the value is unknown (validate with unknown inputs).
func (l *Loader) enum(attr *hcl.Attribute, allowed []string) (string, bool, hcl.Diagnostics) {
	v, diags := l.eval(attr.Expr, cty.String, attr.Name)
	if diags.HasErrors() || !v.IsKnown() {
		l.noteUnknown(attr, v, diags)
		return "", false, diags
	}
	raw, _ := v.UnmarkDeep()
	if !raw.IsNull() {
		for _, a := range allowed {
			if raw.AsString() == a {
				return a, true, diags
			}
		}
	}
	hint := ""
	if !raw.IsNull() && !IsSensitive(v) {
		hint = didYouMean(raw.AsString(), allowed)
	}
	return "", true, append(diags, attrError(attr, "Invalid "+attr.Name,
		fmt.Sprintf("%s must be one of %s; it is %s.%s", attr.Name, quoted(allowed), describe(v), hint)))
}
