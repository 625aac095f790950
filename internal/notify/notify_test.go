package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

var t0 = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

// fakeClock is the Sender's clock: Sleep advances it at once, and records
// each wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return ctx.Err()
}

// receiver is a webhook receiver on loopback that records every request
// and answers with the status fail returns for the n-th request (1-based).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
	fail     func(n int) int
}

type request struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, fail func(n int) int) *receiver {
	t.Helper()
	r := &receiver{fail: fail}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		r.mu.Lock()
		r.requests = append(r.requests, request{req.Header.Clone(), body})
		n := len(r.requests)
		r.mu.Unlock()
		code := http.StatusOK
		if r.fail != nil {
			code = r.fail(n)
		}
		w.WriteHeader(code)
		// A hostile receiver echoes what it got: never printed.
		_, _ = w.Write([]byte(req.Header.Get("Authorization")))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) got() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.requests...)
}

func share(p float64) *providers.Share {
	s := providers.Share(p * 100)
	return &s
}

// runEvents are what a rollout records: three steps, the last completing,
// then a rollback; plus events no webhook is told of.
func runEvents() []state.Event {
	mk := func(typ string, from, to *providers.Share) state.Event {
		return state.Event{ID: state.NewEventID(), Time: t0, RunID: "0123456789ab", Failback: "web", Type: typ,
			Phase: state.PhaseShifting, From: from, To: to, Actor: "alice", Reason: "because"}
	}
	return []state.Event{
		mk("shift", share(0), share(5)),
		mk("pause", nil, nil),
		mk("shift", share(5), share(50)),
		mk("shift", share(50), share(100)),
		mk("rollback", share(100), share(0)),
		mk("lock_takeover", nil, nil),
	}
}

func newSender(clk *fakeClock, log io.Writer, hooks ...Webhook) *Sender {
	return New(Options{Webhooks: hooks, Now: clk.Now, Sleep: clk.Sleep,
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
}

// TestAtLeastOnceThenDedup: a receiver that fails the first delivery gets
// every event at least once, and exactly once after deduplicating by id.
func TestAtLeastOnceThenDedup(t *testing.T) {
	rcv := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	clk := &fakeClock{now: t0}
	var log bytes.Buffer
	s := newSender(clk, &log, Webhook{Name: "ops", URL: rcv.URL + "/hook"})
	evs := runEvents()
	if f := s.Send(context.Background(), t0.Add(30*time.Second), evs); len(f) != 0 {
		t.Fatalf("failures: %+v\nlog:\n%s", f, &log)
	}
	reqs := rcv.got()
	byID := map[string]int{}
	for _, r := range reqs {
		var d Document
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatalf("body %s: %v", r.body, err)
		}
		byID[d.ID]++
	}
	want := map[string]bool{}
	for _, ev := range evs {
		if Kind(ev) != "" {
			want[ev.ID] = true
		}
	}
	if len(byID) != len(want) {
		t.Fatalf("received %d distinct events, want %d: %v", len(byID), len(want), byID)
	}
	dups := 0
	for id, n := range byID {
		if !want[id] {
			t.Errorf("received event %s that was not sent", id)
		}
		dups += n - 1
	}
	if len(reqs) != len(want)+1 || dups != 1 {
		t.Errorf("%d requests with %d repeated; want one retry of the first", len(reqs), dups)
	}
	if len(clk.sleeps) != 1 || clk.sleeps[0] != DefaultBackoff {
		t.Errorf("waits %v, want one of %s", clk.sleeps, DefaultBackoff)
	}
}

// TestDocumentAndHeaders: the JSON document's fields, the content type and
// the webhook's headers; kinds map from event types.
func TestDocumentAndHeaders(t *testing.T) {
	rcv := newReceiver(t, nil)
	clk := &fakeClock{now: t0}
	s := newSender(clk, io.Discard, Webhook{Name: "ops", URL: rcv.URL,
		Headers: map[string]string{"Authorization": "Bearer tok", "X-Team": "sre"}})
	evs := runEvents()
	if f := s.Send(context.Background(), t0.Add(time.Minute), evs[3:4]); len(f) != 0 {
		t.Fatal(f)
	}
	reqs := rcv.got()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.header.Get("Content-Type") != "application/json" || r.header.Get("Authorization") != "Bearer tok" || r.header.Get("X-Team") != "sre" {
		t.Errorf("headers: %v", r.header)
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": evs[3].ID, "failback": "web", "type": "complete", "event": "shift", "phase": "shifting",
		"from": 50.0, "to": 100.0, "actor": "alice", "reason": "because", "time": "2026-12-02T03:00:00Z", "run_id": "0123456789ab"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("document %v has other fields than %v", got, want)
	}
}

func TestKinds(t *testing.T) {
	for _, tc := range []struct {
		ev   state.Event
		kind string
	}{
		{state.Event{Type: "shift", To: share(25)}, KindShift},
		{state.Event{Type: "shift", To: share(100)}, KindComplete},
		{state.Event{Type: "manual_shift", To: share(100)}, KindShift},
		{state.Event{Type: "rollback"}, KindRollback},
		{state.Event{Type: "step_back"}, KindStepBack},
		{state.Event{Type: "halt"}, KindHalt},
		{state.Event{Type: "revert_failed"}, KindHalt},
		{state.Event{Type: "apply_failed"}, KindApplyFailed},
		{state.Event{Type: "lock_takeover"}, KindLease},
		{state.Event{Type: "unlock"}, KindLease},
		{state.Event{Type: "pause"}, ""},
		{state.Event{Type: "approve"}, ""},
	} {
		if got := Kind(tc.ev); got != tc.kind {
			t.Errorf("Kind(%s to %v) = %q, want %q", tc.ev.Type, tc.ev.To, got, tc.kind)
		}
	}
	w := Webhook{Events: []string{KindShift}}
	if !w.Wants(KindComplete) || w.Wants(KindRollback) || w.Wants("") {
		t.Error("a webhook told of shifts: wants complete, not rollback")
	}
	w = Webhook{Events: []string{KindRollback}}
	if w.Wants(KindShift) || !w.Wants(KindRollback) {
		t.Error("a webhook told of rollbacks only")
	}
}

// TestEventsFilter: a webhook gets only the kinds it asks for.
func TestEventsFilter(t *testing.T) {
	rcv := newReceiver(t, nil)
	clk := &fakeClock{now: t0}
	s := newSender(clk, io.Discard, Webhook{Name: "alarms", URL: rcv.URL, Events: []string{KindRollback, KindLease}})
	if f := s.Send(context.Background(), t0.Add(time.Minute), runEvents()); len(f) != 0 {
		t.Fatal(f)
	}
	var types []string
	for _, r := range rcv.got() {
		var d Document
		_ = json.Unmarshal(r.body, &d)
		types = append(types, d.Type)
	}
	if strings.Join(types, ",") != "rollback,lease" {
		t.Errorf("got %v, want rollback then lease", types)
	}
}

// TestSlackFormat: {"text": ...} and nothing else, Slack's markup escaped.
func TestSlackFormat(t *testing.T) {
	rcv := newReceiver(t, nil)
	clk := &fakeClock{now: t0}
	s := newSender(clk, io.Discard, Webhook{Name: "slack", URL: rcv.URL, Format: "slack"})
	ev := runEvents()[4]
	ev.Reason = "primary down <!channel> & <http://evil|click>"
	if f := s.Send(context.Background(), t0.Add(time.Minute), []state.Event{ev}); len(f) != 0 {
		t.Fatal(f)
	}
	reqs := rcv.got()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	var msg map[string]any
	if err := json.Unmarshal(reqs[0].body, &msg); err != nil {
		t.Fatal(err)
	}
	text, ok := msg["text"].(string)
	if len(msg) != 1 || !ok {
		t.Fatalf("slack body %s: want only a text", reqs[0].body)
	}
	for _, want := range []string{"*web*", "rollback", "100% → 0%", "by alice", ev.ID, "&lt;!channel&gt; &amp; &lt;http://evil|click&gt;"} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
	if strings.Contains(text, "<") {
		t.Errorf("text %q holds unescaped markup", text)
	}
}

// TestSecretsNeverPrinted: header values, a sensitive URL, its query and
// password appear in no log line and no failure, even when the receiver
// echoes them or the error quotes the URL; the document's text is
// scrubbed by the policy's Redact.
func TestSecretsNeverPrinted(t *testing.T) {
	rcv := newReceiver(t, func(int) int { return http.StatusBadGateway })
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	const token, short, query, pass = "tok-5ecret-abcdef", "k9z", "q-5ecret-xyz", "pw-5ecret"
	clk := &fakeClock{now: t0}
	var log bytes.Buffer
	s := New(Options{Now: clk.Now, Sleep: clk.Sleep,
		Logger: slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Redact: func(s string) string { return strings.ReplaceAll(s, "policy-secret", "(sensitive value)") },
		Webhooks: []Webhook{
			{Name: "echo", URL: rcv.URL + "/T1/B2/path-5ecret?token=" + query, URLSensitive: true,
				Headers:          map[string]string{"Authorization": "Bearer " + token, "X-Short": short},
				SensitiveHeaders: map[string]bool{"Authorization": true, "X-Short": true}},
			{Name: "refused", URL: strings.Replace(closedURL, "http://", "http://user:"+pass+"@", 1) + "/x?token=" + query,
				Headers: map[string]string{"Authorization": "Bearer " + token}},
		}})
	ev := runEvents()[4]
	ev.Reason = "the policy-secret leaked into a reason"
	failures := s.Send(context.Background(), t0.Add(5*time.Second), []state.Event{ev})
	if len(failures) != 2 {
		t.Fatalf("failures %+v, want both webhooks", failures)
	}
	var text strings.Builder
	text.WriteString(log.String())
	for _, f := range failures {
		text.WriteString(f.Err.Error() + "\n")
		if f.Event.ID != ev.ID {
			t.Errorf("failure of %s names event %s", f.Webhook, f.Event.ID)
		}
	}
	for _, secret := range []string{token, short, query, pass, "path-5ecret", rcv.URL, closedURL} {
		if strings.Contains(text.String(), secret) {
			t.Errorf("%q was printed:\n%s", secret, text.String())
		}
	}
	for _, want := range []string{`"notify":"echo"`, `"event_id":"` + ev.ID, `"failback":"web"`, "HTTP 502", `"notify":"refused"`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, log.String())
		}
	}
	for _, r := range rcv.got() {
		if bytes.Contains(r.body, []byte("policy-secret")) {
			t.Errorf("a sensitive value was sent in a notification: %s", r.body)
		}
	}
}

// TestHangingReceiverTimesOut: a receiver that never answers costs one
// timeout per attempt, and the failure says so.
func TestHangingReceiverTimesOut(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	clk := &fakeClock{now: t0}
	var log bytes.Buffer
	s := newSender(clk, &log, Webhook{Name: "hang", URL: hang.URL, Timeout: 100 * time.Millisecond})
	f := s.Send(context.Background(), t0.Add(2*time.Second), runEvents()[:1])
	if len(f) != 1 || !strings.Contains(f[0].Err.Error(), "no answer within 100ms") {
		t.Fatalf("failures %+v, want a timeout", f)
	}
	// Attempts at 0 and 1s; the next wait (2s) passes the deadline.
	if len(clk.sleeps) != 1 {
		t.Errorf("waits %v", clk.sleeps)
	}
}

// TestRetriesStopAtDeadline: with a receiver that always fails, attempts
// back off exponentially and stop before the deadline would pass.
func TestRetriesStopAtDeadline(t *testing.T) {
	rcv := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	clk := &fakeClock{now: t0}
	var log bytes.Buffer
	s := New(Options{Webhooks: []Webhook{{Name: "down", URL: rcv.URL}}, Now: clk.Now, Sleep: clk.Sleep,
		Backoff: time.Second, MaxBackoff: 4 * time.Second, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	f := s.Send(context.Background(), t0.Add(20*time.Second), runEvents()[:1])
	if len(f) != 1 || !strings.Contains(f[0].Err.Error(), "HTTP 503") {
		t.Fatalf("failures %+v", f)
	}
	// 0, 1, 3, 7, 11, 15, 19: the next (23) is past the deadline.
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
	if len(clk.sleeps) != len(want) {
		t.Fatalf("waits %v, want %v", clk.sleeps, want)
	}
	for i := range want {
		if clk.sleeps[i] != want[i] {
			t.Fatalf("waits %v, want %v", clk.sleeps, want)
		}
	}
	if n := len(rcv.got()); n != 7 {
		t.Errorf("%d attempts, want 7", n)
	}
	if clk.Now().After(t0.Add(20 * time.Second)) {
		t.Errorf("retried past the deadline: %s", clk.Now())
	}
	if !strings.Contains(log.String(), "notification not delivered") || !strings.Contains(log.String(), "attempts=7") {
		t.Errorf("log:\n%s", log.String())
	}
	// An event whose deadline has come is not attempted, and is reported.
	f = s.Send(context.Background(), clk.Now(), runEvents()[:1])
	if len(f) != 1 || len(rcv.got()) != 7 {
		t.Errorf("after the deadline: %+v, %d requests", f, len(rcv.got()))
	}
}

// TestNoRedirect: a redirect is an answer that is not a delivery; the
// headers never reach the other host.
func TestNoRedirect(t *testing.T) {
	other := newReceiver(t, nil)
	redirect := httptest.NewServer(http.RedirectHandler(other.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	clk := &fakeClock{now: t0}
	s := newSender(clk, io.Discard, Webhook{Name: "r", URL: redirect.URL, Headers: map[string]string{"X-Token": "secret"}})
	f := s.Send(context.Background(), t0.Add(time.Second), runEvents()[:1])
	if len(f) != 1 || !strings.Contains(f[0].Err.Error(), "HTTP 307") {
		t.Errorf("failures %+v", f)
	}
	if len(other.got()) != 0 {
		t.Error("the redirect was followed")
	}
}

// TestQueue: the controller's way: events handed over one at a time are
// delivered in order in the background; Close waits for them.
func TestQueue(t *testing.T) {
	rcv := newReceiver(t, func(n int) int {
		if n == 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	clk := &fakeClock{now: t0}
	s := newSender(clk, io.Discard, Webhook{Name: "ops", URL: rcv.URL})
	q := s.Start(context.Background(), time.Minute)
	evs := runEvents()
	for _, ev := range evs {
		q.Recorded(ev)
	}
	q.Close()
	q.Recorded(evs[0]) // after Close: ignored
	var ids []string
	for _, r := range rcv.got() {
		var d Document
		_ = json.Unmarshal(r.body, &d)
		if len(ids) == 0 || ids[len(ids)-1] != d.ID {
			ids = append(ids, d.ID)
		}
	}
	want := []string{evs[0].ID, evs[2].ID, evs[3].ID, evs[4].ID, evs[5].ID}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("delivered %v, want %v in order", ids, want)
	}
}

// TestInterrupted: an ended context stops the retries; what is left is
// reported.
func TestInterrupted(t *testing.T) {
	rcv := newReceiver(t, func(int) int { return http.StatusInternalServerError })
	clk := &fakeClock{now: t0}
	s := newSender(clk, io.Discard, Webhook{Name: "ops", URL: rcv.URL})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := s.Send(ctx, t0.Add(time.Minute), runEvents())
	if len(f) != 5 || len(rcv.got()) != 0 {
		t.Errorf("failures %d, requests %d: want every event reported, none sent", len(f), len(rcv.got()))
	}
}
