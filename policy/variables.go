package policy

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/fbctl/fbctl/internal/safeio"
)

func quoteGo(s string) string { return strconv.Quote(s) }

// assignment is one value given for a variable, and where it came from.
type assignment struct {
	value  cty.Value
	raw    *string // set for string sources parsed against the type later
	source string
	rng    *hcl.Range
}

func (l *Loader) resolveVariables(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.vars = map[string]*Variable{}
	for _, b := range blocks {
		name := b.Labels[0]
		if d := checkIdentifier("variable", name, b.LabelRanges[0]); d != nil {
			diags = append(diags, d)
			continue
		}
		if prev, dup := l.vars[name]; dup {
			diags = append(diags, duplicate("variable", name, b.LabelRanges[0], prev.DeclRange))
			continue
		}
		v, d := decodeVariable(b)
		diags = append(diags, d...)
		l.vars[name] = v
		if v.Sensitive {
			if content, _, _ := b.Body.PartialContent(variableSchema); content != nil {
				if attr, ok := content.Attributes["default"]; ok {
					l.mask(attr.Expr)
				}
			}
		}
	}

	given := map[string]assignment{}

	// Lowest precedence first: environment, then files, then --var.
	names := make([]string, 0, len(l.vars))
	for n := range l.vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if raw, ok := l.opts.LookupEnv(VarEnvPrefix + n); ok {
			r := raw
			given[n] = assignment{raw: &r, source: "the environment variable " + VarEnvPrefix + n}
		}
	}
	for _, path := range l.opts.VarFiles {
		diags = append(diags, l.readVarFile(path, given)...)
	}
	for i, kv := range l.opts.Vars {
		name, raw, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			diags = append(diags, malformedVar(i+1, ok))
			continue
		}
		if _, declared := l.vars[name]; !declared {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("A variable named %q was assigned with --var, but the policy declares no such variable.%s", name, didYouMean(name, names)),
			})
			continue
		}
		r := raw
		given[name] = assignment{raw: &r, source: "--var " + name}
	}

	for _, n := range names {
		v := l.vars[n]
		a, ok := given[n]
		switch {
		case ok:
			val, d := assignedValue(v, a)
			diags = append(diags, d...)
			v.Value = val
		case v.Value != cty.NilVal:
			// The default, already converted.
		case l.opts.Mode.lenient():
			// As terraform validate: a variable without a value is
			// unknown, and everything that does not depend on it is
			// still checked. A pipeline can validate a policy without
			// holding its secrets; plan and the run commands need them.
			v.Value = cty.UnknownVal(v.Type)
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail: fmt.Sprintf("The variable %q has no default, so it needs a value: --var %s=..., a --var-file, or the environment variable %s%s.",
					n, n, VarEnvPrefix, n),
				Subject: rangePtr(v.DeclRange),
			})
			v.Value = cty.UnknownVal(v.Type)
		}
		if v.Sensitive {
			v.Value = v.Value.Mark(Sensitive)
		}
		if IsSensitive(v.Value) {
			l.secrets.add(v.Value)
		}
	}
	return diags
}

// malformedVar reports the k-th --var option (1-based), which has no "="
// (hasEq false) or nothing before it. No part of the option is shown: it
// may be a secret given without its "NAME=", and even a prefix of a secret
// gives too much away.
func malformedVar(k int, hasEq bool) *hcl.Diagnostic {
	problem := `has no "="`
	if hasEq {
		problem = `has no name before "="`
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid --var option",
		Detail:   fmt.Sprintf("The --var option takes NAME=VALUE; the value given as --var number %d %s (it is not shown, in case it is a secret).", k, problem),
	}
}

func decodeVariable(b *hcl.Block) (*Variable, hcl.Diagnostics) {
	v := &Variable{Name: b.Labels[0], Type: cty.DynamicPseudoType, DeclRange: b.DefRange}
	content, diags := b.Body.Content(variableSchema)
	if content == nil {
		return v, diags
	}
	if attr, ok := content.Attributes["type"]; ok {
		ty, d := typeexpr.TypeConstraint(attr.Expr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			v.Type = ty
		}
	}
	if attr, ok := content.Attributes["description"]; ok {
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if s, err := convert.Convert(val, cty.String); err == nil && s.IsKnown() && !s.IsNull() {
			v.Description = s.AsString()
		} else if !d.HasErrors() {
			diags = append(diags, attrError(attr, "Invalid description", "description must be a string."))
		}
	}
	if attr, ok := content.Attributes["sensitive"]; ok {
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if bv, err := convert.Convert(val, cty.Bool); err == nil && bv.IsKnown() && !bv.IsNull() {
			v.Sensitive = bv.True()
		} else if !d.HasErrors() {
			diags = append(diags, attrError(attr, "Invalid sensitive", "sensitive must be true or false."))
		}
	}
	if attr, ok := content.Attributes["default"]; ok {
		val, d := attr.Expr.Value(nil)
		if d.HasErrors() {
			for _, dd := range d {
				if dd.Summary == "Variables not allowed" || dd.Summary == "Function calls not allowed" {
					dd.Detail = "A variable's default must be a literal value: it cannot refer to other variables or call functions."
				}
			}
			diags = append(diags, d...)
			// The variable has a default, just a broken one: say so once,
			// not again as "no value for required variable".
			v.Value = cty.UnknownVal(v.Type)
			return v, diags
		}
		cv, err := convert.Convert(val, v.Type)
		if err != nil {
			diags = append(diags, attrError(attr, "Invalid default value for variable",
				fmt.Sprintf("The default does not match the variable's type %s: %s.", typeexpr.TypeString(v.Type), convErr(err))))
			v.Value = cty.UnknownVal(v.Type)
			return v, diags
		}
		v.Value = cv
	}
	return v, diags
}

// readVarFile reads one --var-file into given. The file is parsed with
// l.varParser, never l.parser: any line of a variable file may hold a
// secret, and the files of l.parser are what Files hands to the renderers of
// diagnostics for source snippets. Diagnostics about a variable file keep
// their file, line and column, but come out without a snippet.
func (l *Loader) readVarFile(path string, given map[string]assignment) hcl.Diagnostics {
	src, err := safeio.ReadFile(path, MaxVarFileSize)
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read variable file",
			Detail:   fmt.Sprintf("--var-file %s: %s.", path, readError(err, "variable file")),
		}}
	}
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.EqualFold(filepath.Ext(path), ".json") {
		f, diags = l.varParser.ParseJSON(src, path)
	} else {
		f, diags = l.varParser.ParseHCL(src, path)
	}
	if diags.HasErrors() || f == nil {
		return diags
	}
	attrs, d := f.Body.JustAttributes()
	diags = append(diags, d...)
	declared := make([]string, 0, len(l.vars))
	for n := range l.vars {
		declared = append(declared, n)
	}
	sort.Strings(declared)
	for name, attr := range attrs {
		if _, ok := l.vars[name]; !ok {
			// Terraform warns here rather than failing: one file often
			// serves several policies.
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("The file assigns %q, but the policy declares no such variable.%s", name, didYouMean(name, declared)),
				Subject:  rangePtr(attr.NameRange),
			})
			continue
		}
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		given[name] = assignment{value: val, source: path, rng: rangePtr(attr.Expr.Range())}
	}
	SortDiagnostics(diags)
	return diags
}

// assignedValue converts a given value to the variable's type. Strings from
// the command line and the environment are taken literally for string
// variables and parsed as HCL expressions otherwise, as Terraform does.
func assignedValue(v *Variable, a assignment) (cty.Value, hcl.Diagnostics) {
	val := a.value
	if a.raw != nil {
		if v.Type == cty.String || v.Type == cty.DynamicPseudoType {
			val = cty.StringVal(*a.raw)
		} else {
			expr, d := hclsyntax.ParseExpression([]byte(*a.raw), "value of var."+v.Name, hcl.InitialPos)
			if d.HasErrors() {
				return cty.UnknownVal(v.Type), hcl.Diagnostics{{
					Severity: hcl.DiagError,
					Summary:  "Invalid value for variable",
					Detail:   fmt.Sprintf("The value for var.%s from %s is not a valid %s expression.", v.Name, a.source, typeexpr.TypeString(v.Type)),
				}}
			}
			var vd hcl.Diagnostics
			val, vd = expr.Value(nil)
			if vd.HasErrors() {
				return cty.UnknownVal(v.Type), hcl.Diagnostics{{
					Severity: hcl.DiagError,
					Summary:  "Invalid value for variable",
					Detail:   fmt.Sprintf("The value for var.%s from %s must be a literal %s.", v.Name, a.source, typeexpr.TypeString(v.Type)),
				}}
			}
		}
	}
	cv, err := convert.Convert(val, v.Type)
	if err != nil {
		return cty.UnknownVal(v.Type), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail:   fmt.Sprintf("The value for var.%s from %s does not match its type %s: %s.", v.Name, a.source, typeexpr.TypeString(v.Type), convErr(err)),
			Subject:  a.rng,
		}}
	}
	return cv, nil
}

func attrError(attr *hcl.Attribute, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  rangePtr(attr.Expr.Range()),
	}
}

// convErr renders a cty conversion error, which names paths and types but
// never values.
func convErr(err error) string {
	msg := err.Error()
	if pe, ok := err.(cty.PathError); ok && len(pe.Path) > 0 {
		return fmt.Sprintf("at %s: %s", pathString(pe.Path), msg)
	}
	return msg
}

func pathString(p cty.Path) string {
	var b strings.Builder
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			b.WriteString("." + s.Name)
		case cty.IndexStep:
			if s.Key.Type() == cty.String {
				b.WriteString("[" + quoteGo(s.Key.AsString()) + "]")
			} else if s.Key.Type() == cty.Number {
				b.WriteString("[" + s.Key.AsBigFloat().Text('f', -1) + "]")
			}
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}
