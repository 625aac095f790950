package policy_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/policy"
)

func TestStateGCS(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{"p.hcl": failbackHCL("web", `"web"`, `"x:1"`) + `
state "gcs" {
  bucket                      = "fbctl-state"
  prefix                      = "team/prod"
  credentials_file            = "/etc/fbctl/gcs.json"
  impersonate_service_account = "fbctl@proj.iam.gserviceaccount.com"
}
`})
	p := mustLoad(t, newLoader(policy.Options{}), filepath.Join(dir, "p.hcl"))
	want := &policy.GCSState{Bucket: "fbctl-state", Prefix: "team/prod", CredentialsFile: "/etc/fbctl/gcs.json",
		ImpersonateServiceAccount: "fbctl@proj.iam.gserviceaccount.com"}
	if p.State.Type != "gcs" || p.State.Path != "" || p.State.S3 != nil {
		t.Fatalf("state = %s %q %v, want gcs, no path, no s3", p.State.Type, p.State.Path, p.State.S3)
	}
	if d := cmp.Diff(want, p.State.GCS); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestStateGCSNeedsBucket(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{"p.hcl": failbackHCL("web", `"web"`, `"x:1"`) + "state \"gcs\" {\n  prefix = \"x\"\n}\n"})
	_, diags := newLoader(policy.Options{}).Load(filepath.Join(dir, "p.hcl"))
	if d := cmp.Diff([]string{"error: Missing required argument"}, summaries(diags)); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

// The bucket rules of GCS, which differ from S3's: '_' is allowed, dotted
// names may be longer, "goog" and "google" are reserved.
func TestStateGCSBucketNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"fbctl-state": true, "fbctl_state": true, "a.b.c": true, "abc": true,
		"ab": false, "-abc": false, "abc_": false, "Abc": false, "goog-state": false, "my-g00gle": false,
		"10.0.0.1": false, "a..b": false, "a." + strings.Repeat("b", 63): true, strings.Repeat("b", 64): false,
	} {
		dir := writeFiles(t, t.TempDir(), map[string]string{"p.hcl": failbackHCL("web", `"web"`, `"x:1"`) +
			"state \"gcs\" {\n  bucket = \"" + name + "\"\n}\n"})
		_, diags := newLoader(policy.Options{}).Load(filepath.Join(dir, "p.hcl"))
		if diags.HasErrors() == ok {
			t.Errorf("bucket %q: diagnostics %v, want ok=%v", name, diags, ok)
		}
	}
}
