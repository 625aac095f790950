package controller

import (
	"context"
	"sync"
	"testing"
	"time"
)

// simClock is a discrete-event clock: time moves only when the test jumps
// it to the next sleeper's deadline, once every goroutine sleeps. Sleepers
// are counted by the clock itself, woken and uncounted in one step, so
// "every goroutine sleeps" has no window.
type simClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers map[*sleeper]bool
	changed  chan struct{} // a doorbell: the sleepers changed
}

type sleeper struct {
	at   time.Time
	done chan struct{}
}

func newSimClock(t0 time.Time) *simClock {
	return &simClock{now: t0, sleepers: map[*sleeper]bool{}, changed: make(chan struct{}, 1)}
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) ring() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	c.mu.Lock()
	s := &sleeper{at: c.now.Add(d), done: make(chan struct{})}
	c.sleepers[s] = true
	c.mu.Unlock()
	c.ring()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.sleepers, s)
		c.mu.Unlock()
		c.ring()
		return ctx.Err()
	}
}

// sleeping is the number of goroutines asleep.
func (c *simClock) sleeping() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}

// next jumps to the earliest deadline and wakes its sleepers; it returns
// the new time.
func (c *simClock) next() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var at time.Time
	for s := range c.sleepers {
		if at.IsZero() || s.at.Before(at) {
			at = s.at
		}
	}
	if at.After(c.now) {
		c.now = at
	}
	for s := range c.sleepers {
		if !s.at.After(c.now) {
			delete(c.sleepers, s)
			close(s.done)
		}
	}
	return c.now
}

// waitIdle waits until want goroutines sleep and idle says the rest is
// settled, ringing on every change of the sleepers; it fails after a
// generous real-time bound (a hang, not a timing assertion).
func (c *simClock) waitIdle(t *testing.T, want int, idle func() bool) {
	t.Helper()
	limit := time.NewTimer(30 * time.Second)
	defer limit.Stop()
	for {
		if c.sleeping() == want && idle() {
			return
		}
		select {
		case <-c.changed:
		case <-limit.C:
			t.Fatalf("the controller did not settle: %d of %d goroutines asleep", c.sleeping(), want)
		}
	}
}
