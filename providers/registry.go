package providers

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Class says whether a kind is a target or a check.
type Class string

const (
	// ClassTarget is the class of steering points (`target` blocks).
	ClassTarget Class = "target"
	// ClassCheck is the class of health signals (`check` blocks).
	ClassCheck Class = "check"
)

// Attribute describes one argument of a kind's or provider's block body.
type Attribute struct {
	Name string
	// Type is the cty type the value is converted to; a value that does not
	// convert is an error at the attribute.
	Type     cty.Type
	Required bool
	// Default is used when an optional attribute is absent. cty.NilVal means
	// "no default": the attribute is null.
	Default cty.Value
	// Sensitive marks the value as sensitive wherever it came from, for
	// secrets such as keys and tokens.
	Sensitive bool
	// Doc is one line for people, shown in the reference documentation.
	Doc string
}

// Problem is a semantic error in a decoded block body, reported by a kind's
// or provider's Validate function. Attr names the offending attribute (empty
// for the block as a whole) so the policy language can point at it.
type Problem struct {
	Attr    string
	Summary string
	Detail  string
}

// Kind is the registration of one target or check kind.
type Kind struct {
	Class Class
	Name  string
	// Provider is the provider type (e.g. "aws") a block of this kind must
	// reference, or "" when the kind needs no provider.
	Provider   string
	Doc        string
	Attributes []Attribute
	// ExactlyOneOf lists groups of attribute names of which exactly one must
	// be set (non-null).
	ExactlyOneOf [][]string
	// TTLAttribute names the attribute holding a DNS TTL in seconds, if the
	// kind has one; rollouts that bake for less than the TTL get a warning.
	TTLAttribute string
	// Validate, when set, checks a decoded body (an object with every
	// attribute of the schema, defaults applied) whose values may be
	// unknown (skip those) or marked (never quote those: name the
	// attribute). It must not panic on any such value. It holds every
	// check the constructor could make without I/O: the policy language
	// and the constructor both ask it (see Problems and "One static
	// verdict" in the package documentation).
	Validate func(cty.Value) []Problem
	// Deliverable, when set on a target kind whose shares are coarse,
	// returns the share a target with these attributes delivers for want,
	// and false when the attributes are not all known yet. Validation uses
	// it to warn about rollout steps that would deliver the same share. It
	// must not panic on any body Validate accepts.
	Deliverable func(attrs cty.Value, want Share) (Share, bool)
	// Steers, when set on a target kind, lists the objects a target with
	// this block writes (see SteeredObject), computed from the block
	// alone, without I/O. cfg.Attrs and cfg.Provider.Attrs are as Validate
	// gets them: values may be unknown (a Terraform output not given at
	// validate time, env()) and are then left out, since they cannot be
	// compared; values may be marked, and What never shows them. The
	// policy language refuses two targets that steer the same object. It
	// must not panic on any body Validate accepts.
	Steers func(cfg Config) []SteeredObject

	// NewTarget (for targets) or NewCheck (for checks) builds the behaviour.
	// A kind registered without one validates in policies but cannot run
	// yet; the engine reports that as an error naming the kind.
	//
	// Register wraps both so that, on a kind taken from the Registry, they
	// run Validate (and the provider type's Validate over cfg.Provider)
	// first and refuse with a *StaticError. Everything a constructor checks
	// without I/O belongs in Validate, so that `fbctl validate` and a run
	// agree: a constructor refuses a block Validate accepts only when a
	// value is unknown or marked unusable, or for a reason that needs the
	// world (a file, a secret's real value). The parity test in
	// internal/kinds holds every registered kind to this.
	NewTarget TargetFactory
	NewCheck  CheckFactory
}

// Attribute returns the named attribute of the kind's schema, or nil.
func (k *Kind) Attribute(name string) *Attribute { return findAttr(k.Attributes, name) }

// ProviderType is the registration of one `provider "TYPE" "NAME"` block type.
type ProviderType struct {
	Name       string
	Doc        string
	Attributes []Attribute
	Validate   func(cty.Value) []Problem
}

// Attribute returns the named attribute of the provider's schema, or nil.
func (p *ProviderType) Attribute(name string) *Attribute { return findAttr(p.Attributes, name) }

func findAttr(attrs []Attribute, name string) *Attribute {
	for i := range attrs {
		if attrs[i].Name == name {
			return &attrs[i]
		}
	}
	return nil
}

// UnknownError reports a lookup of an unregistered kind or provider type.
type UnknownError struct {
	What  string // "target kind", "check kind", "provider type"
	Name  string
	Known []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown %s %q; known: %s", e.What, e.Name, strings.Join(e.Known, ", "))
}

// Registry holds the kinds and provider types a binary knows.
type Registry struct {
	kinds     map[Class]map[string]*Kind
	providers map[string]*ProviderType
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		kinds:     map[Class]map[string]*Kind{ClassTarget: {}, ClassCheck: {}},
		providers: map[string]*ProviderType{},
	}
}

// Register adds a kind. It panics if the kind is malformed or already
// registered: both are bugs in fbctl's wiring.
func (r *Registry) Register(k Kind) {
	byName, ok := r.kinds[k.Class]
	if !ok {
		panic(fmt.Sprintf("providers: kind %q has unknown class %q", k.Name, k.Class))
	}
	if k.Name == "" {
		panic("providers: kind without a name")
	}
	if _, dup := byName[k.Name]; dup {
		panic(fmt.Sprintf("providers: %s kind %q registered twice", k.Class, k.Name))
	}
	checkAttrs("kind "+k.Name, k.Attributes)
	for _, group := range k.ExactlyOneOf {
		for _, n := range group {
			if k.Attribute(n) == nil {
				panic(fmt.Sprintf("providers: kind %q: ExactlyOneOf names unknown attribute %q", k.Name, n))
			}
		}
	}
	if k.TTLAttribute != "" && k.Attribute(k.TTLAttribute) == nil {
		panic(fmt.Sprintf("providers: kind %q: TTLAttribute names unknown attribute %q", k.Name, k.TTLAttribute))
	}
	kk := k
	// Every constructor asks the kind's Validate first: one static verdict
	// for `fbctl validate` and for every run (see ValidateBlock).
	if k.NewTarget != nil {
		kk.NewTarget = r.staticTarget(&kk, k.NewTarget)
	}
	if k.NewCheck != nil {
		kk.NewCheck = r.staticCheck(&kk, k.NewCheck)
	}
	byName[k.Name] = &kk
}

// RegisterProvider adds a provider type. It panics on a duplicate.
func (r *Registry) RegisterProvider(p ProviderType) {
	if p.Name == "" {
		panic("providers: provider type without a name")
	}
	if _, dup := r.providers[p.Name]; dup {
		panic(fmt.Sprintf("providers: provider type %q registered twice", p.Name))
	}
	checkAttrs("provider "+p.Name, p.Attributes)
	pp := p
	r.providers[p.Name] = &pp
}

func checkAttrs(owner string, attrs []Attribute) {
	seen := map[string]bool{}
	for _, a := range attrs {
		if a.Name == "" || a.Type == cty.NilType {
			panic(fmt.Sprintf("providers: %s: attribute without name or type", owner))
		}
		if seen[a.Name] {
			panic(fmt.Sprintf("providers: %s: attribute %q declared twice", owner, a.Name))
		}
		seen[a.Name] = true
		if a.Default != cty.NilVal && a.Required {
			panic(fmt.Sprintf("providers: %s: required attribute %q has a default", owner, a.Name))
		}
	}
}

// Kind returns the registered kind, or an *UnknownError listing the known
// kinds of that class.
func (r *Registry) Kind(class Class, name string) (*Kind, error) {
	if k, ok := r.kinds[class][name]; ok {
		return k, nil
	}
	return nil, &UnknownError{What: string(class) + " kind", Name: name, Known: r.KindNames(class)}
}

// Kinds returns the kinds of a class sorted by name.
func (r *Registry) Kinds(class Class) []*Kind {
	out := make([]*Kind, 0, len(r.kinds[class]))
	for _, k := range r.kinds[class] {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// KindNames returns the names of the kinds of a class, sorted.
func (r *Registry) KindNames(class Class) []string {
	var names []string
	for _, k := range r.Kinds(class) {
		names = append(names, k.Name)
	}
	return names
}

// Provider returns the registered provider type, or an *UnknownError.
func (r *Registry) Provider(name string) (*ProviderType, error) {
	if p, ok := r.providers[name]; ok {
		return p, nil
	}
	return nil, &UnknownError{What: "provider type", Name: name, Known: r.ProviderNames()}
}

// Providers returns the provider types sorted by name.
func (r *Registry) Providers() []*ProviderType {
	out := make([]*ProviderType, 0, len(r.providers))
	for _, p := range r.providers {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ProviderNames returns the names of the provider types, sorted.
func (r *Registry) ProviderNames() []string {
	var names []string
	for _, p := range r.Providers() {
		names = append(names, p.Name)
	}
	return names
}
