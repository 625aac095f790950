package policy

import (
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// Sensitive is the cty mark carried by every sensitive value and by every
// value derived from one.
const Sensitive = "sensitive"

// Redacted is what fbctl prints in place of a sensitive value, the same
// text everywhere.
const Redacted = providers.Redacted

// Origin is the cty mark carried by every value read from outside the
// policy text, by file() or env(), and by every value derived from one. Its
// text names the source ("the contents of ./ca.pem", "the environment
// variable DB_URL"): messages say where a value came from instead of what
// it is. A value with an Origin mark is sensitive, like every marked value.
type Origin string

// maxShown is the longest value a message quotes. A longer value (a pasted
// certificate, a Terraform output holding a JSON document) would drown the
// message, and may be a secret nobody marked.
const maxShown = 64

// IsSensitive reports whether v, or any value inside it, is sensitive:
// marked Sensitive, or carrying an Origin.
func IsSensitive(v cty.Value) bool {
	if v == cty.NilVal {
		return false
	}
	return v.ContainsMarked()
}

// originOf names where v, or a value inside it, came from, when file() or
// env() produced it; "" otherwise. With several origins it names the first
// in sorted order, so messages are stable.
func originOf(v cty.Value) string {
	if v == cty.NilVal || !v.ContainsMarked() {
		return ""
	}
	var names []string
	_, pvms := v.UnmarkDeepWithPaths()
	for _, pvm := range pvms {
		for m := range pvm.Marks {
			if o, ok := m.(Origin); ok {
				names = append(names, string(o))
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return names[0]
}

// secretSet remembers the text of sensitive values so that any message that
// picked one up can be scrubbed. It walks cty values the policy's way (only
// marked leaves) and redacts through providers.Redactor, the one redaction
// path of fbctl.
type secretSet struct {
	red providers.Redactor
}

// add remembers the sensitive values in v: v itself when it is marked, and
// otherwise only the elements and attributes that are marked themselves or
// sit inside a marked collection or object. The plain elements of a list
// that also holds a secret, such as the 5 and 100 of [var.n, 5, 100], are
// ordinary text and must stay readable in messages.
func (s *secretSet) add(v cty.Value) { s.walk(v, false) }

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
		if marked {
			s.red.Add(v.AsString())
		}
	case v.Type() == cty.Number:
		if marked {
			s.red.Add(v.AsBigFloat().Text('f', -1))
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

func (s *secretSet) redact(text string) string { return s.red.Redact(text) }

// describe renders a value for a message. It is the one place the policy
// language turns a value into message text: a value from file() or env() is
// named by its origin, a sensitive one is Redacted, and a value longer than
// maxShown is described by its length, never quoted.
func describe(v cty.Value) string {
	if o := originOf(v); o != "" {
		return o
	}
	if IsSensitive(v) {
		return Redacted
	}
	if v.IsNull() {
		return "null"
	}
	if !v.IsKnown() {
		return "(known after apply)"
	}
	var s string
	switch {
	case v.Type() == cty.String:
		s = quoteGo(v.AsString())
	case v.Type() == cty.Number:
		s = v.AsBigFloat().Text('f', -1)
	default:
		s = v.GoString()
	}
	if len(s) > maxShown {
		if v.Type() == cty.String {
			return fmt.Sprintf("a string of %d bytes (not shown)", len(v.AsString()))
		}
		return "a value too long to show"
	}
	return s
}

// shownName quotes a name that did not come from the policy text, such as
// a Terraform output's name, cut to maxShown bytes.
func shownName(name string) string {
	if len(name) > maxShown {
		cut := name[:maxShown]
		for len(cut) > 0 && !utf8.ValidString(cut) {
			cut = cut[:len(cut)-1]
		}
		return quoteGo(cut) + "…"
	}
	return quoteGo(name)
}
