package app

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

type stringer string

func (s stringer) String() string { return string(s) }

// TestRedactingLogger: a secret in a log message, a string attribute, an
// error, a Stringer, a group or a logger's own attributes never reaches the
// log; everything else does.
func TestRedactingLogger(t *testing.T) {
	var buf bytes.Buffer
	redact := func(s string) string { return strings.ReplaceAll(s, "hunter2", "(sensitive value)") }
	log := redactingLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), redact)
	log.With("server", "ns.hunter2.example").WithGroup("g").Warn("observing hunter2 failed",
		"err", errors.New("dial ns.hunter2.example: refused"),
		"name", stringer("key hunter2"),
		"plain", "hunter2",
		"n", 3,
		slog.Group("inner", "deep", "x-hunter2-x"))
	out := buf.String()
	if strings.Contains(out, "hunter2") {
		t.Errorf("secret in the log: %s", out)
	}
	for _, want := range []string{`"msg":"observing (sensitive value) failed"`, `"server":"ns.(sensitive value).example"`,
		`"err":"dial ns.(sensitive value).example: refused"`, `"n":3`, `"deep":"x-(sensitive value)-x"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s: %s", want, out)
		}
	}
}
