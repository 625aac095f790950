package policy

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/fbctl/fbctl/providers"
)

// decodeTarget decodes a target block of a failback: its kind, its name
// and the kind's attributes, checked by the kind's static verdict.
func (d *fbDecoder) decodeTarget(b *hcl.Block) (*Target, hcl.Diagnostics) {
	l := d.l
	kindName, name := b.Labels[0], b.Labels[1]
	kind, diags := l.lookupKind(providers.ClassTarget, kindName, b.LabelRanges[0])
	if kind == nil {
		return nil, diags
	}
	if dd := checkName("target", name, b.LabelRanges[1]); dd != nil {
		return nil, hcl.Diagnostics{dd}
	}
	t := &Target{Kind: kindName, Name: name, DeclRange: b.DefRange}

	mp := misplaced{attrs: map[string]string{
		"of": "A target steers traffic between both sides; of belongs in check blocks.",
	}}
	for _, n := range checkAttributes {
		if n != "of" && n != "timeout" {
			mp.attrs[n] = fmt.Sprintf("The argument %q belongs in a check block, not a target.", n)
		}
	}
	var extra []string
	if kind.Provider == "" {
		mp.attrs["provider"] = fmt.Sprintf("%s targets take no provider: everything they need is in the block.", kindName)
	} else {
		extra = append(extra, "provider")
	}
	body, d1 := withoutMisplaced(b.Body, mp)
	diags = append(diags, d1...)
	content, d2 := body.Content(kindSchema(kind.Attributes, extra...))
	diags = append(diags, d2...)
	if content == nil {
		return nil, diags
	}
	if kind.Provider != "" {
		p, dd := l.resolveProvider(kind, content.Attributes["provider"], b)
		diags = append(diags, dd...)
		t.Provider = p
	}
	cfg, dd := l.decodeConfig(kind.Attributes, content, b.DefRange, kind.ExactlyOneOf, kind.Validate)
	diags = append(diags, dd...)
	t.Config = cfg
	if !dd.HasErrors() {
		for _, p := range providers.SidesProblems(cfg) {
			diags = append(diags, attrError(content.Attributes[p.Attr], hideLong(p.Summary, cfg), hideLong(p.Detail, cfg)))
		}
	}
	t.attrRanges = make(map[string]hcl.Range, len(content.Attributes))
	for n, a := range content.Attributes {
		t.attrRanges[n] = a.Expr.Range()
	}
	t.decoded = !diags.HasErrors()
	return t, diags
}
