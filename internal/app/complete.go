package app

import (
	"slices"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fbctl/fbctl/policy"
)

// FailbackNames returns the names of the failbacks in the policy g names
// (-f, FBCTL_POLICY or ./fbctl.hcl), sorted, for shell completion; none
// when the policy cannot be read or parsed. It loads in validate mode, so
// env() and missing Terraform outputs are unknown and nothing is reached
// over the network; it reads no stdin (--tf-outputs is ignored: the shell
// owns the terminal) and logs nothing.
//
// A policy that parses but does not validate (a required variable without
// a value, as when its secret is given only at run time, or a mistake
// being fixed at 3 a.m.) still names its failbacks: their labels are read
// from the parsed files.
func FailbackNames(g Global) []string {
	g.TFOutputs = ""
	g.Logger = nil
	res := g.loadPolicy(IO{}, policy.ModeValidate)
	var names []string
	if res.policy != nil && !res.diags.HasErrors() {
		for _, fb := range res.policy.Failbacks {
			names = append(names, fb.Name)
		}
	} else {
		names = failbackLabels(res.loader.Files())
	}
	sort.Strings(names)
	// Two files may declare the same failback (validate would say so).
	return slices.Compact(names)
}

// failbackSchema finds the failback blocks of a policy file and nothing
// else.
var failbackSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "failback", LabelNames: []string{"name"}}}}

// failbackLabels returns the labels of the failback blocks of files; none
// when a file is missing or does not parse, since a parser that recovered
// from an error may have read a block from the wrong place.
func failbackLabels(files map[string]*hcl.File) []string {
	var names []string
	for name, f := range files {
		if f == nil {
			return nil
		}
		// The loader's parse may have failed; parse again to know.
		parsed, diags := hclsyntax.ParseConfig(f.Bytes, name, hcl.InitialPos)
		if diags.HasErrors() {
			return nil
		}
		content, _, diags := parsed.Body.PartialContent(failbackSchema)
		if diags.HasErrors() {
			return nil
		}
		for _, b := range content.Blocks {
			names = append(names, b.Labels[0])
		}
	}
	return names
}
