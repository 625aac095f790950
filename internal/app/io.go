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
	// OutputJSONL is JSON Lines, for log pipelines: the run commands print
	// one compact object per failback, status one per failback, history
	// one per event, each with format_version (and the run commands'
	// command); the other commands print their one document on one line.
	OutputJSONL = "jsonl"
)

// FormatVersion is the version of every JSON document fbctl prints.
const FormatVersion = "1.0"

// CheckOutput validates an -o value.
func CheckOutput(o string) error {
	if o != OutputText && o != OutputJSON && o != OutputJSONL {
		return Invalid("invalid --output %q: use text, json or jsonl", o)
	}
	return nil
}

// logJSON says whether --log-format is json: results are then log records
// on stderr rather than text lines on stdout.
func (g *Global) logJSON() bool { return strings.EqualFold(g.LogFormat, "json") }

// JSON says whether -o asks for JSON (json or jsonl).
func (g *Global) JSON() bool { return g.Output == OutputJSON || g.Output == OutputJSONL }

// jsonLiner is a document that -o jsonl prints as several lines.
type jsonLiner interface{ jsonLines() []any }

// writeData prints a JSON document in the -o format: indented for json,
// for jsonl one compact line per item of a jsonLiner, or the document on
// one line.
func (g *Global) writeData(w io.Writer, v any) error {
	if g.Output != OutputJSONL {
		return writeJSON(w, v)
	}
	items := []any{v}
	if l, ok := v.(jsonLiner); ok {
		items = l.jsonLines()
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
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
