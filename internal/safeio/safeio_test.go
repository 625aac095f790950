//go:build unix

package safeio

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

const testLimit = 1 << 10

func TestReadFileRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ok")
	want := strings.Repeat("x", testLimit)
	if err := os.WriteFile(p, []byte(want), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(p, testLimit)
	if err != nil || string(got) != want {
		t.Fatalf("ReadFile at the limit = %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	// A symbolic link to a regular file is followed: policies are often
	// mounted through links (a Kubernetes ConfigMap's ..data).
	link := filepath.Join(dir, "link")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(link, testLimit); err != nil {
		t.Fatalf("ReadFile through a link: %v", err)
	}
}

// TestReadFileRefuses covers every input that must be refused: each would
// otherwise hang (a FIFO), never end (/dev/zero), or hand kernel-made
// content to the policy (/proc).
func TestReadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, testLimit+1), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	cases := []struct {
		name, path string
		want       error
		linuxOnly  bool
	}{
		{"too large", big, ErrTooLarge, false},
		{"/dev/zero", "/dev/zero", ErrNotRegular, false},
		{"FIFO", fifo, ErrNotRegular, false},
		{"socket", sock, ErrNotRegular, false},
		{"directory", dir, ErrNotRegular, false},
		{"/proc/self/environ", "/proc/self/environ", ErrKernelFile, true},
		{"/proc/self/status", "/proc/self/status", ErrKernelFile, true},
		{"sysfs", "/sys/kernel/mm/transparent_hugepage/enabled", ErrKernelFile, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.linuxOnly && runtime.GOOS != "linux" {
				t.Skip("Linux only")
			}
			if _, err := os.Stat(c.path); err != nil {
				t.Skipf("not on this machine: %v", err)
			}
			b, err := ReadFile(c.path, testLimit)
			if !errors.Is(err, c.want) {
				t.Fatalf("ReadFile(%s) = %d bytes, %v; want an error matching %v", c.path, len(b), err, c.want)
			}
			var pe *os.PathError
			if !errors.As(err, &pe) || pe.Path != c.path {
				t.Errorf("error %v does not name %s", err, c.path)
			}
		})
	}
}

// TestReadFileProcThroughLink: the descriptor is checked, not the name, so
// a link into /proc is refused too.
func TestReadFileProcThroughLink(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	link := filepath.Join(t.TempDir(), "env")
	if err := os.Symlink("/proc/self/environ", link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(link, testLimit); !errors.Is(err, ErrKernelFile) {
		t.Fatalf("ReadFile(link to /proc/self/environ) = %v, want ErrKernelFile", err)
	}
}

// endless is a reader that never ends, like /dev/zero on stdin.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	e.n += int64(len(p))
	return len(p), nil
}

func TestReadAll(t *testing.T) {
	r := &endless{}
	if _, err := ReadAll(r, testLimit); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadAll(endless) = %v, want ErrTooLarge", err)
	}
	got, err := ReadAll(strings.NewReader(strings.Repeat("y", testLimit)), testLimit)
	if err != nil || len(got) != testLimit {
		t.Fatalf("ReadAll at the limit = %d bytes, %v", len(got), err)
	}
	if _, err := ReadAll(io.MultiReader(strings.NewReader("a"), errReader{}), testLimit); err == nil || errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadAll with a failing reader = %v, want its error", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken") }

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{4 << 20: "4 MiB", 512 << 10: "512 KiB", 100: "100 bytes"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
