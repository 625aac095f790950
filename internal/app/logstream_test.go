package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestLogStream: text passes through until SetLogger; after it, every
// line is one JSON record with a time, its level from its prefix, and a
// progress bar's redraws count only for what was drawn last.
func TestLogStream(t *testing.T) {
	var raw bytes.Buffer
	ls := NewLogStream(&raw)
	fmt.Fprintln(ls, "plain before")
	if raw.String() != "plain before\n" {
		t.Fatalf("text mode changed the line: %q", raw.String())
	}
	raw.Reset()
	ls.SetLogger(slog.New(slog.NewJSONHandler(ls.Raw(), nil)))
	fmt.Fprintf(ls, "Warning: web: foreign weight\nError: boom\nWARNING: --force\n")
	fmt.Fprint(ls, "\r\033[K[----] old\r\033[K[####] new")
	fmt.Fprint(ls, "\n\nunfinished")
	ls.Flush()
	want := []struct{ level, msg string }{
		{"WARN", "web: foreign weight"}, {"ERROR", "boom"}, {"WARN", "--force"},
		{"INFO", "[####] new"}, {"INFO", "unfinished"},
	}
	sc := bufio.NewScanner(strings.NewReader(raw.String()))
	i := 0
	for ; sc.Scan(); i++ {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %q", i, sc.Text())
		}
		if i >= len(want) || rec["level"] != want[i].level || rec["msg"] != want[i].msg || rec["time"] == nil {
			t.Errorf("record %d: %v", i, rec)
		}
	}
	if i != len(want) {
		t.Errorf("%d records, want %d:\n%s", i, len(want), raw.String())
	}
}
