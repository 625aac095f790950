// Package safeio reads the files and streams fbctl takes as input (policy
// files, variable files, Terraform outputs, the files of the policy
// function file()) without letting an input hang or exhaust the process.
//
// ReadFile reads only a regular file of at most a given size: the open never
// blocks (a FIFO is opened non-blocking, then refused), devices, FIFOs,
// sockets and directories are refused from an fstat of the open descriptor,
// and on Linux so are files of kernel pseudo-filesystems such as procfs and
// sysfs, which stat as regular files of size 0 while producing content (the
// environment of the process, for /proc/self/environ). The size is enforced
// while reading, never trusted from the file's metadata. ReadAll bounds a
// stream, such as standard input, the same way.
//
// Errors are *os.PathError (ReadFile) whose Err matches ErrNotRegular,
// ErrKernelFile or ErrTooLarge with errors.Is, and never contain any of the
// content read.
package safeio

import (
	"errors"
	"fmt"
	"io"
	"os"
)

var (
	// ErrNotRegular is matched by the error for a device, FIFO, socket,
	// directory or other file that is not a regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrKernelFile is matched by the error for a file on a kernel
	// pseudo-filesystem (procfs, sysfs and the like).
	ErrKernelFile = errors.New("a kernel pseudo-file")
	// ErrTooLarge is matched by the error for an input over its limit.
	ErrTooLarge = errors.New("too large")
)

// kindError says what a refused file is, matching ErrNotRegular.
type kindError struct{ kind string }

func (e *kindError) Error() string        { return "not a regular file but a " + e.kind }
func (e *kindError) Is(target error) bool { return target == ErrNotRegular }

// fsError names the kernel pseudo-filesystem a refused file is on,
// matching ErrKernelFile.
type fsError struct{ fs string }

func (e *fsError) Error() string {
	return "not a regular file but a kernel file (on " + e.fs + ")"
}
func (e *fsError) Is(target error) bool { return target == ErrKernelFile }

// SizeError is the error for an input larger than Limit bytes; it matches
// ErrTooLarge.
type SizeError struct{ Limit int64 }

func (e *SizeError) Error() string        { return "larger than " + FormatSize(e.Limit) }
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// FormatSize renders a limit for messages: "4 MiB" for whole mebibytes,
// "512 KiB" for whole kibibytes, else bytes.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ReadAll reads r to its end, or fails with an error matching ErrTooLarge
// as soon as more than limit bytes have come: at most limit+1 bytes are
// ever read, so an endless stream costs no more than that.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	if limit < 0 {
		limit = 0
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &SizeError{Limit: limit}
	}
	return b, nil
}

// readOpen reads an opened, checked file up to limit and closes it; every
// error is an *os.PathError naming path.
func readOpen(f *os.File, path string, limit int64) ([]byte, error) {
	defer f.Close()
	b, err := ReadAll(f, limit)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	return b, nil
}
