// Command fbctl moves traffic back to a recovered primary site in
// health-gated canary steps. This package holds only the command-line
// wiring; the work happens in internal/app.
package main

import (
	"os"

	"github.com/fbctl/fbctl/internal/app"
)

func main() {
	os.Exit(int(Main()))
}

// Main runs fbctl with the process's arguments and streams and returns the
// exit code.
//
// SIGINT and SIGTERM interrupt the command (see interruptible): it exits
// 130 or 143 once the change in flight is settled, unless the failback
// halted (6), which says more.
func Main() app.ExitCode {
	streams := app.IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, ErrTerminal: isTerminal(os.Stderr), OutTerminal: isTerminal(os.Stdout)}
	ctx, got, stop := interruptible(os.Stderr)
	defer stop()
	code := run(ctx, os.Args[1:], streams)
	if s := got(); s != nil && code != app.ExitHalted {
		return signalCode(s)
	}
	return code
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}
