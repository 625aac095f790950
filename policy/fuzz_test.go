package policy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/policy"
)

// FuzzLoad feeds arbitrary bytes through parse, evaluation and validation,
// in both modes. Nothing may panic; a policy comes back only without errors,
// and every error has a summary.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.hcl", "testdata/invalid/*.hcl", "../examples/*/*.hcl"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`failback "x" { primary = "a" secondary = "b" check "http" "c" { url = "http://a" } target "haproxy_backend" "t" { runtime_api = "/s" backend = "b" primary = ["a"] secondary = ["b"] } }`))
	// Regressions: sensitive values in places that used to panic when read
	// without unmarking.
	f.Add([]byte(`failback "x" { primary = sensitive("a") secondary = "b" rollout { steps = [5, sensitive(10), 100] } target "haproxy_backend" "t" { runtime_api = sensitive("/s") backend = "b" primary = [sensitive("a")] secondary = ["b"] max_weight = sensitive(3) } }`))
	f.Add([]byte(`state "file" { path = sensitive("x") }
provider "libdns" "d" { driver = sensitive("rfc2136") config = { server = sensitive("a") } }
failback "x" { primary = "a" secondary = "b" check "http" "c" { url = "http://a" expect_status = [sensitive(200)] } target "dns_rrset" "t" { zone = "z" name = "n" ttl = sensitive(60) primary = ["a"] secondary = ["b"] } }`))
	reg := kinds.Registry()
	noEnv := func(string) (string, bool) { return "", false }
	f.Fuzz(func(t *testing.T, src []byte) {
		// A hang is a bug too: turn it into a recorded crasher.
		wd := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("SLOW INPUT %q", src)) })
		defer wd.Stop()
		for _, mode := range []policy.Mode{policy.ModeValidate, policy.ModeRun} {
			l := policy.NewLoader(policy.Options{Registry: reg, Mode: mode, LookupEnv: noEnv})
			p, diags := l.LoadSources(policy.Source{Filename: "fuzz.hcl", Bytes: src})
			if diags.HasErrors() && p != nil {
				t.Fatalf("a policy came back with errors: %v", diags)
			}
			for _, d := range diags {
				if d.Summary == "" {
					t.Fatalf("diagnostic without summary: %#v", d)
				}
			}
			_ = policy.JSONDiagnostics(diags, l.Files())
		}
		_, _, _ = policy.Format("fuzz.hcl", src)
	})
}

// FuzzParseTFOutputs feeds arbitrary bytes to the Terraform outputs reader.
func FuzzParseTFOutputs(f *testing.F) {
	if b, err := os.ReadFile("../examples/terraform/outputs.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"a":{"sensitive":true,"type":["list","string"],"value":["x"]}}`))
	f.Add([]byte(`{"a":{"type":["object",{"k":"number"}],"value":{"k":1}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		outs, diags := policy.ParseTFOutputs("fuzz.json", data)
		if diags.HasErrors() && outs != nil {
			t.Fatal("outputs came back with errors")
		}
	})
}
