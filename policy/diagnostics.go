package policy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/mitchellh/go-wordwrap"
)

// DiagnosticsFormatVersion is the version of the JSON diagnostics document.
// It changes only in incompatible ways; fields may be added without a bump.
const DiagnosticsFormatVersion = "1.0"

// Pos is a position in a file: 1-based line and column, 0-based byte.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// Range is a span in a file.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Snippet is the source around a diagnostic's subject.
type Snippet struct {
	// Context is the enclosing block header, e.g. `failback "checkout"`.
	Context string `json:"context,omitempty"`
	// Code holds the whole lines the subject spans.
	Code      string `json:"code"`
	StartLine int    `json:"start_line"`
	// HighlightStartOffset and HighlightEndOffset are byte offsets into
	// Code of the subject.
	HighlightStartOffset int `json:"highlight_start_offset"`
	HighlightEndOffset   int `json:"highlight_end_offset"`
}

// Diagnostic is the JSON form of one diagnostic.
type Diagnostic struct {
	Severity string   `json:"severity"` // "error" or "warning"
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	Range    *Range   `json:"range,omitempty"`
	Snippet  *Snippet `json:"snippet,omitempty"`
}

// JSONDiagnostics converts diagnostics to their JSON form, with snippets
// taken from files.
func JSONDiagnostics(diags hcl.Diagnostics, files map[string]*hcl.File) []Diagnostic {
	out := make([]Diagnostic, 0, len(diags))
	for _, d := range diags {
		jd := Diagnostic{Severity: "error", Summary: cutText(d.Summary, maxSummary), Detail: cutText(d.Detail, maxDetail)}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if d.Subject != nil {
			s := *d.Subject
			jd.Range = &Range{
				Filename: s.Filename,
				Start:    Pos{s.Start.Line, s.Start.Column, s.Start.Byte},
				End:      Pos{s.End.Line, s.End.Column, s.End.Byte},
			}
			if f := files[s.Filename]; f != nil {
				jd.Snippet = snippet(f, s)
			}
		}
		out = append(out, jd)
	}
	return out
}

// Snippets are cut to a window of snippetWidth bytes per line and at most
// snippetLines lines: a file with CR-only line endings is one long line to
// HCL, a minified JSON policy too, and no message may print a whole file.
const (
	snippetWidth = 120
	snippetLines = 8
)

// snippet returns the source lines a subject spans, each cut to a window
// around the subject, with the subject's offsets into the cut text.
func snippet(f *hcl.File, s hcl.Range) *Snippet {
	src := f.Bytes
	if s.Start.Byte < 0 || s.End.Byte > len(src) || s.Start.Byte > s.End.Byte {
		return nil
	}
	sn := &Snippet{StartLine: s.Start.Line}
	if cs, ok := f.Nav.(interface{ ContextString(int) string }); ok {
		sn.Context = cutText(cs.ContextString(s.Start.Byte), snippetWidth)
	}
	// Whole lines from the subject's first line to its last. A carriage
	// return ends a line here too: the loader refuses bare CRs, but fmt
	// reports on such files, and a CR-only file is one line to HCL.
	lineStart := bytes.LastIndexAny(src[:s.Start.Byte], "\r\n") + 1
	lineEnd := len(src)
	if i := bytes.IndexAny(src[s.End.Byte:], "\r\n"); i >= 0 {
		lineEnd = s.End.Byte + i
	}
	if s.End.Byte > s.Start.Byte && s.End.Byte > 0 && (src[s.End.Byte-1] == '\n' || src[s.End.Byte-1] == '\r') {
		lineEnd = s.End.Byte - 1
	}
	if lineEnd < lineStart {
		lineEnd = lineStart
	}
	code, mapPos := cutLines(src[lineStart:lineEnd], s.Start.Byte-lineStart)
	sn.Code = code
	sn.HighlightStartOffset = mapPos(s.Start.Byte - lineStart)
	sn.HighlightEndOffset = max(sn.HighlightStartOffset, mapPos(s.End.Byte-lineStart))
	return sn
}

// segment is a part of the source kept in a cut snippet: src[from:to]
// appears at out in the cut text.
type segment struct{ from, to, out int }

// cutLines cuts code (whole lines) to at most snippetLines lines of at most
// snippetWidth bytes, the first window placed so that it shows the byte at
// focus. It returns the cut text and a function mapping an offset in code
// to the nearest offset in the cut text. Cuts are marked with "…".
func cutLines(code []byte, focus int) (string, func(int) int) {
	var b strings.Builder
	var segs []segment
	off := 0
	for i, line := range bytes.Split(code, []byte("\n")) {
		if i == snippetLines {
			b.WriteString("\n…")
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		from, to := 0, len(line)
		if len(line) > snippetWidth {
			if focus >= off && focus <= off+len(line) {
				from = max(0, focus-off-snippetWidth/4)
			}
			to = min(len(line), from+snippetWidth)
			from, to = runeAligned(line, from, to)
		}
		if from > 0 {
			b.WriteString("…")
		}
		segs = append(segs, segment{from: off + from, to: off + to, out: b.Len()})
		// A CR before the LF, or inside a multi-line subject, is not text.
		b.Write(bytes.ReplaceAll(line[from:to], []byte("\r"), []byte(" ")))
		if to < len(line) {
			b.WriteString("…")
		}
		off += len(line) + 1
	}
	return b.String(), func(pos int) int {
		out := 0
		for _, sg := range segs {
			if pos < sg.from {
				break
			}
			out = sg.out + min(pos, sg.to) - sg.from
		}
		return out
	}
}

// runeAligned moves from forward and to backward onto UTF-8 rune starts, so
// a cut never splits a character.
func runeAligned(line []byte, from, to int) (int, int) {
	for from < to && !utf8.RuneStart(line[from]) {
		from++
	}
	for to > from && to < len(line) && !utf8.RuneStart(line[to]) {
		to--
	}
	return from, to
}

// cutText cuts s to at most n bytes on a rune boundary, marking the cut.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Limits on the text of one diagnostic: messages built from hostile input
// (a name as long as the file) must stay readable and must not carry the
// file along.
const (
	maxSummary = 200
	maxDetail  = 2000
)

// WriteText renders diagnostics for people, in Terraform's layout: the
// summary, where (with the source lines, cut as in the JSON snippet, and
// sensitive literals masked by the files Loader.Files hands out), and the
// detail wrapped to width (0 for no wrapping).
func WriteText(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, width uint, color bool) error {
	bw := bufio.NewWriter(w)
	for _, d := range diags {
		writeText(bw, d, files, width, color)
	}
	return bw.Flush()
}

func writeText(w *bufio.Writer, d *hcl.Diagnostic, files map[string]*hcl.File, width uint, color bool) {
	var colorCode, highlight, reset string
	severity := "Error"
	if d.Severity == hcl.DiagWarning {
		severity = "Warning"
	}
	if color {
		colorCode, highlight, reset = "\x1b[31m", "\x1b[1;4m", "\x1b[0m"
		if d.Severity == hcl.DiagWarning {
			colorCode = "\x1b[33m"
		}
	}
	fmt.Fprintf(w, "%s%s%s: %s\n\n", colorCode, severity, reset, cutText(d.Summary, maxSummary))
	if d.Subject != nil {
		var sn *Snippet
		if f := files[d.Subject.Filename]; f != nil && f.Bytes != nil {
			sn = snippet(f, *d.Subject)
		}
		if sn == nil {
			fmt.Fprintf(w, "  on %s line %d:\n  (source code not available)\n\n", d.Subject.Filename, d.Subject.Start.Line)
		} else {
			in := ""
			if sn.Context != "" {
				in = ", in " + sn.Context
			}
			fmt.Fprintf(w, "  on %s line %d%s:\n", d.Subject.Filename, d.Subject.Start.Line, in)
			off := 0
			for i, line := range strings.Split(sn.Code, "\n") {
				hs := min(max(sn.HighlightStartOffset-off, 0), len(line))
				he := min(max(sn.HighlightEndOffset-off, hs), len(line))
				if hs == he {
					fmt.Fprintf(w, "%4d: %s\n", sn.StartLine+i, line)
				} else {
					fmt.Fprintf(w, "%4d: %s%s%s%s%s\n", sn.StartLine+i, line[:hs], highlight, line[hs:he], reset, line[he:])
				}
				off += len(line) + 1
			}
			w.WriteByte('\n')
		}
	}
	if d.Detail != "" {
		detail := cutText(d.Detail, maxDetail)
		if width != 0 {
			detail = wordwrap.WrapString(detail, width)
		}
		fmt.Fprintf(w, "%s\n\n", detail)
	}
}

// SortDiagnostics orders diagnostics by file and position, errors and
// warnings interleaved, those without a place last; stable otherwise.
func SortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		if a == nil || b == nil {
			return a != nil && b == nil
		}
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}
