//go:build unix

package state

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// openRegular opens path, which must be a regular file and not a symbolic
// link: the state directory is input, and a link or a special file there
// is someone else's (a symlinked history written through into its target,
// a FIFO that hangs every run). O_NOFOLLOW refuses a link as the last
// component (with O_CREAT too, so a dangling link's target is never
// created); O_NONBLOCK keeps the open of a FIFO or device from blocking
// until fstat refuses it; the flag is then cleared for the regular file.
// A missing file is an error matching fs.ErrNotExist; every other error
// names the file.
func openRegular(path string, flag int, perm os.FileMode) (*os.File, error) {
	fd, err := syscall.Open(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, uint32(perm))
	for errors.Is(err, syscall.EINTR) {
		fd, err = syscall.Open(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, uint32(perm))
	}
	switch {
	case errors.Is(err, syscall.ENOENT):
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	case errors.Is(err, syscall.ELOOP):
		return nil, fmt.Errorf("state: %s is a symbolic link: %w", path, errNotRegular)
	case errors.Is(err, syscall.ENXIO):
		// O_WRONLY|O_NONBLOCK of a FIFO without a reader.
		return nil, fmt.Errorf("state: %s is a FIFO or socket: %w", path, errNotRegular)
	case errors.Is(err, syscall.EISDIR):
		return nil, fmt.Errorf("state: %s is a directory: %w", path, errNotRegular)
	case err != nil:
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("state: %s: fstat: %w", path, err)
	}
	if kind := fileKind(uint32(st.Mode) & syscall.S_IFMT); kind != "" {
		syscall.Close(fd)
		return nil, fmt.Errorf("state: %s is a %s: %w", path, kind, errNotRegular)
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("state: %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// fileKind names a file type other than a regular file; "" for one.
func fileKind(mode uint32) string {
	switch mode {
	case syscall.S_IFREG:
		return ""
	case syscall.S_IFDIR:
		return "directory"
	case syscall.S_IFIFO:
		return "FIFO"
	case syscall.S_IFCHR:
		return "character device"
	case syscall.S_IFBLK:
		return "block device"
	case syscall.S_IFSOCK:
		return "socket"
	case syscall.S_IFLNK:
		return "symbolic link"
	}
	return "special file"
}

// oNoFollow is O_NOFOLLOW where there is one.
const oNoFollow = syscall.O_NOFOLLOW
