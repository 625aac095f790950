package policy_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/policy"
)

func TestStateS3(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{"p.hcl": failbackHCL("web", `"web"`, `"x:1"`) + `
state "s3" {
  bucket       = "fbctl-state"
  prefix       = "team/prod"
  region       = "eu-west-1"
  endpoint_url = "http://127.0.0.1:9000"
  profile      = "ops"
}
`})
	p := mustLoad(t, newLoader(policy.Options{}), filepath.Join(dir, "p.hcl"))
	want := &policy.S3State{Bucket: "fbctl-state", Prefix: "team/prod", Region: "eu-west-1",
		EndpointURL: "http://127.0.0.1:9000", Profile: "ops"}
	if p.State.Type != "s3" || p.State.Path != "" {
		t.Fatalf("state = %s %q, want s3 and no path", p.State.Type, p.State.Path)
	}
	if d := cmp.Diff(want, p.State.S3); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestStateS3NeedsBucket(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{"p.hcl": failbackHCL("web", `"web"`, `"x:1"`) + "state \"s3\" {\n  prefix = \"x\"\n}\n"})
	_, diags := newLoader(policy.Options{}).Load(filepath.Join(dir, "p.hcl"))
	if d := cmp.Diff([]string{"error: Missing required argument"}, summaries(diags)); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

// assume_role must be an IAM role ARN, at validate, with file:line.
func TestStateS3AssumeRole(t *testing.T) {
	for role, want := range map[string][]string{
		"arn:aws:iam::123456789012:role/fbctl-state":  nil,
		"arn:aws-cn:iam::123456789012:role/ops/fbctl": nil,
		"fbctl-state":                          {"error: Invalid assume_role"},
		"arn:aws:iam::123:role/x":              {"error: Invalid assume_role"},
		"arn:aws:iam::123456789012:user/fbctl": {"error: Invalid assume_role"},
	} {
		dir := writeFiles(t, t.TempDir(), map[string]string{"p.hcl": failbackHCL("web", `"web"`, `"x:1"`) +
			"state \"s3\" {\n  bucket = \"b-1\"\n  assume_role = \"" + role + "\"\n}\n"})
		p, diags := newLoader(policy.Options{}).Load(filepath.Join(dir, "p.hcl"))
		if d := cmp.Diff(want, summaries(diags)); d != "" {
			t.Fatalf("assume_role %q (-want +got):\n%s", role, d)
		}
		if want == nil && p.State.S3.AssumeRole != role {
			t.Fatalf("AssumeRole = %q", p.State.S3.AssumeRole)
		}
		if want != nil && !strings.Contains(diags[0].Subject.String(), "p.hcl:") {
			t.Fatalf("no file:line: %v", diags[0].Subject)
		}
	}
}
