//go:build unix

package safeio

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// ReadFile reads the regular file at path, following symbolic links, if it
// holds at most limit bytes. See the package documentation for what is
// refused; every error is an *os.PathError naming path.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	return readOpen(f, path, limit)
}

// openRegular opens path for reading and returns it only if it is a
// regular file not on a kernel pseudo-filesystem. O_NONBLOCK makes the open
// of a FIFO without a writer return at once instead of waiting for one;
// the checks are made on the open descriptor, so the file checked is the
// file read. The flag is cleared for the regular file that passes.
func openRegular(path string) (*os.File, error) {
	fail := func(op string, err error) (*os.File, error) {
		return nil, &os.PathError{Op: op, Path: path, Err: err}
	}
	var fd int
	var err error
	for {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		if errors.Is(err, unix.ENXIO) {
			// A socket, which cannot be opened at all.
			return fail("open", &kindError{"socket"})
		}
		return fail("open", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return fail("stat", err)
	}
	if kind := fileKind(uint32(st.Mode) & unix.S_IFMT); kind != "" {
		unix.Close(fd)
		return fail("open", &kindError{kind})
	}
	if name := kernelFS(fd); name != "" {
		unix.Close(fd)
		return fail("open", &fsError{name})
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return fail("open", err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// fileKind names a file type other than a regular file; "" for one.
func fileKind(mode uint32) string {
	switch mode {
	case unix.S_IFREG:
		return ""
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFIFO:
		return "FIFO"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFSOCK:
		return "socket"
	}
	return "special file"
}
