package policy

import (
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Sensitive is the cty mark carried by every sensitive value and by every
// value derived from one.
const Sensitive = "sensitive"

// Redacted is what fbctl prints in place of a sensitive value.
const Redacted = "(sensitive value)"

// IsSensitive reports whether v, or any value inside it, is sensitive.
func IsSensitive(v cty.Value) bool {
	if v == cty.NilVal {
		return false
	}
	return v.ContainsMarked()
}

// secretSet remembers the text of sensitive values so that any message that
// picked one up can be scrubbed.
type secretSet struct {
	values []string
}

// minSecretLen keeps redaction from mangling ordinary text: a secret shorter
// than this is still never printed by fbctl's own messages, which never
// format sensitive values, but is not searched for in foreign text.
const minSecretLen = 3

// add remembers the sensitive values in v: v itself when it is marked, and
// otherwise only the elements and attributes that are marked themselves or
// sit inside a marked collection or object. The plain elements of a list
// that also holds a secret, such as the 5 and 100 of [var.n, 5, 100], are
// ordinary text and must stay readable in messages.
func (s *secretSet) add(v cty.Value) {
	s.walk(v, false)
	// Longest first, so a secret that contains another is replaced whole.
	sort.Slice(s.values, func(i, j int) bool { return len(s.values[i]) > len(s.values[j]) })
}

// walk adds the leaves of v that are marked or inside a marked value;
// marked says whether a container of v was.
func (s *secretSet) walk(v cty.Value, marked bool) {
	if v == cty.NilVal {
		return
	}
	v, marks := v.Unmark()
	marked = marked || len(marks) > 0
	if !marked && !v.ContainsMarked() {
		return
	}
	if !v.IsKnown() || v.IsNull() {
		return
	}
	switch {
	case v.Type() == cty.String:
		if str := v.AsString(); marked && len(str) >= minSecretLen {
			s.values = append(s.values, str)
			// Also catch the form JSON and Go's %q print.
			if q := strings.Trim(quoteGo(str), `"`); q != str {
				s.values = append(s.values, q)
			}
		}
	case v.Type() == cty.Number:
		if str := v.AsBigFloat().Text('f', -1); marked && len(str) >= minSecretLen {
			s.values = append(s.values, str)
		}
	case v.CanIterateElements():
		// Values only: the keys of maps and the names of attributes are
		// never marked, and are part of the schema rather than secrets.
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			s.walk(e, marked)
		}
	}
}

func (s *secretSet) redact(text string) string {
	for _, v := range s.values {
		text = strings.ReplaceAll(text, v, Redacted)
	}
	return text
}

// describe renders a value for a message, or Redacted when it is sensitive.
func describe(v cty.Value) string {
	if IsSensitive(v) {
		return Redacted
	}
	if v.IsNull() {
		return "null"
	}
	if !v.IsKnown() {
		return "(known after apply)"
	}
	if v.Type() == cty.String {
		return quoteGo(v.AsString())
	}
	if v.Type() == cty.Number {
		return v.AsBigFloat().Text('f', -1)
	}
	return v.GoString()
}
