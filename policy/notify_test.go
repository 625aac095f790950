package policy_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/policy"
)

const notifyHCL = `
variable "token" {
  type      = string
  sensitive = true
}

notify "webhook" "ops" {
  url     = "https://hooks.example.com/fbctl"
  events  = ["rollback", "complete"]
  headers = {
    Authorization = "Bearer ${var.token}"
    X-Env         = env("FBCTL_ENV")
    X-Team        = "sre"
  }
  format  = "slack"
  timeout = "3s"
}

notify "webhook" "all" {
  url = env("HOOK_URL")
}
` + "\n"

// TestNotifyDecoded: the notify blocks as the commands that send get them:
// defaults, which header values are sensitive, and nothing unknown.
func TestNotifyDecoded(t *testing.T) {
	l := newLoader(policy.Options{Mode: policy.ModeRun, Vars: []string{"token=tok-5ecret-value"},
		LookupEnv: envMap(map[string]string{"FBCTL_ENV": "production-env", "HOOK_URL": "https://h.example.com/T1/B2/abcdef"})})
	p, diags := l.LoadSources(policy.Source{Filename: "n.hcl", Bytes: []byte(notifyHCL + failbackHCL("web", `"web"`, `"dc1.example.com:443"`))})
	if diags.HasErrors() {
		t.Fatalf("load: %s", describeDiags(diags))
	}
	if len(p.Notify) != 2 {
		t.Fatalf("%d notify blocks, want 2", len(p.Notify))
	}
	ops, all := p.Notify[0], p.Notify[1]
	if ops.Name != "ops" || ops.Format != "slack" || ops.Timeout != 3*time.Second || ops.Unknown || ops.URLSensitive {
		t.Errorf("ops = %+v", ops)
	}
	if diff := cmp.Diff([]string{"rollback", "complete"}, ops.Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	wantHeaders := map[string]string{"Authorization": "Bearer tok-5ecret-value", "X-Env": "production-env", "X-Team": "sre"}
	if diff := cmp.Diff(wantHeaders, ops.Headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"Authorization": true, "X-Env": true}, ops.SensitiveHeaders); diff != "" {
		t.Errorf("sensitive headers (-want +got):\n%s", diff)
	}
	if all.Format != "json" || all.Timeout != policy.DefaultNotifyTimeout || !all.URLSensitive ||
		!cmp.Equal(all.Events, policy.NotifyEvents) {
		t.Errorf("all = %+v: want the defaults, and the URL from env() sensitive", all)
	}
	// The loader redacts every sensitive value it saw.
	for _, secret := range []string{"tok-5ecret-value", "production-env", "https://h.example.com/T1/B2/abcdef"} {
		if got := l.Redact("x " + secret + " y"); strings.Contains(got, secret) {
			t.Errorf("Redact kept %q: %s", secret, got)
		}
	}
}

// TestNotifyValidateUnknown: validate judges what it knows and takes what
// depends on env() or a missing variable as unknown; nothing it prints
// holds a header's value.
func TestNotifyValidateUnknown(t *testing.T) {
	l := newLoader(policy.Options{Mode: policy.ModeValidate})
	p, diags := l.LoadSources(policy.Source{Filename: "n.hcl", Bytes: []byte(notifyHCL + failbackHCL("web", `"web"`, `"dc1.example.com:443"`))})
	if diags.HasErrors() {
		t.Fatalf("validate: %s", describeDiags(diags))
	}
	if !p.Notify[0].Unknown || !p.Notify[1].Unknown {
		t.Errorf("unknown values not flagged: %+v %+v", p.Notify[0], p.Notify[1])
	}
}

// TestNotifyErrorsHideValues: a bad header value that is sensitive is
// reported without its text, in messages and snippets.
func TestNotifyErrorsHideValues(t *testing.T) {
	src := `
variable "token" {
  type      = string
  sensitive = true
  default   = "line1-secret\nline2-secret"
}
notify "webhook" "ops" {
  url     = "https://hooks.example.com/fbctl"
  headers = { Authorization = var.token }
}
` + failbackHCL("web", `"web"`, `"dc1.example.com:443"`)
	l := newLoader(policy.Options{Mode: policy.ModeRun})
	_, diags := l.LoadSources(policy.Source{Filename: "n.hcl", Bytes: []byte(src)})
	if !diags.HasErrors() {
		t.Fatal("a header value with a line break loaded")
	}
	var buf bytes.Buffer
	if err := policy.WriteText(&buf, diags, l.Files(), 0, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "secret") {
		t.Errorf("a sensitive header value was printed:\n%s", buf.String())
	}
}
