// Package docgen renders the reference of every provider type, target kind
// and check kind from the registry, so docs/reference.md documents exactly
// the schemas the binary validates against. A test keeps that file in step.
package docgen

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// Begin and End delimit the generated part of docs/reference.md.
const (
	Begin = "<!-- BEGIN GENERATED REFERENCE: go test ./internal/docgen -update -->"
	End   = "<!-- END GENERATED REFERENCE -->"
)

// Markdown returns the reference of reg as Markdown.
func Markdown(reg *providers.Registry) string {
	var b strings.Builder
	b.WriteString("## Provider types\n\n")
	for _, p := range reg.Providers() {
		fmt.Fprintf(&b, "### `provider %q \"NAME\"`\n\n%s\n\n", p.Name, p.Doc)
		table(&b, p.Attributes)
	}
	for _, class := range []providers.Class{providers.ClassTarget, providers.ClassCheck} {
		fmt.Fprintf(&b, "## %s kinds\n\n", strings.ToUpper(string(class[:1]))+string(class[1:]))
		for _, k := range reg.Kinds(class) {
			fmt.Fprintf(&b, "### `%s %q \"NAME\"`\n\n%s", class, k.Name, k.Doc)
			if k.Provider != "" {
				fmt.Fprintf(&b, " Needs a `%s` provider (`provider = %s.NAME`; optional when exactly one is declared).", k.Provider, k.Provider)
			}
			b.WriteString("\n\n")
			table(&b, k.Attributes)
			for _, g := range k.ExactlyOneOf {
				fmt.Fprintf(&b, "Exactly one of `%s` must be set.\n\n", strings.Join(g, "`, `"))
			}
		}
	}
	return b.String()
}

func table(b *strings.Builder, attrs []providers.Attribute) {
	b.WriteString("| argument | type | default | meaning |\n|---|---|---|---|\n")
	for _, a := range attrs {
		def := "—"
		switch {
		case a.Required:
			def = "required"
		case a.Default != cty.NilVal:
			def = "`" + literal(a.Default) + "`"
		}
		doc := a.Doc
		if a.Sensitive {
			doc += " Sensitive."
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", a.Name, typeexpr.TypeString(a.Type), def, strings.ReplaceAll(doc, "|", "\\|"))
	}
	b.WriteString("\n")
}

// literal renders a default value in HCL syntax.
func literal(v cty.Value) string {
	switch {
	case v.IsNull():
		return "null"
	case v.Type() == cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case v.Type() == cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case v.Type() == cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case v.CanIterateElements():
		var parts []string
		isMap := v.Type().IsMapType() || v.Type().IsObjectType()
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if isMap {
				parts = append(parts, fmt.Sprintf("%s = %s", k.AsString(), literal(e)))
			} else {
				parts = append(parts, literal(e))
			}
		}
		if isMap {
			return "{" + strings.Join(parts, ", ") + "}"
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return v.GoString()
}
