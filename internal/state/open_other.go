//go:build !unix

package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// openRegular opens path, which must be a regular file and not a symbolic
// link. Without O_NOFOLLOW the check is an lstat before the open: racy,
// but the file store refuses to write on these systems anyway (no flock).
func openRegular(path string, flag int, perm os.FileMode) (*os.File, error) {
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return nil, fmt.Errorf("state: %s is a symbolic link: %w", path, errNotRegular)
	case err == nil && !fi.Mode().IsRegular():
		return nil, fmt.Errorf("state: %s is not a regular file: %w", path, errNotRegular)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("state: %s: %w", path, err)
	}
	f, err := os.OpenFile(path, flag, perm)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	}
	return f, nil
}

// oNoFollow is O_NOFOLLOW where there is one.
const oNoFollow = 0
