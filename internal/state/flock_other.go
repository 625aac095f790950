//go:build !unix

package state

import (
	"context"
	"fmt"
	"os"
	"runtime"
)

// flockExclusive is not implemented off Unix: without a cross-process lock
// the file store could not keep its compare-and-swap and lock guarantees,
// so it refuses to write rather than risk it.
func flockExclusive(ctx context.Context, f *os.File) error {
	return fmt.Errorf("the file state store needs flock(2), which %s does not have", runtime.GOOS)
}
