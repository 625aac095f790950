package app

import (
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

	"github.com/fbctl/fbctl/internal/gatehook"
)

// signoff is a webhook gate's receiver on loopback: it says yes when open,
// and remembers what it was asked.
type signoff struct {
	mu    sync.Mutex
	open  bool
	asked []gatehook.Body
	auth  []string
}

func (s *signoff) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var b gatehook.Body
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<10)).Decode(&b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, b)
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	if !s.open {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "smoke tests still running\ndetails follow")
		return
	}
	_, _ = io.WriteString(w, "go ahead\n")
}

func (s *signoff) set(open bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = open
}

func (s *signoff) requests() []gatehook.Body {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gatehook.Body(nil), s.asked...)
}

func newGateE2E(t *testing.T) (*e2e, *signoff) {
	t.Helper()
	so := &signoff{}
	srv := httptest.NewServer(so)
	t.Cleanup(srv.Close)
	e := newE2E(t, `steps = [5, 25, 100]
    bake = "1m"
    primary_healthy_for = "1m"`)
	e.top = `variable "gate_token" {
  type      = string
  sensitive = true
  default   = "Bearer gate-e2e-s3cr3t"
}`
	e.inFailback = `
  gate "webhook" "signoff" {
    url     = "` + srv.URL + `/gate"
    headers = { Authorization = var.gate_token }
    timeout = "5s"
  }
  gate "http" "smoke" {
    url = "` + e.primary.URL + `/healthz"
  }
`
	e.writePolicy(`steps = [5, 25, 100]
    bake = "1m"
    primary_healthy_for = "1m"`, e.hap.SocketPath, "primary")
	return e, so
}

// A failback with a webhook gate and an http gate on a real HAProxy: it
// holds at 0 %, with the receiver's reason and exit 0, for as long as the
// webhook says no (the http gate after it is not asked), even with a
// healthy primary; it proceeds when both say yes. plan lists the webhook
// without calling it and probes the http gate.
func TestHAProxyWebhookGate(t *testing.T) {
	e, so := newGateE2E(t)
	var held int
	for i := 0; i < 20; i++ {
		code := e.reconcile()
		fb := e.lastJSON.Failbacks[0]
		if code != ExitOK || fb.Writes || fb.Applied {
			t.Fatalf("with the gate closed: exit %d, %+v", code, fb)
		}
		if len(fb.Gates) > 0 {
			held++
			g := fb.Gates[0]
			if len(fb.Gates) != 2 || fb.Gates[1].Verdict != "skipped" || g.Name != "signoff" || g.Kind != "webhook" || g.Verdict != "hold" ||
				g.Detail != "HTTP 503: smoke tests still running" ||
				!strings.Contains(fb.Reason, `gate "signoff" holds the share at 0%: HTTP 503: smoke tests still running`) {
				t.Fatalf("held: gates %+v, reason %q", fb.Gates, fb.Reason)
			}
		}
		e.advance(10 * time.Second)
	}
	if held < 5 {
		t.Fatalf("the gate held %d runs", held)
	}
	if f := e.primaryFraction(); f != 0 {
		t.Fatalf("held at 0 %%, but the primary gets %.1f%%", f)
	}
	asked := so.requests()
	if len(asked) != held || asked[0].Failback != "web" || asked[0].From != 0 || asked[0].To != 5 || asked[0].Phase != "shifting" {
		t.Fatalf("the receiver was asked %+v (%d holds)", asked, held)
	}
	if so.auth[0] != "Bearer gate-e2e-s3cr3t" {
		t.Errorf("the header was not sent")
	}

	// plan: lists the gate, does not call it.
	code, out := e.run(func(g *Global, s IO) error {
		return Reconcile(context.Background(), s, ReconcileOptions{Global: g, DryRun: true})
	})
	if code != ExitOK {
		t.Fatalf("plan exited %d: %s", code, out)
	}
	fb := e.lastJSON.Failbacks[0]
	if len(so.requests()) != held {
		t.Fatal("plan called the webhook gate")
	}
	if len(fb.Gates) != 2 || fb.Gates[0].Verdict != "not_called" || fb.Gates[1].Verdict != "pass" || !fb.Writes || *fb.To != 5 {
		t.Fatalf("plan: %+v", fb)
	}
	if strings.Contains(out, "s3cr3t") {
		t.Fatalf("plan printed the header's secret: %s", out)
	}
	// plan in text says the webhook gate was not called.
	_, text := e.run(func(g *Global, s IO) error {
		g.Output = OutputText
		return Reconcile(context.Background(), s, ReconcileOptions{Global: g, DryRun: true})
	})
	if !strings.Contains(text, "web: gates: signoff (webhook) not called: plan does not call webhook gates") {
		t.Fatalf("plan text: %s", text)
	}

	// --log-format json: the result's record carries the gates.
	var logBuf strings.Builder
	e.run(func(g *Global, s IO) error {
		g.Output, g.LogFormat = OutputText, "json"
		g.Logger = slog.New(slog.NewJSONHandler(&logBuf, nil))
		return Reconcile(context.Background(), s, ReconcileOptions{Global: g, DryRun: true})
	})
	logged := logBuf.String()
	if !strings.Contains(logged, `"gates":[{"name":"signoff","kind":"webhook","verdict":"not_called"`) {
		t.Fatalf("the log record has no gates: %s", logged)
	}

	// The gate opens: the next run raises to 5 %.
	so.set(true)
	e.reconcile()
	fb = e.lastJSON.Failbacks[0]
	if !fb.Applied || *fb.To != 5 || len(fb.Gates) != 2 || fb.Gates[0].Verdict != "pass" || fb.Gates[1].Verdict != "pass" {
		t.Fatalf("with the gate open: %+v", fb)
	}
	if f := e.primaryFraction(); f < 2 || f > 9 {
		t.Fatalf("after the gate opened: primary at %.1f%%", f)
	}

	// Closed again at 5 %: it holds there and never rolls back while the
	// primary is healthy.
	so.set(false)
	for i := 0; i < 12; i++ {
		e.advance(10 * time.Second)
		if code := e.reconcile(); code != ExitOK {
			t.Fatalf("exit %d", code)
		}
		if fb := e.lastJSON.Failbacks[0]; fb.Writes || fb.After.Share != 5 {
			t.Fatalf("a closed gate moved the share: %+v", fb)
		}
	}
	// A person's shift up is refused by the gate (exit 6); --force goes.
	code, out = e.run(func(g *Global, s IO) error {
		return Shift(context.Background(), s, ShiftOptions{Global: g, Name: "web", Percent: "25", Reason: "now"})
	})
	if code != ExitHalted || !strings.Contains(out, `gate \"signoff\" holds`) && !strings.Contains(out, `gate "signoff" holds`) {
		t.Fatalf("shift through a closed gate exited %d: %s", code, out)
	}
	n := len(so.requests())
	code, out = e.run(func(g *Global, s IO) error {
		return Shift(context.Background(), s, ShiftOptions{Global: g, Name: "web", Percent: "25", Force: true, Reason: "now"})
	})
	if code != ExitOK || len(so.requests()) != n {
		t.Fatalf("forced shift exited %d (asked %d more): %s", code, len(so.requests())-n, out)
	}
	if f := e.primaryFraction(); f < 20 || f > 30 {
		t.Fatalf("after the forced shift: primary at %.1f%%", f)
	}
}
