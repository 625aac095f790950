// Package simhttp holds what fbctl's API emulators (internal/sim/...) do
// alike around their handlers: count the requests of each operation, serve
// on a free loopback port, and hold an answer for a latency fault until
// the request ends or the emulator closes. Both types are safe for
// concurrent use, and their zero values are ready to use.
package simhttp

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Calls counts the requests each operation received.
type Calls struct {
	mu sync.Mutex
	n  map[string]int
}

// Add counts one request of op.
func (c *Calls) Add(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
}

// Counts returns a copy of the counts, never nil.
func (c *Calls) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// Reset zeroes the counts.
func (c *Calls) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]int{}
}

// Loopback serves one handler on a free port of 127.0.0.1.
type Loopback struct {
	mu   sync.Mutex
	srv  *http.Server
	ln   net.Listener
	done chan struct{} // closed by Close
}

// Start serves h and returns the base URL, http://127.0.0.1:PORT with no
// trailing slash. name ("route53sim") starts the error of a second Start.
func (l *Loopback) Start(name string, h http.Handler) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.srv != nil {
		return "", errors.New(name + ": already started")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	l.ln = ln
	l.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go l.srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed on Close
	return "http://" + ln.Addr().String(), nil
}

// URL returns the base URL Start returned, "" before Start.
func (l *Loopback) URL() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return ""
	}
	return "http://" + l.ln.Addr().String()
}

// Close stops the server (when started) and its connections, and ends
// every Hold. Safe to call more than once.
func (l *Loopback) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.doneLocked():
	default:
		close(l.done)
	}
	if l.srv != nil {
		l.srv.Close()
	}
}

func (l *Loopback) doneLocked() chan struct{} {
	if l.done == nil {
		l.done = make(chan struct{})
	}
	return l.done
}

// Hold waits d, the delay of a latency fault, before r is answered. It
// reports false when r ended or Close was called first: the handler then
// answers nothing.
func (l *Loopback) Hold(r *http.Request, d time.Duration) bool {
	l.mu.Lock()
	done := l.doneLocked()
	l.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-done:
		return false
	}
}
