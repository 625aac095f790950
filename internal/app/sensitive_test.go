package app

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	varSecret = "s3cr3t-var-value-8c1f"
	tfSecret  = "tf-s3cr3t-output-5b2e"
)

// TestSensitiveValuesNeverPrinted plants a sensitive variable and a
// sensitive Terraform output, uses them where they produce errors and where
// they are valid, and asserts that neither value appears in any output,
// diagnostic (text or JSON) or log line.
func TestSensitiveValuesNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	invalid := write("invalid.hcl", `
variable "key" {
  type      = string
  sensitive = true
}
provider "libdns" "dns" {
  driver = "rfc2136"
  config = { server = "127.0.0.1:53", key_name = "k", key = var.key, bogus = var.key }
}
failback "f" {
  primary   = "a"
  secondary = "b"
  check "http" "c" {
    url      = "https://example.com/${var.key}"
    interval = var.key
    timeout  = tf.token
    method   = upper(var.key)
  }
  check "tcp" "d" {
    address = jsondecode(var.key)
    of      = tf.token
  }
  target "dns_rrset" "r" {
    zone      = "example.com"
    name      = var.key
    type      = tf.token
    primary   = [var.key]
    secondary = [tf.token]
  }
  rollout {
    bake     = "${var.key}m"
    on_drift = tf.token
    approval = sensitive("x${var.key}")
  }
}
`)
	valid := write("valid.hcl", `
variable "key" {
  type      = string
  sensitive = true
}
provider "libdns" "dns" {
  driver = "rfc2136"
  config = { server = "127.0.0.1:53", key_name = "k", key = var.key }
}
failback "f" {
  primary   = "a"
  secondary = "b"
  check "http" "c" { url = "https://example.com/?t=${tf.token}" }
  target "dns_rrset" "r" {
    zone      = "example.com"
    name      = "www"
    primary   = ["192.0.2.1"]
    secondary = ["192.0.2.2"]
  }
}
`)
	outputs := write("outputs.json", `{"token": {"sensitive": true, "type": "string", "value": "`+tfSecret+`"}}`)

	for _, policyFile := range []string{invalid, valid} {
		for _, output := range []string{OutputText, OutputJSON} {
			for _, logFormat := range []string{"text", "json"} {
				var stdout, stderr bytes.Buffer
				logger, err := NewLogger(&stderr, "debug", logFormat)
				if err != nil {
					t.Fatal(err)
				}
				g := &Global{
					Policies:  []string{policyFile},
					Output:    output,
					Vars:      []string{"key=" + varSecret},
					TFOutputs: outputs,
					Logger:    logger,
					LookupEnv: func(string) (string, bool) { return "", false },
				}
				err = Validate(IO{Out: &stdout, ErrOut: &stderr}, ValidateOptions{Global: g})
				name := filepath.Base(policyFile) + "/" + output + "/" + logFormat
				wantCode := ExitOK
				if policyFile == invalid {
					wantCode = ExitInvalid
				}
				if CodeOf(err) != wantCode {
					t.Errorf("%s: exit %d, want %d\nstderr:\n%s", name, CodeOf(err), wantCode, stderr.String())
				}
				all := stdout.String() + stderr.String()
				for _, secret := range []string{varSecret, tfSecret, strings.ToUpper(varSecret)} {
					if strings.Contains(all, secret) {
						t.Errorf("%s: %q was printed:\n%s", name, secret, all)
					}
				}
				if policyFile == invalid && !strings.Contains(all, "diagnostic") {
					t.Errorf("%s: the debug log shows no diagnostics, so the test proves nothing about logs:\n%s", name, all)
				}
			}
		}
	}
}

func TestNewLoggerRejectsBadSettings(t *testing.T) {
	if _, err := NewLogger(nil, "loud", "text"); CodeOf(err) != ExitInvalid {
		t.Errorf("level: %v", err)
	}
	if _, err := NewLogger(nil, "info", "xml"); CodeOf(err) != ExitInvalid {
		t.Errorf("format: %v", err)
	}
	var buf bytes.Buffer
	l, err := NewLogger(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("log = %q", buf.String())
	}
	_ = slog.LevelInfo
}
