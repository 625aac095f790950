//go:build unix

package policy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/fbctl/fbctl/policy"
)

// contentMarker fills the oversized file; it must never show up in a diagnostic.
const contentMarker = "NOT-FOR-DIAGNOSTICS "

// hostileInput is a path that a bounded read must refuse, and a word the
// refusal says.
type hostileInput struct {
	name, path, want string
}

// hostileInputs makes, in a fresh directory, one of each input that must
// never be read: an endless device, a FIFO with no writer (an open that
// would block forever), a regular file over limit bytes, a directory, and
// procfs files that stat as regular files of size 0.
func hostileInputs(t *testing.T, limit int) []hostileInput {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat(contentMarker, limit/len(contentMarker)+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	ins := []hostileInput{
		{"dev zero", "/dev/zero", "character device"},
		{"FIFO", fifo, "FIFO"},
		{"too large", big, "larger than"},
		{"directory", sub, "directory"},
	}
	if runtime.GOOS == "linux" {
		ins = append(ins,
			hostileInput{"proc environ", "/proc/self/environ", "procfs"},
			hostileInput{"proc status", "/proc/self/status", "procfs"})
	}
	return ins
}

// refusal returns the one error diagnostic of diags, failing the test when
// there is none, or when any diagnostic holds content that was read.
func refusal(t *testing.T, diags hcl.Diagnostics) *hcl.Diagnostic {
	t.Helper()
	var found *hcl.Diagnostic
	for _, d := range diags {
		text := d.Summary + " " + d.Detail
		if strings.Contains(text, contentMarker) || strings.Contains(text, "PATH=") {
			t.Errorf("diagnostic shows the input's content: %s", text)
		}
		if d.Severity == hcl.DiagError && found == nil {
			found = d
		}
	}
	if found == nil {
		t.Fatalf("no error; diagnostics: %v", summaries(diags))
	}
	return found
}

// TestLoadRefusesHostilePolicyFiles: -f FILE and a *.hcl entry of an -f
// directory are read through the policy file limit and refused unless
// regular.
func TestLoadRefusesHostilePolicyFiles(t *testing.T) {
	for _, in := range hostileInputs(t, policy.MaxPolicyFileSize) {
		t.Run("-f "+in.name, func(t *testing.T) {
			if in.want == "directory" {
				t.Skip("-f DIR is a policy directory: TestLoadDirectory")
			}
			_, diags := newLoader(policy.Options{}).Load(in.path)
			d := refusal(t, diags)
			if d.Summary != "Cannot read policy file" || !strings.Contains(d.Detail, in.path) || !strings.Contains(d.Detail, in.want) {
				t.Errorf("got %q: %q; want Cannot read policy file naming %s and %q", d.Summary, d.Detail, in.path, in.want)
			}
		})
		t.Run("-f DIR with "+in.name, func(t *testing.T) {
			// The entry is a link, or the directory itself, named *.hcl:
			// the glob of an -f directory matches names, not contents.
			dir := t.TempDir()
			entry := filepath.Join(dir, "a.hcl")
			if err := os.Symlink(in.path, entry); err != nil {
				t.Fatal(err)
			}
			_, diags := newLoader(policy.Options{}).Load(dir)
			d := refusal(t, diags)
			if d.Summary != "Cannot read policy file" || !strings.Contains(d.Detail, entry) || !strings.Contains(d.Detail, in.want) {
				t.Errorf("got %q: %q; want Cannot read policy file naming %s and %q", d.Summary, d.Detail, entry, in.want)
			}
		})
	}
}

// TestLoadRefusesHostileVarFiles: --var-file is read through its limit and
// refused unless regular, whatever its extension.
func TestLoadRefusesHostileVarFiles(t *testing.T) {
	pol := writeFiles(t, t.TempDir(), map[string]string{"policy.hcl": failbackHCL("web", `"app"`, `"x:1"`)})
	for _, in := range hostileInputs(t, policy.MaxVarFileSize) {
		for _, ext := range []string{"", ".json"} {
			t.Run(in.name+ext, func(t *testing.T) {
				path := in.path
				if ext != "" {
					path = filepath.Join(t.TempDir(), "vars"+ext)
					if err := os.Symlink(in.path, path); err != nil {
						t.Fatal(err)
					}
				}
				_, diags := newLoader(policy.Options{VarFiles: []string{path}}).Load(filepath.Join(pol, "policy.hcl"))
				d := refusal(t, diags)
				if d.Summary != "Cannot read variable file" || !strings.Contains(d.Detail, "--var-file "+path) || !strings.Contains(d.Detail, in.want) {
					t.Errorf("got %q: %q; want Cannot read variable file naming --var-file %s and %q", d.Summary, d.Detail, path, in.want)
				}
			})
		}
	}
}

// TestFileFunctionRefusesHostileFiles: file() in a policy refuses the same
// inputs, also through a symbolic link (into /proc, for one), which it
// resolves before reading.
func TestFileFunctionRefusesHostileFiles(t *testing.T) {
	for _, in := range hostileInputs(t, 4<<20) {
		want := "is not a regular file"
		if in.want == "larger than" {
			want = "is larger than"
		}
		for _, link := range []bool{false, true} {
			name := in.name
			if link {
				name += " through a link"
			}
			t.Run(name, func(t *testing.T) {
				path := in.path
				dir := t.TempDir()
				if link {
					path = "data.txt"
					if err := os.Symlink(in.path, filepath.Join(dir, path)); err != nil {
						t.Fatal(err)
					}
				}
				writeFiles(t, dir, map[string]string{"policy.hcl": failbackHCL("web", fmt.Sprintf("file(%q)", path), `"x:1"`)})
				_, diags := newLoader(policy.Options{Mode: policy.ModeRun}).Load(filepath.Join(dir, "policy.hcl"))
				d := refusal(t, diags)
				if !strings.Contains(d.Detail, want) {
					t.Errorf("got %q: %q; want %q", d.Summary, d.Detail, want)
				}
			})
		}
	}
}
