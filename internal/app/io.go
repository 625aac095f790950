package app

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// IO are the streams of one command.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrTerminal says whether ErrOut is a terminal: colour, widths and
	// progress bars only then.
	ErrTerminal bool
	// OutTerminal says whether Out is a terminal: `status --watch`
	// redraws in place only then.
	OutTerminal bool
	// Width of the terminal, or 0.
	Width uint
}

// Output formats of -o/--output.
const (
	OutputText = "text"
	OutputJSON = "json"
)

// FormatVersion is the version of every JSON document fbctl prints.
const FormatVersion = "1.0"

// CheckOutput validates an -o value.
func CheckOutput(o string) error {
	if o != OutputText && o != OutputJSON {
		return Invalid("invalid --output %q: use text or json", o)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// NewLogger returns the slog logger of --log-level and --log-format,
// writing to w.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, Invalid("invalid --log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, Invalid("invalid --log-format %q: use text or json", format)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
