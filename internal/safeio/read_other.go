//go:build !unix

package safeio

import (
	"errors"
	"os"
)

// ReadFile reads the regular file at path if it holds at most limit bytes.
// Without O_NONBLOCK the file's type is checked with a stat before the open.
func ReadFile(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		kind := "special file"
		if fi.IsDir() {
			kind = "directory"
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: &kindError{kind}}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
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
