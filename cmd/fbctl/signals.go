package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/fbctl/fbctl/internal/app"
)

// interruptible returns a context that the first SIGINT or SIGTERM cancels.
// A command seeing it makes no new decision; a change in flight is finished
// or put back (under --compensate-timeout), the state is saved and the lock
// released, and the command returns; Main then exits with the signal's
// code. A second signal exits at once, with the lock left behind (a run
// that dies is taken over once its lease ends).
//
// got reports the first signal received, or nil; stop stops listening. On
// a terminal (tty) each message first clears the line: `reconcile --wait`
// may be drawing its live line there.
func interruptible(errOut io.Writer, tty bool) (ctx context.Context, got func() os.Signal, stop func()) {
	wipe := ""
	if tty {
		wipe = "\r\033[K"
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	var first atomic.Value
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				if first.CompareAndSwap(nil, s) {
					fmt.Fprintf(errOut, "%sfbctl: %s: making no new decision; finishing or putting back the change in flight, then saving and unlocking (send it again to exit at once)\n", wipe, s)
					cancel()
					continue
				}
				fmt.Fprintf(errOut, "%sfbctl: %s again: exiting at once; the lock is left until its lease ends\n", wipe, s)
				os.Exit(int(signalCode(s)))
			case <-done:
				return
			}
		}
	}()
	got = func() os.Signal {
		if s, ok := first.Load().(os.Signal); ok {
			return s
		}
		return nil
	}
	stop = func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
	return ctx, got, stop
}

// signalCode is the exit code of a command interrupted by s.
func signalCode(s os.Signal) app.ExitCode {
	if s == syscall.SIGTERM {
		return app.ExitTerminated
	}
	return app.ExitInterrupted
}
