package simhttp_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/sim/simhttp"
)

func TestCalls(t *testing.T) {
	var c simhttp.Calls
	if got := c.Counts(); got == nil || len(got) != 0 {
		t.Fatalf("Counts of no calls = %v", got)
	}
	c.Add("Get")
	c.Add("Get")
	c.Add("Put")
	got := c.Counts()
	if got["Get"] != 2 || got["Put"] != 1 || len(got) != 2 {
		t.Fatalf("Counts = %v", got)
	}
	got["Get"] = 9 // a copy
	if c.Counts()["Get"] != 2 {
		t.Fatal("Counts shares its map")
	}
	c.Reset()
	if got := c.Counts(); len(got) != 0 {
		t.Fatalf("Counts after Reset = %v", got)
	}
}

func TestLoopbackServesHoldsAndCloses(t *testing.T) {
	var l simhttp.Loopback
	if l.URL() != "" {
		t.Fatal("URL before Start")
	}
	held := make(chan bool, 1)
	base, err := l.Start("testsim", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			held <- l.Hold(r, time.Minute)
			return
		}
		io.WriteString(w, "ok")
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, "/") || l.URL() != base {
		t.Fatalf("Start = %q, URL = %q", base, l.URL())
	}
	if _, err := l.Start("testsim", http.NotFoundHandler()); err == nil || err.Error() != "testsim: already started" {
		t.Fatalf("second Start = %v", err)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Fatalf("body = %q", body)
	}

	go http.Get(base + "/hold") //nolint:errcheck // ends when the server closes
	time.Sleep(50 * time.Millisecond)
	l.Close()
	select {
	case ok := <-held:
		if ok {
			t.Fatal("Hold reported true after Close")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end Hold")
	}
	l.Close() // twice is fine
	r, _ := http.NewRequest("GET", "/", nil)
	if l.Hold(r, time.Minute) {
		t.Fatal("Hold after Close reported true")
	}
}

func TestHoldWaits(t *testing.T) {
	var l simhttp.Loopback
	r, _ := http.NewRequest("GET", "/", nil)
	start := time.Now()
	if !l.Hold(r, 20*time.Millisecond) || time.Since(start) < 20*time.Millisecond {
		t.Fatal("Hold did not wait its delay")
	}
}
