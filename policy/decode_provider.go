package policy

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fbctl/fbctl/providers"
)

func (l *Loader) decodeProviders(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.providers = map[string]*Provider{}
	l.badProviders = map[string]bool{}
	for _, b := range blocks {
		typ, name := b.Labels[0], b.Labels[1]
		pt, err := l.opts.Registry.Provider(typ)
		if err != nil {
			l.badProviders[typ+"."+name] = true
			known := l.opts.Registry.ProviderNames()
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown provider type",
				Detail:   fmt.Sprintf("No provider type %q exists.%s Known provider types: %s.", typ, didYouMean(typ, known), strings.Join(known, ", ")),
				Subject:  rangePtr(b.LabelRanges[0]),
			})
			continue
		}
		if d := checkIdentifier("provider", name, b.LabelRanges[1]); d != nil {
			diags = append(diags, d)
			continue
		}
		addr := typ + "." + name
		if prev, dup := l.providers[addr]; dup {
			diags = append(diags, duplicate("provider", addr, b.LabelRanges[1], prev.DeclRange))
			continue
		}
		content, d := b.Body.Content(kindSchema(pt.Attributes))
		diags = append(diags, d...)
		p := &Provider{Type: typ, Name: name, DeclRange: b.DefRange}
		l.providers[addr] = p
		if content == nil {
			continue
		}
		cfg, d := l.decodeConfig(pt.Attributes, content, b.DefRange, nil, pt.Validate)
		diags = append(diags, d...)
		p.Config = cfg
	}
	return diags
}

func (l *Loader) lookupKind(class providers.Class, name string, rng hcl.Range) (*providers.Kind, hcl.Diagnostics) {
	k, err := l.opts.Registry.Kind(class, name)
	if err == nil {
		return k, nil
	}
	known := l.opts.Registry.KindNames(class)
	return nil, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Unknown %s kind", class),
		Detail:   fmt.Sprintf("No %s kind %q exists.%s Known %s kinds: %s.", class, name, didYouMean(name, known), class, strings.Join(known, ", ")),
		Subject:  rangePtr(rng),
	}}
}

// resolveProvider resolves a Terraform-style provider reference statically.
// Without a reference, the one provider of the needed type is used; none or
// several is an error.
func (l *Loader) resolveProvider(kind *providers.Kind, attr *hcl.Attribute, b *hcl.Block) (*Provider, hcl.Diagnostics) {
	what := fmt.Sprintf("%s %ss", kind.Name, kind.Class)
	if attr == nil {
		var found []*Provider
		for _, p := range l.sortedProviders() {
			if p.Type == kind.Provider {
				found = append(found, p)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Missing provider",
				Detail:   fmt.Sprintf("%s need %s provider, and none is declared. Add a provider %q \"NAME\" block.", what, withArticle(kind.Provider), kind.Provider),
				Subject:  rangePtr(b.DefRange),
			}}
		default:
			var addrs []string
			for _, p := range found {
				addrs = append(addrs, p.Addr())
			}
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Ambiguous provider",
				Detail:   fmt.Sprintf("Several %s providers are declared (%s); say which with provider = %s.", kind.Provider, strings.Join(addrs, ", "), addrs[0]),
				Subject:  rangePtr(b.DefRange),
			}}
		}
	}
	rng := attr.Expr.Range()
	tr, d := hcl.AbsTraversalForExpr(attr.Expr)
	if d.HasErrors() || len(tr) != 2 {
		detail := fmt.Sprintf("A provider reference is a bare TYPE.NAME address, as in provider = %s.prod.", kind.Provider)
		if _, isTemplate := attr.Expr.(*hclsyntax.TemplateExpr); isTemplate {
			detail += " Remove the quotes: it is a reference, not a string."
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid provider reference", Detail: detail, Subject: &rng}}
	}
	typ := tr.RootName()
	step, ok := tr[1].(hcl.TraverseAttr)
	if !ok {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid provider reference",
			Detail: fmt.Sprintf("A provider reference is a bare TYPE.NAME address, as in provider = %s.prod.", kind.Provider), Subject: &rng}}
	}
	addr := typ + "." + step.Name
	p, ok := l.providers[addr]
	if !ok && l.badProviders[addr] {
		// Declared with an unknown type, which is reported at the block.
		return nil, nil
	}
	if !ok {
		var addrs []string
		for _, p := range l.sortedProviders() {
			addrs = append(addrs, p.Addr())
		}
		detail := fmt.Sprintf("No provider %q %q is declared.", typ, step.Name)
		if s := didYouMean(addr, addrs); s != "" {
			detail += s
		} else if len(addrs) > 0 {
			detail += " Declared providers: " + strings.Join(addrs, ", ") + "."
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Reference to undeclared provider", Detail: detail, Subject: &rng}}
	}
	if p.Type != kind.Provider {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Provider of the wrong type",
			Detail:   fmt.Sprintf("%s need %s provider; %s is %s provider.", what, withArticle(kind.Provider), addr, withArticle(p.Type)),
			Subject:  &rng,
		}}
	}
	return p, nil
}

func (l *Loader) sortedProviders() []*Provider {
	out := make([]*Provider, 0, len(l.providers))
	for _, p := range l.providers {
		out = append(out, p)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Addr() < out[j-1].Addr(); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
