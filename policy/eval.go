package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// buildContext prepares the root evaluation context once the variables are
// resolved. tf is unknown when no outputs were given: ModeValidate checks
// everything else, and ModeRun reports each reference (see checkRefs).
func (l *Loader) buildContext() {
	vars := map[string]cty.Value{}
	for n, v := range l.vars {
		vars[n] = v.Value
	}
	tf := cty.DynamicVal
	if l.opts.TFOutputs != nil {
		tf = cty.ObjectVal(l.opts.TFOutputs)
		for _, v := range l.opts.TFOutputs {
			if IsSensitive(v) {
				l.secrets.add(v)
			}
		}
	}
	fns := pureFunctions()
	fns["env"] = envFunc(l.opts.Mode, l.opts.LookupEnv)
	l.rootCtx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars), "tf": tf},
		Functions: fns,
	}
}

// ctxFor returns the context for expressions of one file: file() resolves
// paths against that file's directory.
func (l *Loader) ctxFor(filename string) *hcl.EvalContext {
	if c, ok := l.fileCtx[filename]; ok {
		return c
	}
	c := l.rootCtx.NewChild()
	dir, ok := l.sourceDirs[filename]
	if !ok {
		dir = l.firstDir
	}
	c.Functions = map[string]function.Function{"file": fileFunc(dir)}
	l.fileCtx[filename] = c
	return c
}

// eval evaluates expr and converts the result to ty. Problems with
// references are reported with their own messages before evaluation, and
// the value is then unknown so that nothing else is reported about it.
func (l *Loader) eval(expr hcl.Expression, ty cty.Type, what string) (cty.Value, hcl.Diagnostics) {
	if diags := l.checkRefs(expr); diags.HasErrors() {
		return cty.UnknownVal(ty), diags
	}
	val, diags := expr.Value(l.ctxFor(expr.Range().Filename))
	if diags.HasErrors() {
		fixUnknownFunction(diags)
		hideSensitiveArguments(diags)
		return cty.UnknownVal(ty), diags
	}
	if IsSensitive(val) {
		l.secrets.add(val)
	}
	if ty == cty.DynamicPseudoType {
		return val, diags
	}
	cv, err := convert.Convert(val, ty)
	if err != nil {
		return cty.UnknownVal(ty), append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for " + what,
			Detail:   fmt.Sprintf("%s must be %s: %s.", what, typeDesc(ty), convErr(err)),
			Subject:  rangePtr(expr.Range()),
		})
	}
	return cv, diags
}

func typeDesc(ty cty.Type) string {
	switch {
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "true or false"
	default:
		return "of type " + typeexpr.TypeString(ty)
	}
}

// checkRefs reports references to undeclared variables, missing Terraform
// outputs and unknown namespaces.
func (l *Loader) checkRefs(expr hcl.Expression) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		rng := tr.SourceRange()
		name, hasName := traversalName(tr)
		switch root {
		case "var":
			if !hasName {
				diags = append(diags, refError("Invalid reference", "var must be followed by a variable name, as in var.zone_id.", rng))
				continue
			}
			if _, ok := l.vars[name]; !ok {
				diags = append(diags, refError("Reference to undeclared variable",
					fmt.Sprintf("No variable named %q is declared; add a variable %q block.%s", name, name, didYouMean(name, l.varNames())), rng))
			}
		case "tf":
			if !hasName {
				diags = append(diags, refError("Invalid reference", "tf must be followed by a Terraform output name, as in tf.listener_arn.", rng))
				continue
			}
			if l.opts.TFOutputs == nil {
				if l.opts.Mode == ModeRun {
					diags = append(diags, refError("Missing Terraform output",
						fmt.Sprintf("tf.%s is referenced, but no Terraform outputs were given: pass --tf-outputs FILE (the JSON of `terraform output -json`).", name), rng))
				}
				continue
			}
			if _, ok := l.opts.TFOutputs[name]; !ok {
				var names []string
				for n := range l.opts.TFOutputs {
					names = append(names, n)
				}
				sort.Strings(names)
				diags = append(diags, refError("Missing Terraform output",
					fmt.Sprintf("tf.%s is referenced, but %s has no output named %q.%s", name, l.tfSource(), name, didYouMean(name, names)), rng))
			}
		default:
			diags = append(diags, refError("Unknown reference",
				fmt.Sprintf("There is nothing named %q here: references start with var. (variables) or tf. (Terraform outputs).%s", root, didYouMean(root, []string{"var", "tf"})), rng))
		}
	}
	return diags
}

func (l *Loader) tfSource() string {
	if l.opts.TFOutputsSource != "" {
		return l.opts.TFOutputsSource
	}
	return "the Terraform outputs"
}

func (l *Loader) varNames() []string {
	names := make([]string, 0, len(l.vars))
	for n := range l.vars {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// traversalName returns the attribute (or string index) that follows the
// root of a traversal: "x" in var.x and tf["x"].
func traversalName(tr hcl.Traversal) (string, bool) {
	if len(tr) < 2 {
		return "", false
	}
	switch s := tr[1].(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

func refError(summary, detail string, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rangePtr(rng)}
}

// fixUnknownFunction gives "Call to unknown function" a deterministic
// "did you mean" over every function: HCL suggests only from the innermost
// context's functions (file() alone here), and takes the first close name
// in map order rather than the closest.
func fixUnknownFunction(diags hcl.Diagnostics) {
	for _, d := range diags {
		call, ok := d.Expression.(*hclsyntax.FunctionCallExpr)
		if !ok || d.Summary != "Call to unknown function" || strings.Contains(call.Name, "::") {
			continue
		}
		d.Detail = fmt.Sprintf("There is no function named %q.%s", call.Name, didYouMean(call.Name, FunctionNames()))
	}
}

// hideSensitiveArguments replaces the Detail of a function's error when an
// argument of the call is sensitive: the functions' own messages may quote
// their arguments (regex() quotes its pattern, tonumber() its string), and
// a secret shorter than three characters escapes redaction.
func hideSensitiveArguments(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity != hcl.DiagError || d.Expression == nil || d.EvalContext == nil {
			continue
		}
		switch d.Summary {
		case "Error in function call":
			call, ok := d.Expression.(*hclsyntax.FunctionCallExpr)
			if !ok {
				continue
			}
			for _, arg := range call.Args {
				if v, _ := arg.Value(d.EvalContext); IsSensitive(v) {
					d.Detail = fmt.Sprintf("Call to function %q failed; an argument is %s, so the error, which may quote it, is not shown.", call.Name, sensitiveWhat(v))
					break
				}
			}
		case "Invalid function argument":
			if v, _ := d.Expression.Value(d.EvalContext); IsSensitive(v) {
				d.Detail = fmt.Sprintf("The function rejects this argument; it is %s, so the error, which may quote it, is not shown.", sensitiveWhat(v))
			}
		}
	}
}

// sensitiveWhat says what a sensitive value is without showing it: its
// origin when it came from file() or env(), "sensitive" otherwise.
func sensitiveWhat(v cty.Value) string {
	if o := originOf(v); o != "" {
		return "from " + o
	}
	return "sensitive"
}
