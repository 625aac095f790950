// Command fbctl moves traffic back to a recovered primary site in
// health-gated canary steps. This package holds only the command-line
// wiring; the work happens in internal/app.
package main

import (
	"os"

	"google.golang.org/grpc/grpclog"

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
	// The signal handler's messages go through the same stream as the
	// command's, so that they are log records with --log-format json.
	stderr := app.NewLogStream(os.Stderr)
	streams := app.IO{In: os.Stdin, Out: os.Stdout, ErrOut: stderr, ErrTerminal: isTerminal(os.Stderr), OutTerminal: isTerminal(os.Stdout)}
	processLogger = true
	// gRPC's logger must be set before any gRPC activity, so here, not
	// per command.
	grpclog.SetLoggerV2(grpcLogger{})
	ctx, got, stop := interruptible(stderr, streams.ErrTerminal)
	defer stop()
	signalled = got
	code := run(ctx, os.Args[1:], streams)
	if s := got(); s != nil && code != app.ExitHalted && !stoppedCleanly {
		return signalCode(s)
	}
	return code
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}
