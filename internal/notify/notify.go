// Package notify delivers a failback's recorded events to webhooks (the
// policy's `notify "webhook"` blocks).
//
// Contract:
//   - What is sent is the history event itself, with its id (state.Event.ID):
//     a JSON document (Document) or a Slack-compatible {"text": ...}, by
//     POST with Content-Type application/json and the webhook's headers.
//   - A 2xx answer is a delivery; anything else (another status, a transport
//     error, no answer within the webhook's timeout) is retried with
//     exponential backoff until the deadline the caller gives. Delivery is
//     at least once: a receiver deduplicates by id.
//   - Each webhook gets its events in the order given, one at a time;
//     webhooks are served in parallel.
//   - Redirects are not followed (a header would go to another host), and
//     at most MaxResponse bytes of an answer are read, never printed.
//   - What could not be delivered is returned and logged as a warning with
//     the webhook's name, the failback, the event id and the error. The
//     webhook's URL is never printed, nor a header value; errors are
//     scrubbed of every header value and, when the URL is sensitive, of
//     its parts.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// Kinds of notification, as a notify block's events name them.
const (
	KindShift       = "shift"
	KindRollback    = "rollback"
	KindStepBack    = "step_back"
	KindHalt        = "halt"
	KindComplete    = "complete"
	KindApplyFailed = "apply_failed"
	KindLease       = "lease"
)

// Kinds lists every kind, in the policy's order.
var Kinds = []string{KindShift, KindRollback, KindStepBack, KindHalt, KindComplete, KindApplyFailed, KindLease}

// Kind is the notification kind of a history event, "" for an event no
// webhook is told of: a step forward (shift, or a person's manual_shift)
// is a shift, one that reached 100 % is complete; revert_failed halts; a
// lock taken over or removed by hand is a lease change, and so is a
// replica of `fbctl run` taking or losing a failback's lease (type
// LeaseEvent, told by the controller, not in the history).
func Kind(ev state.Event) string {
	switch ev.Type {
	case "shift":
		if ev.To != nil && *ev.To == providers.ShareFull {
			return KindComplete
		}
		return KindShift
	case "manual_shift":
		return KindShift
	case "rollback", "step_back", "halt", "apply_failed":
		return ev.Type
	case "revert_failed":
		return KindHalt
	case "lock_takeover", "unlock", LeaseEvent:
		return KindLease
	}
	return ""
}

// LeaseEvent is the type of the events `fbctl run` notifies when one of
// its replicas takes or loses a failback's lease.
const LeaseEvent = "lease"

// Webhook is one notify "webhook" block.
type Webhook struct {
	Name string
	// URL is never printed.
	URL          string
	URLSensitive bool
	// Headers are sent with every delivery; their values are never
	// printed. SensitiveHeaders names those marked sensitive in the policy.
	Headers          map[string]string
	SensitiveHeaders map[string]bool
	// Events are the kinds it is told of (Kinds); empty for all. A webhook
	// told of shifts is told of the shift that completes too.
	Events []string
	// Format is "json" (Document) or "slack".
	Format string
	// Timeout bounds one attempt; zero means DefaultTimeout.
	Timeout time.Duration
}

// Wants says whether w is told of notifications of kind.
func (w *Webhook) Wants(kind string) bool {
	if kind == "" {
		return false
	}
	if len(w.Events) == 0 || slices.Contains(w.Events, kind) {
		return true
	}
	return kind == KindComplete && slices.Contains(w.Events, KindShift)
}

// Defaults.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 30 * time.Second
	// MaxResponse is how much of an answer is read (and discarded).
	MaxResponse = 64 << 10
)

// Options configure a Sender.
type Options struct {
	Webhooks []Webhook
	// Redact scrubs the text that is sent or logged of the policy's
	// sensitive values (a reason may quote one); nil leaves it.
	Redact func(string) string
	Logger *slog.Logger
	// Now and Sleep are the clock and the wait between attempts; nil means
	// real time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Backoff is the first wait between attempts, doubled after each up to
	// MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Transport carries the requests; nil means one of fbctl's own
	// (proxies from the environment, no redirects).
	Transport http.RoundTripper
}

// Sender delivers events to webhooks. It is safe for concurrent use.
type Sender struct {
	o      Options
	client *http.Client
	hooks  []hook
}

type hook struct {
	Webhook
	red *providers.Redactor
}

// New returns a Sender; with no webhooks it sends nothing.
func New(o Options) *Sender {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = providers.Sleep
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Redact == nil {
		o.Redact = func(s string) string { return s }
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	tr := o.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = http.ProxyFromEnvironment
		tr = t
	}
	s := &Sender{o: o, client: &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for _, w := range o.Webhooks {
		if w.Timeout <= 0 {
			w.Timeout = DefaultTimeout
		}
		s.hooks = append(s.hooks, hook{Webhook: w, red: SecretsOf(w)})
	}
	return s
}

// SecretsOf is what no error about w may quote: every header value (a
// short one only when marked sensitive: "json" would mangle text), the
// URL, its password and query, and its parts when it is sensitive.
func SecretsOf(w Webhook) *providers.Redactor {
	red := &providers.Redactor{}
	for k, v := range w.Headers {
		if len(v) >= 8 || w.SensitiveHeaders[k] {
			red.Add(v)
			// "Bearer TOKEN": the token alone too.
			if _, tok, ok := strings.Cut(v, " "); ok {
				red.Add(tok)
			}
		}
	}
	red.Add(w.URL)
	if u, err := url.Parse(w.URL); err == nil {
		if p, ok := u.User.Password(); ok {
			red.Add(p)
		}
		red.Add(u.RawQuery)
		if w.URLSensitive {
			red.AddHostPort(u.Host)
			red.Add(u.Hostname(), u.EscapedPath(), u.Path, u.User.Username())
			for _, vs := range u.Query() {
				red.Add(vs...)
			}
		}
	}
	return red
}

// Enabled says whether any webhook is told of ev.
func (s *Sender) Enabled(ev state.Event) bool {
	k := Kind(ev)
	for i := range s.hooks {
		if s.hooks[i].Wants(k) {
			return true
		}
	}
	return false
}

// Failure is an event a webhook did not get.
type Failure struct {
	Webhook string
	Event   state.Event
	// Err says why, scrubbed of secrets.
	Err error
}

// Send delivers each event to every webhook told of its kind, retrying
// until the deadline until (on the Sender's clock) or the end of ctx, and
// returns (and logs) what was not delivered.
func (s *Sender) Send(ctx context.Context, until time.Time, events []state.Event) []Failure {
	var mu sync.Mutex
	var failures []Failure
	var wg sync.WaitGroup
	for i := range s.hooks {
		h := &s.hooks[i]
		var mine []state.Event
		for _, ev := range events {
			if h.Wants(Kind(ev)) {
				mine = append(mine, ev)
			}
		}
		if len(mine) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, ev := range mine {
				if f := s.deliver(ctx, h, ev, until); f != nil {
					mu.Lock()
					failures = append(failures, *f)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return failures
}

// deliver sends ev to h until a 2xx answer or the deadline, and logs a
// failure.
func (s *Sender) deliver(ctx context.Context, h *hook, ev state.Event, until time.Time) *Failure {
	body, err := s.body(h, ev)
	if err != nil {
		return s.failed(h, ev, 0, err)
	}
	wait := s.o.Backoff
	attempts := 0
	for {
		left := until.Sub(s.o.Now())
		if left <= 0 || ctx.Err() != nil {
			if err == nil {
				err = errors.New("no time left to send it")
			}
			if cerr := ctx.Err(); cerr != nil {
				err = fmt.Errorf("%w (and interrupted: %v)", err, cerr)
			}
			return s.failed(h, ev, attempts, err)
		}
		attempts++
		err = s.post(ctx, h, body, min(h.Timeout, left))
		if err == nil {
			s.o.Logger.Debug("notification delivered", "notify", h.Name, "failback", ev.Failback, "event_id", ev.ID,
				"type", Kind(ev), "attempts", attempts)
			return nil
		}
		if s.o.Now().Add(wait).After(until) {
			return s.failed(h, ev, attempts, fmt.Errorf("%w; the deadline comes before the next attempt", err))
		}
		if serr := s.o.Sleep(ctx, wait); serr != nil {
			return s.failed(h, ev, attempts, fmt.Errorf("%w (and interrupted: %v)", err, serr))
		}
		wait = min(2*wait, s.o.MaxBackoff)
	}
}

func (s *Sender) failed(h *hook, ev state.Event, attempts int, err error) *Failure {
	err = errors.New(s.scrub(h, err.Error()))
	s.o.Logger.Warn("notification not delivered", "notify", h.Name, "failback", ev.Failback, "event_id", ev.ID,
		"type", Kind(ev), "attempts", attempts, "err", err.Error())
	return &Failure{Webhook: h.Name, Event: ev, Err: err}
}

func (s *Sender) scrub(h *hook, msg string) string { return s.o.Redact(h.red.Redact(msg)) }

// post makes one attempt.
func (s *Sender) post(ctx context.Context, h *hook, body []byte, timeout time.Duration) error {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		// Never the URL: url.Parse's errors quote it.
		return errors.New("the webhook's url cannot make a request")
	}
	for k, v := range h.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "fbctl-notify")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("no answer within %s", timeout)
		}
		// The *url.Error quotes the URL: keep only its cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return err
	}
	defer resp.Body.Close()
	// A bounded read lets the connection be reused; what the body says
	// does not matter (and is never printed: it may echo a header).
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponse))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// Document is the JSON body of a notification (format "json"). Shares are
// percentages, as in `fbctl history -o json`.
type Document struct {
	// ID is the event's id: the key to deduplicate on.
	ID       string `json:"id"`
	Failback string `json:"failback"`
	// Type is the notification's kind (Kinds); Event the history event's
	// own type (shift, manual_shift, revert_failed, lock_takeover, ...).
	Type   string    `json:"type"`
	Event  string    `json:"event"`
	Phase  string    `json:"phase,omitempty"`
	From   *float64  `json:"from,omitempty"`
	To     *float64  `json:"to,omitempty"`
	Actor  string    `json:"actor,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Time   time.Time `json:"time"`
	RunID  string    `json:"run_id,omitempty"`
}

// NewDocument is the document of ev, its free text scrubbed by redact.
func NewDocument(ev state.Event, redact func(string) string) Document {
	d := Document{ID: ev.ID, Failback: ev.Failback, Type: Kind(ev), Event: ev.Type, Phase: string(ev.Phase),
		Actor: redact(ev.Actor), Reason: redact(ev.Reason), Time: ev.Time.UTC(), RunID: ev.RunID}
	if ev.From != nil {
		p := ev.From.Percent()
		d.From = &p
	}
	if ev.To != nil {
		p := ev.To.Percent()
		d.To = &p
	}
	return d
}

func (s *Sender) body(h *hook, ev state.Event) ([]byte, error) {
	// The policy's Redact knows every sensitive value, header values
	// included; the webhook's own list is for errors, and would blank
	// ordinary words of a reason.
	d := NewDocument(ev, s.o.Redact)
	if h.Format == "slack" {
		return json.Marshal(map[string]string{"text": SlackText(d)})
	}
	return json.Marshal(d)
}

// SlackText is the text of a Slack message for d, in Slack's markup with
// &, < and > escaped, so that nothing in a reason can mention a channel
// or make a link.
func SlackText(d Document) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fbctl: *%s*: %s", d.Failback, strings.ReplaceAll(d.Type, "_", " "))
	if d.Event != d.Type {
		fmt.Fprintf(&b, " (%s)", d.Event)
	}
	switch {
	case d.From != nil && d.To != nil:
		fmt.Fprintf(&b, " %s%% → %s%%", fmtPercent(*d.From), fmtPercent(*d.To))
	case d.To != nil:
		fmt.Fprintf(&b, " to %s%%", fmtPercent(*d.To))
	}
	if d.Actor != "" {
		fmt.Fprintf(&b, " by %s", d.Actor)
	}
	if d.Reason != "" {
		fmt.Fprintf(&b, ": %s", d.Reason)
	}
	fmt.Fprintf(&b, " (event %s at %s)", d.ID, d.Time.Format(time.RFC3339))
	return slackEscape(b.String())
}

func fmtPercent(p float64) string { return strings.TrimSuffix(fmt.Sprintf("%g", p), ".0") }

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackEscaper.Replace(s) }

// Queue delivers events in the background, for `fbctl run`: Recorded
// hands one over without blocking, and each webhook's worker delivers its
// events in order, each until window after it was handed over.
type Queue struct {
	s      *Sender
	window time.Duration
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	chans  []chan queued
}

type queued struct {
	ev    state.Event
	until time.Time
}

// QueueSize bounds the events waiting for one webhook; past it an event is
// dropped, with a warning.
const QueueSize = 1024

// Start starts the workers of a Queue. They stop when ctx ends (what is
// left is logged as not delivered) or after Close, once their queues are
// drained.
func (s *Sender) Start(ctx context.Context, window time.Duration) *Queue {
	q := &Queue{s: s, window: window}
	for i := range s.hooks {
		h := &s.hooks[i]
		ch := make(chan queued, QueueSize)
		q.chans = append(q.chans, ch)
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			for e := range ch {
				s.deliver(ctx, h, e.ev, e.until)
			}
		}()
	}
	return q
}

// Recorded queues ev for every webhook told of its kind. It never blocks.
// Calling it after Close is a no-op.
func (q *Queue) Recorded(ev state.Event) {
	k := Kind(ev)
	until := q.s.o.Now().Add(q.window)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	for i := range q.s.hooks {
		h := &q.s.hooks[i]
		if !h.Wants(k) {
			continue
		}
		select {
		case q.chans[i] <- queued{ev, until}:
		default:
			q.s.failed(h, ev, 0, fmt.Errorf("%d notifications are already waiting for this webhook", QueueSize))
		}
	}
}

// Close stops taking events and waits until the workers are done.
func (q *Queue) Close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		for _, ch := range q.chans {
			close(ch)
		}
	}
	q.mu.Unlock()
	q.wg.Wait()
}
