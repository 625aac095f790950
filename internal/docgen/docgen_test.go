package docgen_test

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fbctl/fbctl/internal/docgen"
	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/policy"
)

var update = flag.Bool("update", false, "rewrite the generated reference in docs/reference.md")

// root is the repository root, seen from this package's directory.
const root = "../.."

// reference is the file that holds the generated reference.
var reference = filepath.Join(root, "docs", "reference.md")

// TestReference fails when docs/reference.md's generated reference differs
// from the registry: a schema changed without its documentation. With
// -update it rewrites the part between the markers.
func TestReference(t *testing.T) {
	b, err := os.ReadFile(reference)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, docgen.Begin)
	j := strings.Index(text, docgen.End)
	if i < 0 || j < i {
		t.Fatalf("docs/reference.md lacks the %q ... %q markers", docgen.Begin, docgen.End)
	}
	got := text[i+len(docgen.Begin) : j]
	want := "\n" + docgen.Markdown(kinds.Registry())
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(reference, []byte(text[:i+len(docgen.Begin)]+want+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/reference.md is stale; run go test ./internal/docgen -update (-file +registry):\n%s", cmp.Diff(got, want))
}

// TestREADMEHasNoGeneratedReference keeps the generated reference in one
// place: README.md is the front page and links to docs/reference.md.
func TestREADMEHasNoGeneratedReference(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), docgen.Begin) {
		t.Errorf("README.md holds the generated reference; it belongs in docs/reference.md")
	}
}

// docFiles returns README.md and every Markdown file under docs/, as paths
// relative to the repository root with forward slashes.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files[1:])
	if len(files) < 2 {
		t.Fatal("no Markdown files under docs/")
	}
	return files
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hclBlock is one ```hcl fence of a Markdown file.
type hclBlock struct {
	line int // of the opening fence, 1-based
	src  string
}

func hclBlocks(text string) []hclBlock {
	var out []hclBlock
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```hcl" {
			continue
		}
		start := i
		var src []string
		for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
			src = append(src, lines[i])
		}
		out = append(out, hclBlock{line: start + 1, src: strings.Join(src, "\n") + "\n"})
	}
	return out
}

// TestPolicyExamples loads every ```hcl block of README.md and of every
// docs/**/*.md, so the documentation cannot drift from the language. A
// block that holds a failback is a whole policy and must load without an
// error or a warning. Any other block is a fragment (a provider, variable,
// target or check on its own): it is completed into a policy (see
// completeFragment) and must load without an error; warnings are not
// reported for it, since they may come from the made-up rollout around it.
func TestPolicyExamples(t *testing.T) {
	env := func(k string) (string, bool) {
		if strings.HasPrefix(k, policy.VarEnvPrefix) {
			return "Z0123456789", true
		}
		return "", false
	}
	policies, fragments := 0, 0
	for _, name := range docFiles(t) {
		for _, blk := range hclBlocks(readDoc(t, name)) {
			where := fmt.Sprintf("%s:%d", name, blk.line)
			src, whole := blk.src, strings.Contains(blk.src, "failback ")
			if whole {
				policies++
			} else {
				fragments++
				var err error
				if src, err = completeFragment(where, blk.src); err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
			}
			l := policy.NewLoader(policy.Options{Registry: kinds.Registry(), LookupEnv: env})
			_, diags := l.LoadSources(policy.Source{Filename: where, Bytes: []byte(src)})
			for _, d := range diags {
				if whole || d.Severity == hcl.DiagError {
					if whole {
						t.Errorf("%s", d.Error())
					} else {
						t.Errorf("%s (the fragment, completed):\n%s", d.Error(), src)
					}
				}
			}
		}
	}
	if policies == 0 || fragments == 0 {
		t.Fatalf("README.md and docs/ have %d hcl policy examples and %d fragments: the block finder is broken", policies, fragments)
	}
}

// fragmentProviders is the body of a provider block that completeFragment
// declares for a reference (aws.NAME, ...) the fragment does not declare.
var fragmentProviders = map[string]string{
	"aws":    `region = "us-east-1"`,
	"gcp":    `project = "acme-prod"`,
	"libdns": `driver = "rfc2136"` + "\n" + `config = { server = "127.0.0.1:53", key_name = "k", key = "a2V5" }`,
}

// completeFragment turns an hcl fragment of the docs into a policy: its
// target and check blocks go into a failback, its other top-level blocks
// (provider, variable, state) and arguments (schedule) stay at the top, and what it refers to but
// does not declare (var.NAME, aws.NAME, gcp.NAME, libdns.NAME) is declared
// with placeholder values. The failback gets a tcp check of the primary,
// and a haproxy_backend target when the fragment has none.
func completeFragment(where, src string) (string, error) {
	f, diags := hclsyntax.ParseConfig([]byte(src), where, hcl.InitialPos)
	if diags.HasErrors() {
		return "", fmt.Errorf("the hcl snippet does not parse: %s", diags.Error())
	}
	body := f.Body.(*hclsyntax.Body)
	declared := map[string]bool{}
	var top, inner []string
	// Top-level arguments (schedule) stay at the top; the loader judges
	// whether the policy language has them.
	for _, a := range body.Attributes {
		top = append(top, string(a.SrcRange.SliceBytes([]byte(src))))
	}
	hasTarget := false
	for _, b := range body.Blocks {
		text := string(b.Range().SliceBytes([]byte(src)))
		switch b.Type {
		case "target", "check":
			hasTarget = hasTarget || b.Type == "target"
			inner = append(inner, text)
		default:
			if b.Type == "provider" && len(b.Labels) == 2 {
				declared[b.Labels[0]+"."+b.Labels[1]] = true
			}
			if b.Type == "variable" && len(b.Labels) == 1 {
				declared["var."+b.Labels[0]] = true
			}
			top = append(top, text)
		}
	}
	var refs []string
	hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		e, ok := n.(*hclsyntax.ScopeTraversalExpr)
		if !ok || len(e.Traversal) < 2 {
			return nil
		}
		a, ok := e.Traversal[1].(hcl.TraverseAttr)
		if !ok {
			return nil
		}
		ref := e.Traversal.RootName() + "." + a.Name
		if !declared[ref] {
			declared[ref] = true
			refs = append(refs, ref)
		}
		return nil
	})
	var b strings.Builder
	for _, ref := range refs {
		kind, name, _ := strings.Cut(ref, ".")
		if kind == "var" {
			fmt.Fprintf(&b, "variable %q { type = string }\n", name)
		} else if cfg, ok := fragmentProviders[kind]; ok {
			fmt.Fprintf(&b, "provider %q %q {\n%s\n}\n", kind, name, cfg)
		}
	}
	for _, t := range top {
		b.WriteString(t + "\n")
	}
	b.WriteString("failback \"doc-fragment\" {\n  primary   = \"doc-primary\"\n  secondary = \"doc-secondary\"\n")
	b.WriteString("  check \"tcp\" \"doc-fragment-primary\" { address = \"127.0.0.1:1\" }\n")
	if !hasTarget {
		b.WriteString("  target \"haproxy_backend\" \"doc-fragment\" {\n    runtime_api = \"127.0.0.1:1\"\n    backend = \"doc\"\n    primary = [\"p\"]\n    secondary = [\"s\"]\n  }\n")
	}
	for _, in := range inner {
		b.WriteString(in + "\n")
	}
	b.WriteString("}\n")
	return b.String(), nil
}
