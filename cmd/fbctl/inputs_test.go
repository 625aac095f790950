//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/fbctl/fbctl/internal/app"
	"github.com/fbctl/fbctl/policy"
)

// inputPolicy is a valid policy; with file set, its backend is read by
// file() from that path.
func inputPolicy(file string) string {
	backend := `"app"`
	if file != "" {
		backend = fmt.Sprintf("file(%q)", file)
	}
	return `
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "127.0.0.1:1"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = ` + backend + `
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
`
}

// secretContent fills the oversized files; no refusal may show it.
const secretContent = "CONTENT-NEVER-SHOWN "

// endlessReader is a standard input that never ends.
type endlessReader struct{}

func (endlessReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestHostileInputs runs validate with each input that must be refused on
// each path fbctl reads from: an endless device, a FIFO without a writer
// (the test hangs if its open blocks), a file over the input's limit, a
// directory and procfs files (regular files of size 0 to stat). Each is
// exit 3 naming the flag or the file, without any of its content.
func TestHostileInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	policyFile := write("policy.hcl", inputPolicy(""))
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	oversized := func(limit int) string {
		return write(fmt.Sprintf("big-%d", limit), strings.Repeat(secretContent, limit/len(secretContent)+1))
	}
	hostile := []struct{ name, path string }{
		{"dev zero", "/dev/zero"},
		{"FIFO", fifo},
		{"directory", sub},
	}
	if runtime.GOOS == "linux" {
		hostile = append(hostile,
			struct{ name, path string }{"proc environ", "/proc/self/environ"},
			struct{ name, path string }{"proc status", "/proc/self/status"})
	}

	// routes are the ways an input reaches fbctl: each returns the
	// arguments that feed it path, and what the refusal must name.
	type route struct {
		name  string
		limit int
		args  func(t *testing.T, path string) (args []string, names string)
	}
	routes := []route{
		{"-f", policy.MaxPolicyFileSize, func(t *testing.T, p string) ([]string, string) {
			return []string{"validate", "-f", p}, p
		}},
		{"-f DIR", policy.MaxPolicyFileSize, func(t *testing.T, p string) ([]string, string) {
			d := t.TempDir()
			entry := filepath.Join(d, "a.hcl")
			if err := os.Symlink(p, entry); err != nil {
				t.Fatal(err)
			}
			return []string{"validate", "-f", d}, entry
		}},
		{"--var-file", policy.MaxVarFileSize, func(t *testing.T, p string) ([]string, string) {
			return []string{"validate", "-f", policyFile, "--var-file", p}, "--var-file " + p
		}},
		{"--tf-outputs", app.MaxTFOutputsSize, func(t *testing.T, p string) ([]string, string) {
			return []string{"validate", "-f", policyFile, "--tf-outputs", p}, "--tf-outputs " + p
		}},
		{"file()", 4 << 20, func(t *testing.T, p string) ([]string, string) {
			pf := filepath.Join(t.TempDir(), "policy.hcl")
			if err := os.WriteFile(pf, []byte(inputPolicy(p)), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"validate", "-f", pf}, p
		}},
		{"fmt", policy.MaxPolicyFileSize, func(t *testing.T, p string) ([]string, string) {
			return []string{"fmt", "-check", p}, p
		}},
	}
	for _, r := range routes {
		inputs := append(hostile, struct{ name, path string }{"too large", oversized(r.limit)})
		for _, in := range inputs {
			if r.name == "-f" && in.path == sub {
				continue // -f DIR is a policy directory; "-f DIR" covers a directory in one
			}
			if r.name == "fmt" && in.path == sub {
				continue // fmt DIR formats the directory's files
			}
			t.Run(r.name+" "+in.name, func(t *testing.T) {
				args, names := r.args(t, in.path)
				code, stderr := runIn(t, nil, args...)
				if code != app.ExitInvalid || !strings.Contains(stderr, names) {
					t.Errorf("fbctl %s: exit %d, stderr %q; want exit 3 naming %q", strings.Join(args, " "), code, stderr, names)
				}
				if strings.Contains(stderr, secretContent) || strings.Contains(stderr, "PATH=") {
					t.Errorf("fbctl %s shows the input's content: %q", strings.Join(args, " "), stderr)
				}
			})
		}
	}

	// Standard input: --tf-outputs - and fmt - read through the limit.
	for _, args := range [][]string{{"validate", "-f", policyFile, "--tf-outputs", "-"}, {"fmt", "-"}} {
		t.Run(strings.Join(args, " ")+" endless", func(t *testing.T) {
			code, stderr := runIn(t, endlessReader{}, args...)
			if code != app.ExitInvalid || !strings.Contains(stderr, "larger than") {
				t.Errorf("fbctl %s < endless: exit %d, stderr %q; want exit 3, larger than", strings.Join(args, " "), code, stderr)
			}
		})
	}
	t.Run("--tf-outputs - over the limit", func(t *testing.T) {
		in := strings.NewReader(strings.Repeat(secretContent, app.MaxTFOutputsSize/len(secretContent)+1))
		code, stderr := runIn(t, in, "validate", "-f", policyFile, "--tf-outputs", "-")
		if code != app.ExitInvalid || !strings.Contains(stderr, "--tf-outputs stdin: larger than 16 MiB") || strings.Contains(stderr, secretContent) {
			t.Errorf("exit %d, stderr %q; want exit 3, --tf-outputs stdin: larger than 16 MiB", code, stderr)
		}
	})
	// And the policy itself is fine: the refusals above are the inputs'.
	if code, stderr := runIn(t, nil, "validate", "-f", policyFile); code != app.ExitOK {
		t.Fatalf("validate of the plain policy: exit %d: %s", code, stderr)
	}
}
