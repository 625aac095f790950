package policy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fbctl/fbctl/internal/kinds"
	"github.com/fbctl/fbctl/policy"
)

// generatedPolicy returns a policy with n failbacks of 3 checks and 2
// targets each, over two providers.
func generatedPolicy(n int) []byte {
	var b strings.Builder
	b.WriteString(`variable "zone_id" {
  type    = string
  default = "Z0123456789"
}
provider "aws" "prod" { region = "us-east-1" }
provider "gcp" "prod" { project = "acme" }
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `
failback "svc-%[1]d" {
  primary   = "aws"
  secondary = "gcp"
  check "http" "aws-%[1]d" {
    url      = "https://aws.svc-%[1]d.example.com/healthz"
    interval = "10s"
  }
  check "tcp" "aws-db-%[1]d" {
    address = "10.0.%[2]d.%[3]d:5432"
  }
  check "http" "gcp-%[1]d" {
    of  = "secondary"
    url = format("https://gcp.svc-%%d.example.com/healthz", %[1]d)
  }
  target "route53_weighted" "dns" {
    provider  = aws.prod
    zone_id   = var.zone_id
    name      = "svc-%[1]d.example.com"
    primary   = ["aws"]
    secondary = ["gcp"]
  }
  target "gcp_url_map" "lb" {
    provider  = gcp.prod
    url_map   = "svc-%[1]d"
    primary   = ["to-aws"]
    secondary = ["gcp"]
  }
  rollout {
    steps = [5, 10, 25, 50, 100]
    bake  = "10m"
  }
}
`, i, i/250, i%250)
	}
	return []byte(b.String())
}

// BenchmarkLoad1000 parses, evaluates and validates a policy of 1,000
// failbacks (3 checks and 2 targets each).
func BenchmarkLoad1000(b *testing.B) {
	src := generatedPolicy(1000)
	reg := kinds.Registry()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		l := policy.NewLoader(policy.Options{Registry: reg, LookupEnv: func(string) (string, bool) { return "", false }})
		p, diags := l.LoadSources(policy.Source{Filename: "big.hcl", Bytes: src})
		if diags.HasErrors() || len(p.Failbacks) != 1000 {
			b.Fatalf("load failed: %v", diags)
		}
	}
}

func TestGeneratedPolicyIsValid(t *testing.T) {
	l := policy.NewLoader(policy.Options{Registry: kinds.Registry(), LookupEnv: func(string) (string, bool) { return "", false }})
	p, diags := l.LoadSources(policy.Source{Filename: "big.hcl", Bytes: generatedPolicy(3)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(p.Failbacks) != 3 || len(p.Failbacks[2].Checks) != 3 || len(p.Failbacks[2].Targets) != 2 {
		t.Fatalf("unexpected shape: %d failbacks", len(p.Failbacks))
	}
}
