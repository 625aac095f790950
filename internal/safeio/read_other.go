//go:build !unix

package safeio

import (
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
	return readOpen(f, path, limit)
}
