package gcp_test

import (
	"os"
	"testing"

	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/policy"
	"github.com/fbctl/fbctl/providers"
)

// The example policy of the README's gcp section validates, and every
// gcp kind it uses has behaviour attached.
func TestExamplePolicyValidates(t *testing.T) {
	src, err := os.ReadFile("testdata/example.hcl")
	if err != nil {
		t.Fatal(err)
	}
	reg := kinds.Registry()
	l := policy.NewLoader(policy.Options{Registry: reg, Mode: policy.ModeValidate})
	if _, diags := l.LoadSources(policy.Source{Filename: "example.hcl", Bytes: src}); diags.HasErrors() {
		t.Fatalf("the example policy does not validate: %s", diags.Error())
	}
	for _, name := range []string{"gcp_url_map", "gcp_backend_capacity"} {
		k, err := reg.Kind(providers.ClassTarget, name)
		if err != nil || k.NewTarget == nil {
			t.Errorf("target kind %s: %v, NewTarget set %v", name, err, k != nil && k.NewTarget != nil)
		}
	}
	if k, err := reg.Kind(providers.ClassCheck, "gcp_backend_health"); err != nil || k.NewCheck == nil {
		t.Errorf("check kind gcp_backend_health: %v", err)
	}
}
