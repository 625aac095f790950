package policy

import (
	"bufio"
	"bytes"
	"io"
	"sort"

	"github.com/hashicorp/hcl/v2"
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
		jd := Diagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
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

func snippet(f *hcl.File, s hcl.Range) *Snippet {
	src := f.Bytes
	if s.Start.Byte < 0 || s.End.Byte > len(src) || s.Start.Byte > s.End.Byte {
		return nil
	}
	sn := &Snippet{StartLine: s.Start.Line}
	if cs, ok := f.Nav.(interface{ ContextString(int) string }); ok {
		sn.Context = cs.ContextString(s.Start.Byte)
	}
	// Whole lines from the subject's first line to its last.
	lineStart := bytes.LastIndexByte(src[:s.Start.Byte], '\n') + 1
	lineEnd := len(src)
	if i := bytes.IndexByte(src[s.End.Byte:], '\n'); i >= 0 {
		lineEnd = s.End.Byte + i
	}
	if s.End.Byte > s.Start.Byte && s.End.Byte > 0 && src[s.End.Byte-1] == '\n' {
		lineEnd = s.End.Byte - 1
	}
	if lineEnd < lineStart {
		lineEnd = lineStart
	}
	sn.Code = string(src[lineStart:lineEnd])
	sn.HighlightStartOffset = s.Start.Byte - lineStart
	sn.HighlightEndOffset = min(s.End.Byte-lineStart, len(sn.Code))
	return sn
}

// WriteText renders diagnostics for people, with source snippets, as
// Terraform does. width is the terminal width (0 for no wrapping).
func WriteText(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, width uint, color bool) error {
	bw := bufio.NewWriter(w)
	wr := hcl.NewDiagnosticTextWriter(bw, files, width, color)
	if err := wr.WriteDiagnostics(diags); err != nil {
		return err
	}
	return bw.Flush()
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
