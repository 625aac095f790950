package gatehook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/state"
)

var move = engine.Move{Failback: "checkout", Cycle: 2, From: 500, To: 1000, Phase: state.PhaseShifting}

const token = "Bearer gate-s3cr3t-token"

func hook(url string) Hook {
	return Hook{Name: "signoff", URL: url, Headers: map[string]string{"Authorization": token},
		SensitiveHeaders: map[string]bool{"Authorization": true}, Timeout: 5 * time.Second}
}

// A 2xx answer passes; the POST carries the move in percent and the headers.
func TestPassAndBody(t *testing.T) {
	var got Body
	var auth, ctype, method string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, auth, ctype = r.Method, r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<10)).Decode(&got); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	res := New(hook(srv.URL)).Consult(context.Background(), move)
	if !res.Healthy || res.Detail != "HTTP 204" {
		t.Fatalf("result = %+v", res)
	}
	if got != (Body{Failback: "checkout", Cycle: 2, From: 5, To: 10, Phase: "shifting"}) {
		t.Errorf("body = %+v", got)
	}
	if method != http.MethodPost || auth != token || ctype != "application/json" {
		t.Errorf("method %q, auth %q, content type %q", method, auth, ctype)
	}
}

// A 5xx holds with the status and the body's first line, sanitised and
// bounded; a body echoing the secret header never shows it.
func TestHoldWithFirstLine(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"first line", "replication lag 12 MB\nsecond line", "HTTP 503: replication lag 12 MB"},
		{"blank lines first", "\r\n\n  not yet \r\nmore", "HTTP 503: not yet"},
		{"control characters", "bad\x1b[31mred\x00", "HTTP 503: bad [31mred"},
		{"secret echoed", "denied for " + token, "HTTP 503: denied for " + "[REDACTED]"},
		{"long", strings.Repeat("é", 500), "HTTP 503: " + strings.Repeat("é", 98) + "…"},
		{"empty", "", "HTTP 503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			res := New(hook(srv.URL)).Consult(context.Background(), move)
			if res.Healthy {
				t.Fatal("a 503 passed")
			}
			if strings.Contains(res.Detail, "s3cr3t") {
				t.Fatalf("the detail shows the secret: %q", res.Detail)
			}
			if tc.name != "secret echoed" && res.Detail != tc.want {
				t.Errorf("detail = %q, want %q", res.Detail, tc.want)
			}
			if len(strings.TrimPrefix(res.Detail, "HTTP 503: ")) > MaxReason {
				t.Errorf("detail is %d bytes", len(res.Detail))
			}
		})
	}
}

// An answer slower than the timeout holds. The handler waits for the
// request to be abandoned: no sleep.
func TestTimeoutHolds(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	h := hook(srv.URL)
	h.Timeout = 50 * time.Millisecond
	res := New(h).Consult(context.Background(), move)
	if res.Healthy || res.Detail != "no answer within 50ms" {
		t.Fatalf("result = %+v", res)
	}
}

// A redirect is not followed: it holds, and the place it points to is
// never asked (the headers would go there).
func TestRedirectNotFollowed(t *testing.T) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	res := New(hook(srv.URL)).Consult(context.Background(), move)
	if res.Healthy || !strings.HasPrefix(res.Detail, "HTTP 307 (a redirect, not followed)") {
		t.Fatalf("result = %+v", res)
	}
	if hits.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
}

// A refused connection holds, and the detail never shows a sensitive URL.
func TestUnreachableHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + "/hook/t0ps3cret-path"
	srv.Close()
	h := hook(u)
	h.URLSensitive = true
	res := New(h).Consult(context.Background(), move)
	if res.Healthy || strings.Contains(res.Detail, "t0ps3cret") || strings.Contains(res.Detail, u) {
		t.Fatalf("result = %+v", res)
	}
}
