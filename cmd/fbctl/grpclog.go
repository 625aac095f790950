package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"google.golang.org/grpc/grpclog"
)

// grpcLogger routes what gRPC logs into slog.Default, the logger of
// --log-level and --log-format. gRPC is linked in through the Google Cloud
// client libraries and by default writes its errors to stderr as
// "2026/12/01 03:00:00 ERROR: ..." lines of its own, which would break a
// JSON log stream. Its info and warnings are chatty (connection states):
// they are logged at debug.
type grpcLogger struct{}

var _ grpclog.LoggerV2 = grpcLogger{}

func (grpcLogger) log(level slog.Level, msg string) {
	slog.Default().Log(context.Background(), level, msg, "library", "grpc")
}

func (l grpcLogger) Info(args ...any)   { l.log(slog.LevelDebug, fmt.Sprint(args...)) }
func (l grpcLogger) Infoln(args ...any) { l.log(slog.LevelDebug, fmt.Sprint(args...)) }
func (l grpcLogger) Infof(format string, args ...any) {
	l.log(slog.LevelDebug, fmt.Sprintf(format, args...))
}
func (l grpcLogger) Warning(args ...any)   { l.log(slog.LevelDebug, fmt.Sprint(args...)) }
func (l grpcLogger) Warningln(args ...any) { l.log(slog.LevelDebug, fmt.Sprint(args...)) }
func (l grpcLogger) Warningf(format string, args ...any) {
	l.log(slog.LevelDebug, fmt.Sprintf(format, args...))
}
func (l grpcLogger) Error(args ...any)   { l.log(slog.LevelError, fmt.Sprint(args...)) }
func (l grpcLogger) Errorln(args ...any) { l.log(slog.LevelError, fmt.Sprint(args...)) }
func (l grpcLogger) Errorf(format string, args ...any) {
	l.log(slog.LevelError, fmt.Sprintf(format, args...))
}
func (l grpcLogger) Fatal(args ...any)   { l.log(slog.LevelError, fmt.Sprint(args...)); os.Exit(1) }
func (l grpcLogger) Fatalln(args ...any) { l.log(slog.LevelError, fmt.Sprint(args...)); os.Exit(1) }
func (l grpcLogger) Fatalf(format string, args ...any) {
	l.log(slog.LevelError, fmt.Sprintf(format, args...))
	os.Exit(1)
}

// V reports whether verbosity level v is enabled: only with --log-level
// debug.
func (grpcLogger) V(v int) bool {
	return slog.Default().Enabled(context.Background(), slog.LevelDebug)
}
