// Package examples holds fbctl's example policies; this test keeps every one
// of them valid.
package examples_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/policy"
)

// TestExamplesValidate validates every example directory as `fbctl
// validate -f DIR` would, once without Terraform outputs (tf.* unknown) and,
// where the directory has outputs.json, once with them. Required variables
// get a placeholder through FBCTL_VAR_name, as a pipeline would pass them.
func TestExamplesValidate(t *testing.T) {
	dirs, err := filepath.Glob("*")
	if err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		if strings.HasPrefix(k, policy.VarEnvPrefix) {
			return "placeholder", true
		}
		return "", false
	}
	n := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		if dir == "deploy" {
			// Recipes for running fbctl, not a policy; deploy_test.go
			// validates the policy its Kubernetes manifest carries.
			continue
		}
		n++
		t.Run(dir, func(t *testing.T) {
			opts := policy.Options{Registry: kinds.Registry(), LookupEnv: env}
			load := func(opts policy.Options) {
				t.Helper()
				l := policy.NewLoader(opts)
				p, diags := l.Load(dir)
				for _, d := range diags {
					t.Errorf("%s", d.Error())
				}
				if p == nil || len(p.Failbacks) == 0 {
					t.Fatalf("no failbacks in %s", dir)
				}
			}
			load(opts)
			outputs := filepath.Join(dir, "outputs.json")
			if b, err := os.ReadFile(outputs); err == nil {
				outs, diags := policy.ParseTFOutputs(outputs, b)
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				opts.TFOutputs, opts.TFOutputsSource = outs, outputs
				opts.Mode = policy.ModeRun
				load(opts)
			}
		})
	}
	if n < 3 {
		t.Fatalf("found %d example directories, want at least 3", n)
	}
}
