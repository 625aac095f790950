package policy

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in canonical layout (hclwrite's, as `terraform fmt`).
// A file with syntax errors is not formatted: the errors come back instead,
// because formatting broken input can move code in surprising ways.
// The parsed file is returned for rendering diagnostics with snippets.
func Format(filename string, src []byte) ([]byte, *hcl.File, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, f, diags
	}
	return hclwrite.Format(src), f, nil
}
