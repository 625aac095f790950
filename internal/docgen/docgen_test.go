package docgen_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/docgen"
	"github.com/fbctl/fbctl/internal/kinds"
)

var update = flag.Bool("update", false, "rewrite the generated reference in README.md")

const readme = "../../README.md"

// TestREADMEReference fails when README.md's generated reference differs
// from the registry: a schema changed without its documentation.
func TestREADMEReference(t *testing.T) {
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, docgen.Begin)
	j := strings.Index(text, docgen.End)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", docgen.Begin, docgen.End)
	}
	got := text[i+len(docgen.Begin) : j]
	want := "\n" + docgen.Markdown(kinds.Registry())
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(readme, []byte(text[:i+len(docgen.Begin)]+want+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md reference is stale; run go test ./internal/docgen -update (-README +registry):\n%s", cmp.Diff(got, want))
}
