package aws

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/smithy-go/logging"

	"github.com/fbctl/fbctl/providers"
)

// sdkLogger routes what the AWS SDK logs (a retry's warning, "falling back
// to IMDSv1", a checksum it could not validate) into slog.Default, which
// fbctl sets to the logger of --log-level and --log-format. Without it the
// SDK writes its own "SDK 2026/12/01 ... WARN ..." lines to stderr, which
// break a JSON log stream. Messages pass through the provider's redactor:
// the SDK may quote a profile, a role or an endpoint the policy marked
// sensitive.
type sdkLogger struct {
	ctx context.Context
	red *providers.Redactor
}

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	level := slog.LevelInfo
	switch c {
	case logging.Warn:
		level = slog.LevelWarn
	case logging.Debug:
		level = slog.LevelDebug
	}
	ctx := l.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	logger := slog.Default()
	if !logger.Enabled(ctx, level) {
		return
	}
	msg := fmt.Sprintf(format, v...)
	if l.red != nil {
		msg = l.red.Redact(msg)
	}
	logger.Log(ctx, level, msg, "library", "aws-sdk")
}

// WithContext makes the SDK's log records carry the call's context.
func (l sdkLogger) WithContext(ctx context.Context) logging.Logger {
	return sdkLogger{ctx: ctx, red: l.red}
}
