package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
)

// LogStream is the stderr of a command. With text logs it passes writes
// through. With JSON logs (SetLogger) every line written to it becomes one
// slog record of the command's logger, with a time and a level, so that
// everything fbctl prints to stderr (a warning, "Error: ...", a retry
// notice, cobra's usage errors, a library's message) is one JSON object
// per line in `--log-format json >>fbctl.log 2>&1`. The logger itself
// writes to the raw stream, not through the LogStream.
//
// The level of a line comes from its prefix: "Error:" is ERROR,
// "Warning:" and "WARNING:" are WARN, anything else INFO; the prefix is
// dropped from the message.
type LogStream struct {
	raw    io.Writer
	mu     sync.Mutex
	logger *slog.Logger
	buf    []byte
}

// NewLogStream returns a LogStream writing to raw, passing text through
// until SetLogger.
func NewLogStream(raw io.Writer) *LogStream { return &LogStream{raw: raw} }

// Raw is the stream the LogStream writes to: the one a logger writes to.
func (l *LogStream) Raw() io.Writer { return l.raw }

// SetLogger makes every line written from now on a record of logger.
func (l *LogStream) SetLogger(logger *slog.Logger) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.logger = logger
}

// JSON says whether lines are turned into records.
func (l *LogStream) JSON() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.logger != nil
}

func (l *LogStream) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.logger == nil {
		return l.raw.Write(p)
	}
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.record(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

// Flush logs a last line that had no newline.
func (l *LogStream) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.logger != nil && len(l.buf) > 0 {
		l.record(string(l.buf))
		l.buf = nil
	}
}

// ansiCSI matches the terminal control sequences (clear line, colour) a
// record has no use for.
var ansiCSI = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

func (l *LogStream) record(line string) {
	// A progress bar redraws with "\r"; only what was drawn last counts.
	if i := strings.LastIndexByte(line, '\r'); i >= 0 {
		line = line[i+1:]
	}
	line = strings.TrimRight(ansiCSI.ReplaceAllString(line, ""), " \t")
	if strings.TrimSpace(line) == "" {
		return
	}
	level := slog.LevelInfo
	for prefix, lv := range map[string]slog.Level{"Error:": slog.LevelError, "Warning:": slog.LevelWarn, "WARNING:": slog.LevelWarn} {
		if strings.HasPrefix(line, prefix) {
			level, line = lv, strings.TrimSpace(strings.TrimPrefix(line, prefix))
			break
		}
	}
	l.logger.Log(context.Background(), level, line)
}
