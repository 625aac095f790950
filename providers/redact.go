package providers

import (
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Redacted replaces a sensitive value in every message fbctl prints: the
// policy language's diagnostics and the providers' errors and details.
const Redacted = "(sensitive value)"

// Redactor removes known secret strings from text: the last line of
// defence for messages that libraries build from values a policy marked
// sensitive (an endpoint, a zone id, a URL). A nil *Redactor redacts
// nothing. It is not safe for concurrent Adds; fill it while building a
// target or check, then only Redact.
type Redactor struct {
	secrets []string
}

// Add records secret strings; empty ones are ignored.
func (r *Redactor) Add(ss ...string) {
	for _, s := range ss {
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	// Longest first, so that a secret containing another is replaced whole.
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// AddValue records every string and number inside v. Booleans reveal
// nothing worth hiding (and would mangle text); map keys are names chosen
// by the policy's author, so only values count.
func (r *Redactor) AddValue(v cty.Value) {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() {
		return
	}
	switch t := v.Type(); {
	case t == cty.String:
		r.Add(v.AsString())
	case t == cty.Number:
		r.Add(v.AsBigFloat().Text('f', -1))
	case v.CanIterateElements():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			r.AddValue(e)
		}
	}
}

// AddHostPort records a host:port and its host alone.
func (r *Redactor) AddHostPort(hp string) {
	r.Add(hp)
	if h, _, err := net.SplitHostPort(hp); err == nil {
		r.Add(h)
	}
}

// IsSecret reports whether s is one of the recorded secrets.
func (r *Redactor) IsSecret(s string) bool {
	if r == nil {
		return false
	}
	for _, x := range r.secrets {
		if x == s {
			return true
		}
	}
	return false
}

// Redact replaces every secret in s, quoted forms first, then the raw and
// URL-escaped forms, ignoring case (DNS
// names and URL hosts come back lower-cased in errors). Secrets of fewer
// than three characters, spaces aside, are left alone: replacing every
// space or every "a" of a message would destroy it without hiding
// anything. Messages built with Quote never print them at all.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	for _, sec := range r.secrets {
		if len(strings.TrimSpace(sec)) < 3 {
			continue
		}
		q := strconv.Quote(sec)
		s = replaceFold(s, q, Redacted)
		// The escaped form without its quotes, as it appears inside a
		// longer quoted or JSON string.
		if inner := q[1 : len(q)-1]; inner != sec {
			s = replaceFold(s, inner, Redacted)
		}
		s = replaceFold(s, sec, Redacted)
		// The URL-escaped forms, as a secret in a URL's path or query
		// comes back in an error that quotes the URL.
		for _, esc := range []string{url.PathEscape(sec), url.QueryEscape(sec)} {
			if esc != sec {
				s = replaceFold(s, esc, Redacted)
			}
		}
	}
	return s
}

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old, repl string) string {
	if old == "" {
		return s
	}
	lo, lold := strings.ToLower(s), strings.ToLower(old)
	if len(lo) != len(s) || len(lold) != len(old) {
		// Lower-casing changed byte lengths (rare Unicode): fall back to an
		// exact replacement so indices stay valid.
		return strings.ReplaceAll(s, old, repl)
	}
	var b strings.Builder
	for {
		i := strings.Index(lo, lold)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lo = s[i+len(old):], lo[i+len(old):]
	}
}

// Quote quotes a name for a message, or says Redacted when it is a secret.
func (r *Redactor) Quote(s string) string {
	if r.IsSecret(s) {
		return Redacted
	}
	return strconv.Quote(s)
}

// Hide rewrites err's message so that no secret shows, keeping the chain
// for errors.Is and errors.As.
func (r *Redactor) Hide(err error) error {
	if err == nil || r == nil || len(r.secrets) == 0 {
		return err
	}
	msg := r.Redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return &hiddenError{msg: msg, err: err}
}

// Merged returns a Redactor holding the secrets of both.
func (r *Redactor) Merged(o *Redactor) *Redactor {
	out := &Redactor{}
	if r != nil {
		out.Add(r.secrets...)
	}
	if o != nil {
		out.Add(o.secrets...)
	}
	return out
}

type hiddenError struct {
	msg string
	err error
}

func (e *hiddenError) Error() string { return e.msg }
func (e *hiddenError) Unwrap() error { return e.err }
