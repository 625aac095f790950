package app

import (
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
)

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer) *table { return &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)} }

// row writes one row. A cell's control characters are shown escaped: an
// actor or a reason comes from a state file or a flag, and a tab, a line
// break or an escape sequence in one must neither break the table nor
// reach the terminal.
func (t *table) row(cols ...string) {
	for i, c := range cols {
		if c == "" {
			cols[i] = "-"
			continue
		}
		cols[i] = printable(c)
	}
	_, _ = io.WriteString(t.tw, strings.Join(cols, "\t")+"\n")
}

func (t *table) flush() error { return t.tw.Flush() }

// printable escapes the control characters of s (as Go does in a quoted
// string) and leaves everything else as it is.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
