package policy_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/policy"
)

// TestGatesDecoded: the gates of testdata/valid/gates.hcl as the commands
// get them: a check kind with its timeout and config, and a webhook with
// its sensitive header flagged and its timeout; the check decoder's
// settings stay out of a gate.
func TestGatesDecoded(t *testing.T) {
	src, err := os.ReadFile("testdata/valid/gates.hcl")
	if err != nil {
		t.Fatal(err)
	}
	l := newLoader(policy.Options{Mode: policy.ModeRun})
	p, diags := l.LoadSources(policy.Source{Filename: "gates.hcl", Bytes: src})
	if diags.HasErrors() {
		t.Fatalf("load: %s", describeDiags(diags))
	}
	fb := p.Failback("web")
	if len(fb.Gates) != 2 || len(fb.Checks) != 1 {
		t.Fatalf("%d gates, %d checks", len(fb.Gates), len(fb.Checks))
	}
	smoke, signoff := fb.Gates[0], fb.Gates[1]
	if smoke.Kind != "http" || smoke.Name != "smoke" || smoke.Webhook != nil || smoke.Check == nil ||
		smoke.Check.Timeout != 3*time.Second || smoke.Check.Config.GetAttr("url").AsString() != "https://dc1.example.com/smoke" {
		t.Errorf("smoke = %+v", smoke)
	}
	w := signoff.Webhook
	if signoff.Kind != "webhook" || signoff.Check != nil || w == nil || w.URL != "https://signoff.example.com/fbctl" ||
		w.Timeout != 20*time.Second || w.Unknown {
		t.Fatalf("signoff = %+v", signoff)
	}
	if diff := cmp.Diff(map[string]string{"Authorization": "Bearer gate-s3cr3t-value"}, w.Headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if !w.SensitiveHeaders["Authorization"] {
		t.Error("the header from a sensitive variable is not flagged sensitive")
	}
	if got := l.Redact("x Bearer gate-s3cr3t-value"); strings.Contains(got, "s3cr3t") {
		t.Errorf("the loader's redaction keeps the gate's secret: %q", got)
	}
}

// TestGateWebhookDefaults: a webhook gate without a timeout waits 10s.
func TestGateWebhookDefaults(t *testing.T) {
	gate := `
  gate "webhook" "signoff" {
    url = "https://signoff.example.com/"
  }
`
	src := strings.Replace(failbackHCL("web", `"web"`, `"dc1.example.com:443"`), "  target ", gate+"  target ", 1)
	p, diags := newLoader(policy.Options{Mode: policy.ModeRun}).LoadSources(policy.Source{Filename: "g.hcl", Bytes: []byte(src)})
	if diags.HasErrors() {
		t.Fatalf("load: %s", describeDiags(diags))
	}
	gs := p.Failbacks[0].Gates
	if len(gs) != 1 || gs[0].Webhook.Timeout != policy.DefaultGateTimeout || len(gs[0].Webhook.Headers) != 0 {
		t.Fatalf("gates = %+v", gs)
	}
}
