package policy

import (
	"fmt"
	"regexp"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

var topSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "schedule"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "state", LabelNames: []string{"type"}},
		{Type: "provider", LabelNames: []string{"type", "name"}},
		{Type: "failback", LabelNames: []string{"name"}},
		{Type: "notify", LabelNames: []string{"type", "name"}},
	},
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "default"},
		{Name: "description"},
		{Name: "sensitive"},
	},
}

var failbackSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "primary", Required: true},
		{Name: "secondary", Required: true},
		{Name: "description"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "check", LabelNames: []string{"kind", "name"}},
		{Type: "gate", LabelNames: []string{"kind", "name"}},
		{Type: "target", LabelNames: []string{"kind", "name"}},
		{Type: "rollout"},
	},
}

var rolloutSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "steps"},
		{Name: "bake"},
		{Name: "primary_healthy_for"},
		{Name: "on_unhealthy"},
		{Name: "cooldown"},
		{Name: "on_drift"},
		{Name: "approval"},
	},
}

// checkAttributes are the arguments every check block takes besides its
// kind's own.
var checkAttributes = []string{"of", "interval", "timeout", "healthy_threshold", "unhealthy_threshold", "samples", "evidence_ttl"}

// misplaced maps names that people commonly put in the wrong block to the
// message that says where they belong.
type misplaced struct {
	attrs  map[string]string
	blocks map[string]string
}

func rolloutAttrNames() []string {
	var names []string
	for _, a := range rolloutSchema.Attributes {
		names = append(names, a.Name)
	}
	return names
}

var (
	topMisplaced = func() misplaced {
		m := misplaced{attrs: map[string]string{}, blocks: map[string]string{
			"check":   "A check block belongs inside a failback block: checks judge one failback's sides.",
			"gate":    "A gate block belongs inside a failback block: gates are asked before one failback's raises.",
			"target":  "A target block belongs inside a failback block: targets steer one failback's traffic.",
			"rollout": "A rollout block belongs inside a failback block.",
		}}
		for _, n := range rolloutAttrNames() {
			m.attrs[n] = fmt.Sprintf("The argument %q belongs inside a rollout block, inside a failback block.", n)
		}
		for _, n := range []string{"primary", "secondary"} {
			m.attrs[n] = fmt.Sprintf("The argument %q belongs inside a failback block.", n)
		}
		return m
	}()
	failbackMisplaced = func() misplaced {
		m := misplaced{attrs: map[string]string{}, blocks: map[string]string{}}
		for _, n := range rolloutAttrNames() {
			m.attrs[n] = fmt.Sprintf("The argument %q belongs inside this failback's rollout block: rollout { %s = ... }.", n, n)
		}
		for _, n := range []string{"variable", "state", "provider", "failback", "notify"} {
			m.blocks[n] = fmt.Sprintf("A %s block belongs at the top level of a policy file, not inside a failback.", n)
		}
		for _, n := range checkAttributes {
			if n == "of" {
				continue
			}
			m.attrs[n] = fmt.Sprintf("The argument %q belongs inside a check block.", n)
		}
		return m
	}()
	rolloutMisplaced = misplaced{
		attrs: map[string]string{
			"primary":   "The argument \"primary\" belongs in the failback block, not in rollout.",
			"secondary": "The argument \"secondary\" belongs in the failback block, not in rollout.",
		},
		blocks: map[string]string{
			"check":  "A check block belongs directly in the failback block, not in rollout.",
			"gate":   "A gate block belongs directly in the failback block, not in rollout.",
			"target": "A target block belongs directly in the failback block, not in rollout.",
		},
	}
)

// withoutMisplaced reports every misplaced argument or block in body with
// its specific message and returns the body without them, so the schema
// decode that follows does not report them a second time.
func withoutMisplaced(body hcl.Body, m misplaced) (hcl.Body, hcl.Diagnostics) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return body, nil
	}
	var diags hcl.Diagnostics
	var attrs hclsyntax.Attributes
	for name, a := range sb.Attributes {
		if msg, bad := m.attrs[name]; bad {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Misplaced argument",
				Detail:   msg,
				Subject:  rangePtr(a.NameRange),
			})
			continue
		}
		if attrs == nil {
			attrs = hclsyntax.Attributes{}
		}
		attrs[name] = a
	}
	var blocks hclsyntax.Blocks
	for _, b := range sb.Blocks {
		if msg, bad := m.blocks[b.Type]; bad {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Misplaced block",
				Detail:   msg,
				Subject:  rangePtr(b.TypeRange),
			})
			continue
		}
		blocks = append(blocks, b)
	}
	if len(diags) == 0 {
		return body, nil
	}
	// Sort for stable output: map iteration order is random.
	SortDiagnostics(diags)
	nb := *sb
	nb.Attributes = attrs
	nb.Blocks = blocks
	return &nb, diags
}

// nameSuggestion returns the candidate closest to given, if it is close
// enough to be a likely typo (as HCL and Terraform do).
func nameSuggestion(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// namePattern restricts failback, check and target names: they appear in
// state file names, metrics labels and command lines.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

func checkName(what, name string, rng hcl.Range) *hcl.Diagnostic {
	if namePattern.MatchString(name) {
		return nil
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + what + " name",
		Detail:   fmt.Sprintf("A %s name must start with a letter or digit, hold only letters, digits, '_', '.' and '-', and be at most 63 characters; %q is not.", what, name),
		Subject:  rangePtr(rng),
	}
}

func checkIdentifier(what, name string, rng hcl.Range) *hcl.Diagnostic {
	if hclsyntax.ValidIdentifier(name) {
		return nil
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + what + " name",
		Detail:   fmt.Sprintf("A %s name must be a valid identifier (letters, digits, '_' and '-', not starting with a digit), because it is referenced in expressions; %q is not.", what, name),
		Subject:  rangePtr(rng),
	}
}

// topLevel collects the top-level blocks and arguments of every file.
type topLevel struct {
	schedules []*hcl.Attribute
	variables []*hcl.Block
	states    []*hcl.Block
	providers []*hcl.Block
	failbacks []*hcl.Block
	notifies  []*hcl.Block
}

func (t *topLevel) collect(body hcl.Body) hcl.Diagnostics {
	varFile := looksLikeVarFile(body)
	body, diags := withoutMisplaced(body, topMisplaced)
	content, d := body.Content(topSchema)
	for _, dd := range d {
		if varFile != "" && dd.Summary == "Unsupported argument" {
			dd.Summary = "Variable file among the policy files"
			dd.Detail = fmt.Sprintf("%s holds only arguments, as a variable file does, and a policy has no such argument. Pass it with --var-file %s, or name it *%s to have it loaded with its directory (or *%s to keep it out of the directory's policy files).",
				varFile, varFile, autoVarSuffix, varFileSuffix)
		}
	}
	diags = append(diags, d...)
	if content == nil {
		return diags
	}
	if a, ok := content.Attributes["schedule"]; ok {
		t.schedules = append(t.schedules, a)
	}
	for _, b := range content.Blocks {
		switch b.Type {
		case "variable":
			t.variables = append(t.variables, b)
		case "state":
			t.states = append(t.states, b)
		case "provider":
			t.providers = append(t.providers, b)
		case "failback":
			t.failbacks = append(t.failbacks, b)
		case "notify":
			t.notifies = append(t.notifies, b)
		}
	}
	return diags
}

// looksLikeVarFile returns the file name of a body that holds arguments and
// no block, other than the policy's own top-level arguments: the shape of a
// variable file put among the policy files (vars.hcl beside fbctl.hcl).
func looksLikeVarFile(body hcl.Body) string {
	sb, ok := body.(*hclsyntax.Body)
	if !ok || len(sb.Blocks) > 0 {
		return ""
	}
	for name, a := range sb.Attributes {
		if topSchemaHasAttribute(name) {
			continue
		}
		return a.SrcRange.Filename
	}
	return ""
}

func topSchemaHasAttribute(name string) bool {
	for _, a := range topSchema.Attributes {
		if a.Name == name {
			return true
		}
	}
	return false
}
