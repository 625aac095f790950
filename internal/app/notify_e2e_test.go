package app

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

	"github.com/fbctl/fbctl/internal/notify"
	"github.com/fbctl/fbctl/policy"
)

// hookReceiver is a webhook receiver on loopback: it records each
// notification and its headers, failing the first delivery when asked.
type hookReceiver struct {
	*httptest.Server
	mu        sync.Mutex
	docs      []notify.Document
	headers   []http.Header
	failFirst bool
}

func newHookReceiver(t *testing.T, failFirst bool) *hookReceiver {
	t.Helper()
	r := &hookReceiver{failFirst: failFirst}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		var d notify.Document
		if err := json.Unmarshal(body, &d); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.docs = append(r.docs, d)
		r.headers = append(r.headers, req.Header.Clone())
		if r.failFirst && len(r.docs) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) got() ([]notify.Document, []http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Document(nil), r.docs...), append([]http.Header(nil), r.headers...)
}

const hookSecret = "hook-5ecret-token-value"

// notifyTop is a notify block sending to url with a sensitive header.
func notifyTop(url string) string {
	return `
variable "hook_token" {
  type      = string
  sensitive = true
  default   = "` + hookSecret + `"
}

notify "webhook" "ops" {
  url     = "` + url + `/hook"
  headers = { Authorization = "Bearer ${var.hook_token}" }
}
`
}

// TestNotifyEndToEnd: reconcile on a real HAProxy shifts traffic and tells
// a webhook, whose first delivery fails, of the shift with the id that
// `fbctl history -o json` shows; the header's secret is sent but appears
// in no output or log; plan tells nothing.
func TestNotifyEndToEnd(t *testing.T) {
	rcv := newHookReceiver(t, true)
	e := newE2E(t, `steps = [5, 25, 100]
    bake = "1m"
    primary_healthy_for = "1m"`)
	e.top = notifyTop(rcv.URL)
	e.writePolicy(`steps = [5, 25, 100]
    bake = "1m"
    primary_healthy_for = "1m"`, e.hap.SocketPath, "primary")

	var logs lockedBuffer
	var outputs strings.Builder
	run := func(f func(g *Global, s IO) error) ExitCode {
		t.Helper()
		g := e.global()
		g.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		// Retries wait on the injected clock, never really.
		g.Sleep = func(ctx context.Context, d time.Duration) error { e.advance(d); return ctx.Err() }
		var out, errOut bytes.Buffer
		err := f(g, IO{Out: &out, ErrOut: &errOut})
		outputs.WriteString(out.String() + errOut.String() + Message(err))
		e.lastJSON = runsDoc{}
		_ = json.Unmarshal(out.Bytes(), &e.lastJSON)
		return CodeOf(err)
	}

	// plan, however often, tells nothing.
	for i := 0; i < 3; i++ {
		if code := run(func(g *Global, s IO) error {
			return Reconcile(context.Background(), s, ReconcileOptions{Global: g, DryRun: true})
		}); code != ExitOK {
			t.Fatalf("plan exited %d: %s", code, outputs.String())
		}
	}
	if docs, _ := rcv.got(); len(docs) != 0 {
		t.Fatalf("plan sent %d notifications", len(docs))
	}

	shifted := false
	for i := 0; i < 40 && !shifted; i++ {
		if code := run(func(g *Global, s IO) error {
			return Reconcile(context.Background(), s, ReconcileOptions{Global: g})
		}); code != ExitOK {
			t.Fatalf("reconcile exited %d: %s", code, outputs.String())
		}
		shifted = e.lastJSON.Failbacks[0].Applied
		e.advance(10 * time.Second)
	}
	if !shifted {
		t.Fatal("no shift happened")
	}
	if f := e.primaryFraction(); f < 1 || f > 10 {
		t.Fatalf("the primary really gets %.1f%%, want about 5%%", f)
	}

	// The history's ids.
	var hist historyDoc
	if code := run(func(g *Global, s IO) error {
		var out bytes.Buffer
		err := History(context.Background(), IO{Out: &out, ErrOut: s.ErrOut}, HistoryOptions{Global: g})
		_ = json.Unmarshal(out.Bytes(), &hist)
		return err
	}); code != ExitOK || len(hist.Events) != 1 {
		t.Fatalf("history exited %d with %+v", code, hist)
	}
	ev := hist.Events[0]
	if ev.Type != "shift" || len(ev.ID) != 32 {
		t.Fatalf("history event %+v: want a shift with an id", ev)
	}

	docs, headers := rcv.got()
	byID := map[string]int{}
	for i, d := range docs {
		byID[d.ID]++
		if headers[i].Get("Authorization") != "Bearer "+hookSecret || headers[i].Get("Content-Type") != "application/json" {
			t.Errorf("delivery %d headers: Authorization set: %v, Content-Type %q", i,
				headers[i].Get("Authorization") != "", headers[i].Get("Content-Type"))
		}
	}
	if len(docs) != 2 || len(byID) != 1 || byID[ev.ID] != 2 {
		t.Fatalf("deliveries %+v: want the shift %s twice (the first failed)", docs, ev.ID)
	}
	d := docs[1]
	if d.Type != "shift" || d.Event != "shift" || d.Failback != "web" || d.To == nil || *d.To != 5 || d.RunID != ev.RunID {
		t.Errorf("notification %+v does not match the history's %+v", d, ev)
	}
	for name, text := range map[string]string{"logs": logs.String(), "output": outputs.String()} {
		if strings.Contains(text, hookSecret) || strings.Contains(text, rcv.URL) {
			t.Errorf("the %s show the header's secret or the webhook's URL:\n%s", name, text)
		}
	}
}

// TestNotifyUndeliveredIsLogged: a receiver that is gone costs the command
// its bounded window of retries (on the injected clock), then a warning
// naming the webhook and the event; the command's own result stands.
func TestNotifyUndeliveredIsLogged(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	url := gone.URL
	gone.Close()
	e := newE2E(t, `steps = [5, 100]
    bake = "1m"
    primary_healthy_for = "1m"`)
	e.top = notifyTop(url)
	e.writePolicy(`steps = [5, 100]
    bake = "1m"
    primary_healthy_for = "1m"`, e.hap.SocketPath, "primary")
	var logs bytes.Buffer
	g := e.global()
	g.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	var slept time.Duration
	g.Sleep = func(ctx context.Context, d time.Duration) error { slept += d; e.advance(d); return ctx.Err() }
	var out bytes.Buffer
	if err := Pause(context.Background(), IO{Out: &out, ErrOut: &out}, ControlOptions{Global: g, Name: "web", Reason: "look"}); err != nil {
		t.Fatalf("pause: %v", err)
	}
	// A pause is no notification: nothing was tried.
	if slept != 0 || strings.Contains(logs.String(), "not delivered") {
		t.Fatalf("pause tried to notify: slept %s, logs:\n%s", slept, logs.String())
	}
	out.Reset()
	if err := Shift(context.Background(), IO{Out: &out, ErrOut: &out}, ShiftOptions{Global: g, Name: "web", Percent: "5", Force: true, Reason: "test"}); err != nil {
		t.Fatalf("shift: %v\n%s", err, out.String())
	}
	if slept == 0 || slept > NotifyWindow {
		t.Errorf("retried for %s, want within %s", slept, NotifyWindow)
	}
	for _, want := range []string{`"msg":"notification not delivered"`, `"notify":"ops"`, `"failback":"web"`, `"event_id":"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), hookSecret) || strings.Contains(logs.String(), url) {
		t.Errorf("the logs show a secret or the URL:\n%s", logs.String())
	}
}

// TestNotifyEventsMatchPolicy: the policy's event names are the sender's
// kinds.
func TestNotifyEventsMatchPolicy(t *testing.T) {
	if strings.Join(policy.NotifyEvents, ",") != strings.Join(notify.Kinds, ",") {
		t.Errorf("policy.NotifyEvents %v != notify.Kinds %v", policy.NotifyEvents, notify.Kinds)
	}
}

// TestNotifyFromController: fbctl run tells the webhook of each event as
// it is recorded (its first delivery failing), with the history's id.
func TestNotifyFromController(t *testing.T) {
	rcv := newHookReceiver(t, true)
	rollout := `steps               = [25, 100]
    bake                = "1h"
    primary_healthy_for = "1s"`
	e := newE2E(t, rollout)
	e.primaryCheck = `interval            = "1s"
    timeout             = "500ms"
    healthy_threshold   = 1
    unhealthy_threshold = 2`
	e.secondaryCheck = `interval          = "1s"
    timeout           = "500ms"
    healthy_threshold = 1`
	e.top = notifyTop(rcv.URL)
	e.writePolicy(rollout, e.hap.SocketPath, "primary")
	g := e.global()
	g.Now, g.Output = nil, OutputText // the wall clock, as fbctl run has
	// Retries wait for nothing: the test waits for their outcome.
	g.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	var out, errOut lockedBuffer
	g.Logger = slog.New(slog.NewTextHandler(&errOut, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- RunController(ctx, IO{Out: &out, ErrOut: &errOut}, RunOptions{Global: g, Listen: "127.0.0.1:0"})
	}()
	shifts := func() []notify.Document {
		docs, _ := rcv.got()
		var out []notify.Document
		for _, d := range docs {
			if d.Type == "shift" {
				out = append(out, d)
			}
		}
		return out
	}
	eventually(t, 30*time.Second, "the shift is delivered", func() bool { return len(shifts()) >= 1 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunController: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("RunController did not return after cancel")
	}
	docs, _ := rcv.got()
	hist, err := e.historyEvents()
	if err != nil {
		t.Fatal(err)
	}
	// The first delivery (the lease taken at the start) failed once and
	// came again; the shift came with the history's id.
	if len(docs) < 3 || docs[0].Type != "lease" || docs[1].ID != docs[0].ID || !strings.Contains(docs[0].Reason, "took the failback's lease") {
		t.Fatalf("deliveries %+v: want the lease taken first, delivered again after the failure", docs)
	}
	if sh := shifts(); len(hist) == 0 || hist[0].Type != "shift" || sh[0].ID != hist[0].ID {
		t.Fatalf("deliveries %+v, history %+v: want the shift with the history's id", docs, hist)
	}
	if strings.Contains(out.String()+errOut.String(), hookSecret) {
		t.Error("the controller's output shows the header's secret")
	}
}

// historyEvents reads the failback's history as `fbctl history -o json`.
func (e *e2e) historyEvents() ([]eventJSON, error) {
	g := e.global()
	var out, errOut bytes.Buffer
	if err := History(context.Background(), IO{Out: &out, ErrOut: &errOut}, HistoryOptions{Global: g}); err != nil {
		return nil, err
	}
	var hist historyDoc
	err := json.Unmarshal(out.Bytes(), &hist)
	return hist.Events, err
}

// TestNotifyUnknownInStateCommands: pause reads the policy without the
// values it does not need; a webhook whose URL comes from an unset
// environment variable does not stop it, and a pause, which is no
// notification, raises no warning about it.
func TestNotifyUnknownInStateCommands(t *testing.T) {
	e := newE2E(t, `steps = [5, 100]`)
	e.top = `
notify "webhook" "ops" {
  url = env("FBCTL_TEST_HOOK_URL")
}
`
	e.writePolicy(`steps = [5, 100]`, e.hap.SocketPath, "primary")
	var logs lockedBuffer
	g := e.global()
	g.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	var out bytes.Buffer
	if err := Pause(context.Background(), IO{Out: &out, ErrOut: &out}, ControlOptions{Global: g, Name: "web", Reason: "look"}); err != nil {
		t.Fatalf("pause: %v\n%s", err, out.String())
	}
	if strings.Contains(logs.String(), "not sent") {
		t.Errorf("a pause warned about notifications:\n%s", logs.String())
	}
}
