//go:build unix

package state

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// flockExclusive takes an exclusive flock(2) on f. flock locks belong to
// the open file description, so two opens of the guard exclude each other
// even within one process, and the kernel releases the lock when the
// descriptor is closed or the process dies.
//
// A blocking flock cannot be cancelled, so with a cancellable ctx it polls
// with a short backoff instead; the guard is only ever held for a few
// small file operations.
func flockExclusive(ctx context.Context, f *os.File) error {
	fd := int(f.Fd())
	if ctx.Done() == nil {
		for {
			err := syscall.Flock(fd, syscall.LOCK_EX)
			if !errors.Is(err, syscall.EINTR) {
				return err
			}
		}
	}
	wait := 100 * time.Microsecond
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
}
