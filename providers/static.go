package providers

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// StaticError is a constructor's refusal of a block that its kind's or
// provider type's static verdict rejects (see "One static verdict" in the
// package documentation). Neither its message nor its Problems quote a
// value that carried a mark.
type StaticError struct {
	What     string // `http check "api"`, `route53_weighted "dns": provider aws.prod`
	Problems []Problem
	msg      string
}

func (e *StaticError) Error() string { return e.msg }

// ValidateBlock runs validate over attrs, a block body as a constructor
// gets it (values may carry marks), and returns a *StaticError listing its
// problems, or nil. what names the block in the message. A Problem about
// an attribute whose value carries a mark, and which the schema does not
// declare Sensitive (validators of those promise never to quote values),
// is described without its Detail, since a validator may quote the value
// it rejects; every marked value is redacted from the rest as well.
func ValidateBlock(what string, schema []Attribute, validate func(cty.Value) []Problem, attrs cty.Value) error {
	if validate == nil {
		return nil
	}
	ps := validate(attrs)
	if len(ps) == 0 {
		return nil
	}
	red := &Redactor{}
	if attrs != cty.NilVal {
		red.AddValue(markedParts(attrs))
	}
	shown := make([]Problem, 0, len(ps))
	msgs := make([]string, 0, len(ps))
	for _, p := range ps {
		if attrMarked(attrs, p.Attr) && !declaredSensitive(schema, p.Attr) {
			p.Detail = hiddenDetail(p.Attr)
		}
		p.Summary, p.Detail = red.Redact(p.Summary), red.Redact(p.Detail)
		shown = append(shown, p)
		m := p.Summary
		if p.Detail != "" {
			m += ": " + p.Detail
		}
		msgs = append(msgs, m)
	}
	return &StaticError{What: what, Problems: shown, msg: what + ": " + strings.Join(msgs, "; ")}
}

// HideMarked returns ps with the Detail of every Problem about an attribute
// of obj that carries a mark replaced by one that names the attribute only.
// A Validate whose Details quote values (a reference it cannot parse)
// returns through it, so that it never shows a marked one.
func HideMarked(obj cty.Value, ps []Problem) []Problem {
	for i := range ps {
		if attrMarked(obj, ps[i].Attr) {
			ps[i].Detail = hiddenDetail(ps[i].Attr)
		}
	}
	return ps
}

func hiddenDetail(attr string) string {
	return fmt.Sprintf("%s: the value is not valid (it is sensitive, so it is not shown).", attr)
}

// markedParts returns the parts of v that carry a mark (a list of them), so
// that a Redactor learns only those.
func markedParts(v cty.Value) cty.Value {
	raw, pvms := v.UnmarkDeepWithPaths()
	var parts []cty.Value
	for _, pvm := range pvms {
		if len(pvm.Marks) == 0 {
			continue
		}
		if p, err := pvm.Path.Apply(raw); err == nil {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return cty.TupleVal(parts)
}

// attrMarked reports whether obj[attr], or obj itself, carries a mark.
func attrMarked(obj cty.Value, attr string) bool {
	if obj == cty.NilVal || attr == "" {
		return false
	}
	if obj.IsMarked() {
		return true
	}
	if obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(attr) {
		return false
	}
	return obj.GetAttr(attr).ContainsMarked()
}

func declaredSensitive(schema []Attribute, attr string) bool {
	a := findAttr(schema, attr)
	return a != nil && a.Sensitive
}

// staticTarget wraps a kind's target constructor so that it refuses first
// what the kind's and its provider type's Validate refuse.
func (r *Registry) staticTarget(k *Kind, build TargetFactory) TargetFactory {
	return func(cfg Config) (Target, error) {
		if err := r.validateConfig(k, cfg); err != nil {
			return nil, err
		}
		return build(cfg)
	}
}

// staticCheck is staticTarget for checks.
func (r *Registry) staticCheck(k *Kind, build CheckFactory) CheckFactory {
	return func(cfg Config) (Check, error) {
		if err := r.validateConfig(k, cfg); err != nil {
			return nil, err
		}
		return build(cfg)
	}
}

// validateConfig is the static verdict on cfg: the provider block's first,
// then the kind's. The provider type is looked up at call time, so that
// kinds and provider types may be registered in any order.
func (r *Registry) validateConfig(k *Kind, cfg Config) error {
	what := fmt.Sprintf("%s %q", k.Name, cfg.Name) // as Decoder errors name a block
	if k.Class == ClassCheck {
		what = fmt.Sprintf("%s check %q", k.Name, cfg.Name)
	}
	if p := cfg.Provider; p != nil {
		if pt, ok := r.providers[p.Type]; ok {
			if err := ValidateBlock(fmt.Sprintf("%s: provider %s.%s", what, p.Type, p.Name), pt.Attributes, pt.Problems, p.Attrs); err != nil {
				return err
			}
		}
	}
	return ValidateBlock(what, k.Attributes, k.Problems, cfg.Attrs)
}

// Problems is the kind's static verdict on a block body: every required
// attribute set (not null) and no list or map holding a null
// (AttributeProblems), exactly one attribute of each ExactlyOneOf group
// set, a target's sides (SidesProblems), then Validate. Unknown values
// count as set and are not judged further.
func (k *Kind) Problems(obj cty.Value) []Problem {
	ps := AttributeProblems(k.Attributes, obj)
	ps = append(ps, ExactlyOne(k.ExactlyOneOf, obj)...)
	if k.Class == ClassTarget {
		ps = append(ps, SidesProblems(obj)...)
	}
	if k.Validate != nil {
		ps = append(ps, k.Validate(obj)...)
	}
	return ps
}

// Problems is the provider type's static verdict on a block body: every
// required attribute set, then Validate.
func (p *ProviderType) Problems(obj cty.Value) []Problem {
	ps := AttributeProblems(p.Attributes, obj)
	if p.Validate != nil {
		ps = append(ps, p.Validate(obj)...)
	}
	return ps
}

// AttributeProblems is what every schema refuses of an evaluated body
// that HCL's schema and type conversion let through: RequiredSet and
// NullElements.
func AttributeProblems(schema []Attribute, obj cty.Value) []Problem {
	return append(RequiredSet(schema, obj), NullElements(schema, obj)...)
}

// RequiredSet reports each required attribute of schema that obj holds as
// null: HCL's schema sees `url = null` as present, the constructor as
// missing.
func RequiredSet(schema []Attribute, obj cty.Value) []Problem {
	var ps []Problem
	for _, a := range schema {
		if !a.Required {
			continue
		}
		if v := getAttr(obj, a.Name); v.IsNull() && obj != cty.NilVal && obj.IsKnown() && !obj.IsNull() {
			ps = append(ps, Problem{Attr: a.Name, Summary: "Missing " + a.Name,
				Detail: a.Name + " is required and must not be null."})
		}
	}
	return ps
}

// NullElements reports each list or map attribute of schema that holds a
// null element (`["a", null]`): HCL converts it to the attribute's type,
// and no constructor can use it. Target sides are left to SidesProblems.
func NullElements(schema []Attribute, obj cty.Value) []Problem {
	var ps []Problem
	for _, a := range schema {
		if !(a.Type.IsListType() || a.Type.IsMapType() || a.Type.IsSetType()) || a.Name == "primary" || a.Name == "secondary" {
			continue
		}
		v := getAttr(obj, a.Name)
		if v.IsNull() || !v.IsKnown() || !v.CanIterateElements() {
			continue
		}
		for it := v.ElementIterator(); it.Next(); {
			if _, e := it.Element(); e.IsKnown() && e.IsNull() {
				ps = append(ps, Problem{Attr: a.Name, Summary: "Invalid " + a.Name, Detail: a.Name + " cannot hold null."})
				break
			}
		}
	}
	return ps
}

// ExactlyOne reports each group of which not exactly one attribute is set
// (an unknown value counts as set). A group with none set is a Problem
// about the block (Attr ""); one with several, about the second set.
func ExactlyOne(groups [][]string, obj cty.Value) []Problem {
	if obj == cty.NilVal || obj.IsNull() || !obj.IsKnown() {
		return nil
	}
	var ps []Problem
	for _, g := range groups {
		var set []string
		for _, n := range g {
			if !getAttr(obj, n).IsNull() {
				set = append(set, n)
			}
		}
		switch {
		case len(set) == 0:
			ps = append(ps, Problem{Summary: "Missing " + strings.Join(g, " or "),
				Detail: fmt.Sprintf("Exactly one of %s must be set.", strings.Join(g, ", "))})
		case len(set) > 1:
			ps = append(ps, Problem{Attr: set[1], Summary: "Conflicting arguments",
				Detail: fmt.Sprintf("Only one of %s may be set; this block sets %s.", strings.Join(g, ", "), strings.Join(set, " and "))})
		}
	}
	return ps
}
