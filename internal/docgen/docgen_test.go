package docgen_test

import (
	"fmt"

	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/docgen"
	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/policy"
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

// TestREADMEPolicyExamples validates every ```hcl block of README.md that
// holds a failback, so the documentation cannot drift from the language.
func TestREADMEPolicyExamples(t *testing.T) {
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "```hcl\n")[1:]
	checked := 0
	for i, blk := range blocks {
		src := blk[:strings.Index(blk, "```")]
		if !strings.Contains(src, "failback ") {
			continue
		}
		checked++
		env := func(k string) (string, bool) {
			if strings.HasPrefix(k, policy.VarEnvPrefix) {
				return "Z0123456789", true
			}
			return "", false
		}
		l := policy.NewLoader(policy.Options{Registry: kinds.Registry(), LookupEnv: env})
		_, diags := l.LoadSources(policy.Source{Filename: fmt.Sprintf("README.md block %d", i+1), Bytes: []byte(src)})
		for _, d := range diags {
			t.Errorf("%s", d.Error())
		}
	}
	if checked == 0 {
		t.Fatal("README.md has no hcl policy example")
	}
}
