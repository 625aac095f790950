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

// TestPolicyExamples checks every ```hcl block of README.md and of every
// docs/**/*.md, so the documentation cannot drift from the language: a
// block that holds a failback is loaded as a whole policy and must load
// without an error or a warning; any other block (a provider, target or check on its own) must be
// well-formed HCL.
func TestPolicyExamples(t *testing.T) {
	env := func(k string) (string, bool) {
		if strings.HasPrefix(k, policy.VarEnvPrefix) {
			return "Z0123456789", true
		}
		return "", false
	}
	policies := 0
	for _, name := range docFiles(t) {
		for _, blk := range hclBlocks(readDoc(t, name)) {
			where := fmt.Sprintf("%s:%d", name, blk.line)
			if !strings.Contains(blk.src, "failback ") {
				if _, diags := hclsyntax.ParseConfig([]byte(blk.src), where, hcl.InitialPos); diags.HasErrors() {
					t.Errorf("%s: the hcl snippet does not parse: %s", where, diags.Error())
				}
				continue
			}
			policies++
			l := policy.NewLoader(policy.Options{Registry: kinds.Registry(), LookupEnv: env})
			_, diags := l.LoadSources(policy.Source{Filename: where, Bytes: []byte(blk.src)})
			for _, d := range diags {
				t.Errorf("%s", d.Error())
			}
		}
	}
	if policies == 0 {
		t.Fatal("README.md and docs/ have no hcl policy example")
	}
}
