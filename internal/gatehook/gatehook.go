// Package gatehook is the webhook gate (`gate "webhook"` in a failback):
// before a raise, fbctl asks a team's own service whether it may proceed.
//
// Contract:
//   - Consult POSTs the proposed move as JSON (Body: failback, cycle, from,
//     to, phase; shares in percent) with Content-Type application/json and
//     the gate's headers, once, within the gate's timeout.
//   - A 2xx answer passes. Anything else holds: another status, a redirect
//     (never followed: the headers would go to another host), a transport
//     error, no answer within the timeout.
//   - The reason is the status and the first line of the answer's body,
//     read at most MaxRead bytes, sanitised (printable text only) and cut
//     to MaxReason bytes; it is scrubbed of the gate's secrets (header
//     values, the URL and, when sensitive, its parts) and of the policy's.
//   - The URL and the header values are never printed.
package gatehook

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/notify"
	"github.com/fbctl/fbctl/providers"
)

// Limits of what is read of an answer and shown of it.
const (
	// MaxRead bounds the bytes of an answer read.
	MaxRead = 4 << 10
	// MaxReason bounds the part of the body's first line in a reason.
	MaxReason = 200
	// DefaultTimeout bounds an answer when Hook.Timeout is zero.
	DefaultTimeout = 10 * time.Second
)

// Hook is one webhook gate.
type Hook struct {
	Name string
	// URL is never printed.
	URL          string
	URLSensitive bool
	// Headers are sent with every request; their values are never printed.
	Headers          map[string]string
	SensitiveHeaders map[string]bool
	Timeout          time.Duration
	// Transport carries the requests; nil means a clone of
	// http.DefaultTransport (with the environment's proxy).
	Transport http.RoundTripper
	// Redact scrubs the policy's secrets from a reason; nil keeps it.
	Redact func(string) string
}

// Body is the JSON document a webhook gate gets.
type Body struct {
	Failback string  `json:"failback"`
	Cycle    int     `json:"cycle"`
	From     float64 `json:"from"`
	To       float64 `json:"to"`
	Phase    string  `json:"phase"`
}

// Gate asks one webhook; it is an engine.Gate.
type Gate struct {
	h      Hook
	client *http.Client
	red    *providers.Redactor
}

// New returns the gate of h.
func New(h Hook) *Gate {
	if h.Timeout <= 0 {
		h.Timeout = DefaultTimeout
	}
	if h.Redact == nil {
		h.Redact = func(s string) string { return s }
	}
	tr := h.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = http.ProxyFromEnvironment
		tr = t
	}
	red := notify.SecretsOf(notify.Webhook{URL: h.URL, URLSensitive: h.URLSensitive, Headers: h.Headers, SensitiveHeaders: h.SensitiveHeaders})
	return &Gate{h: h, red: red, client: &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Consult asks the webhook about m: a 2xx answer passes.
func (g *Gate) Consult(ctx context.Context, m engine.Move) providers.Result {
	ok, detail := g.ask(ctx, m)
	return providers.Result{Healthy: ok, Detail: g.h.Redact(g.red.Redact(detail))}
}

func (g *Gate) ask(ctx context.Context, m engine.Move) (bool, string) {
	body, err := json.Marshal(Body{Failback: m.Failback, Cycle: m.Cycle, From: m.From.Percent(), To: m.To.Percent(), Phase: string(m.Phase)})
	if err != nil {
		return false, "encoding the move: " + err.Error()
	}
	actx, cancel := context.WithTimeout(ctx, g.h.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, g.h.URL, bytes.NewReader(body))
	if err != nil {
		// Never the URL: url.Parse's errors quote it.
		return false, "the webhook's url cannot make a request"
	}
	for k, v := range g.h.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "fbctl-gate")
	}
	resp, err := g.client.Do(req)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return false, fmt.Sprintf("no answer within %s", g.h.Timeout)
		}
		// The *url.Error quotes the URL: keep only its cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return false, err.Error()
	}
	defer resp.Body.Close()
	line := firstLine(io.LimitReader(resp.Body, MaxRead))
	// Drain what is left of a bounded answer so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxRead))
	detail := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		detail += " (a redirect, not followed)"
	}
	if line != "" {
		detail += ": " + line
	}
	return resp.StatusCode >= 200 && resp.StatusCode <= 299, detail
}

// firstLine is the first non-empty line of r, printable text only, at most
// MaxReason bytes.
func firstLine(r io.Reader) string {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), MaxRead)
	sc.Split(scanLines)
	for sc.Scan() {
		if s := sanitise(sc.Text()); s != "" {
			return s
		}
	}
	return ""
}

// scanLines is bufio.ScanLines that also gives a line cut at the end of
// the bounded read (no newline), and treats a lone CR as a line end.
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	if len(data) >= MaxRead {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// sanitise keeps printable runes (invalid UTF-8 and control characters,
// escape sequences among them, become spaces), collapses spaces, and cuts
// the result to at most MaxReason bytes on a rune boundary.
func sanitise(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = ' '
		}
		if r == ' ' && space {
			continue
		}
		space = r == ' '
		b.WriteRune(r)
	}
	out := strings.TrimSpace(b.String())
	if len(out) <= MaxReason {
		return out
	}
	const more = "…"
	cut := MaxReason - len(more)
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return strings.TrimSpace(out[:cut]) + more
}
