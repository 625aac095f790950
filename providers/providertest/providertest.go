// Package providertest is the conformance suite every target kind must pass.
//
// A target package calls [Conformance] from a test with a [Harness] over a
// real system or an emulator: the suite applies and observes shares and
// checks, for each, the promises of [providers.Target]:
//
//   - ApplyThenObserve: after Apply(s) returns d, Observe returns d, and d is
//     within Resolution of s, for 0, Resolution, 5 %, 25 %, 50 %, 99 % and
//     100 %, going up and then down.
//   - Idempotent: a second Apply of the same share, and an Apply of the
//     observed share, return the same share and change nothing the target
//     owns (Harness.Owned before and after).
//   - Resolution: Resolution is stable and in 1..10000; Apply lands within
//     it of every wanted share of a sweep, a larger want never delivers a
//     smaller share, and shares outside 0..10000 are refused without a
//     change.
//   - TouchesNothingElse: every subtest compares Harness.Snapshot (what the
//     target must not touch) before and after; this subtest does so around a
//     full sweep from 0 to 100 % and back.
//   - Concurrent: goroutines apply and observe through one Target at once
//     (run the suite under -race); no call fails, and the final observed
//     share is one of the shares the Apply calls delivered.
//   - ContextCanceled: with a cancelled context and with an expired
//     deadline, Observe and Apply fail with an error that wraps
//     context.Canceled or context.DeadlineExceeded, and change nothing.
//
// States are compared with go-cmp ([cmp.Diff]), so a snapshot may be any
// value go-cmp can compare; pass options in Harness.CmpOptions.
package providertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/providers"
)

// Harness connects the suite to one target kind and the system it steers.
type Harness struct {
	// New returns a Target over the system under test. It is called at
	// least once per subtest; every Target it returns steers the same
	// thing. Required.
	New func(t *testing.T) providers.Target
	// Snapshot returns everything near the target that it must not touch:
	// other records, rules, backends, servers the policy does not name.
	// Required: a kind that cannot say what it must leave alone has not
	// thought about it.
	Snapshot func(t *testing.T) any
	// Owned returns the state the target owns (its weights, records), as
	// the provider reports it. The idempotence checks compare it before
	// and after a repeated Apply; a nil Owned limits them to Observe.
	Owned func(t *testing.T) any
	// Reset, when set, puts the system back into a known state whose share
	// is observable (not an error). It runs before every subtest.
	Reset func(t *testing.T)
	// CmpOptions are passed to cmp.Diff when comparing snapshots.
	CmpOptions []cmp.Option
	// Timeout bounds each Apply and Observe; 30s when zero.
	Timeout time.Duration
	// Goroutines is the number of concurrent callers in the Concurrent
	// subtest; 8 when zero.
	Goroutines int
}

// Conformance runs the suite against h. See the package documentation for
// what each subtest checks.
func Conformance(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil || h.Snapshot == nil {
		t.Fatal("providertest: Harness.New and Harness.Snapshot are required")
	}
	s := &suite{h: h}
	if s.h.Timeout == 0 {
		s.h.Timeout = 30 * time.Second
	}
	if s.h.Goroutines == 0 {
		s.h.Goroutines = 8
	}
	s.run(t, "ApplyThenObserve", s.applyThenObserve)
	s.run(t, "Idempotent", s.idempotent)
	s.run(t, "Resolution", s.resolution)
	s.run(t, "TouchesNothingElse", s.touchesNothingElse)
	s.run(t, "Concurrent", s.concurrent)
	s.run(t, "ContextCanceled", s.contextCanceled)
}

type suite struct {
	h Harness
}

// run runs one subtest after Reset, and checks afterwards that the foreign
// state is what it was before.
func (s *suite) run(t *testing.T, name string, f func(t *testing.T)) {
	t.Run(name, func(t *testing.T) {
		if s.h.Reset != nil {
			s.h.Reset(t)
		}
		before := s.h.Snapshot(t)
		t.Cleanup(func() {
			if diff := cmp.Diff(before, s.h.Snapshot(t), s.h.CmpOptions...); diff != "" {
				t.Errorf("the target changed state it does not own (-before +after):\n%s", diff)
			}
		})
		f(t)
	})
}

func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), s.h.Timeout)
	t.Cleanup(cancel)
	return ctx
}

func (s *suite) apply(t *testing.T, tg providers.Target, want providers.Share) providers.Share {
	t.Helper()
	got, err := tg.Apply(s.ctx(t), want)
	if err != nil {
		t.Fatalf("Apply(%v): %v", want, err)
	}
	return got
}

func (s *suite) observe(t *testing.T, tg providers.Target) providers.Share {
	t.Helper()
	got, err := tg.Observe(s.ctx(t))
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	return got
}

func (s *suite) owned(t *testing.T) any {
	if s.h.Owned == nil {
		return nil
	}
	return s.h.Owned(t)
}

func within(got, want, res providers.Share) bool {
	d := got - want
	if d < 0 {
		d = -d
	}
	return d <= res
}

// steps are the shares of ApplyThenObserve, for a target of resolution res.
func steps(res providers.Share) []providers.Share {
	out := []providers.Share{0, res, 500, 2500, 5000, 9900, 10000}
	slices.Sort(out)
	return slices.Compact(out)
}

func (s *suite) applyThenObserve(t *testing.T) {
	tg := s.h.New(t)
	res := tg.Resolution()
	up := steps(res)
	down := slices.Clone(up)
	slices.Reverse(down)
	for _, dir := range []struct {
		name   string
		shares []providers.Share
	}{{"up", up}, {"down", down}} {
		for _, want := range dir.shares {
			t.Run(fmt.Sprintf("%s/%s", dir.name, want), func(t *testing.T) {
				got := s.apply(t, tg, want)
				if !within(got, want, res) {
					t.Errorf("Apply(%v) delivered %v, more than the resolution %v away", want, got, res)
				}
				if obs := s.observe(t, tg); obs != got {
					t.Errorf("Apply(%v) returned %v but Observe then says %v: Apply must return the share it read back", want, got, obs)
				}
				// A second Target over the same system reads the same.
				if obs := s.observe(t, s.h.New(t)); obs != got {
					t.Errorf("a new Target observes %v after Apply(%v) delivered %v", obs, want, got)
				}
			})
		}
	}
}

func (s *suite) idempotent(t *testing.T) {
	tg := s.h.New(t)
	for _, want := range []providers.Share{2500, 0, 10000, 5000, 3333} {
		t.Run(want.String(), func(t *testing.T) {
			first := s.apply(t, tg, want)
			owned := s.owned(t)
			if again := s.apply(t, tg, want); again != first {
				t.Errorf("second Apply(%v) = %v, first gave %v", want, again, first)
			}
			if diff := cmp.Diff(owned, s.owned(t), s.h.CmpOptions...); diff != "" {
				t.Errorf("second Apply(%v) changed the target's state (-before +after):\n%s", want, diff)
			}
			obs := s.observe(t, tg)
			if again := s.apply(t, tg, obs); again != obs {
				t.Errorf("Apply of the observed share %v = %v", obs, again)
			}
			if diff := cmp.Diff(owned, s.owned(t), s.h.CmpOptions...); diff != "" {
				t.Errorf("Apply of the observed share %v changed the target's state (-before +after):\n%s", obs, diff)
			}
		})
	}
}

func (s *suite) resolution(t *testing.T) {
	tg := s.h.New(t)
	res := tg.Resolution()
	if res < 1 || res > providers.ShareFull {
		t.Fatalf("Resolution() = %d basis points, want 1..10000", int(res))
	}
	if again := tg.Resolution(); again != res {
		t.Fatalf("Resolution() changed from %v to %v", res, again)
	}
	wants := []providers.Share{0, 1, res - 1, res, res + 1, res + res/2, 2 * res, 9999, 10000 - res, 10000}
	for w := providers.Share(0); w <= providers.ShareFull; w += 613 {
		wants = append(wants, w)
	}
	wants = slices.DeleteFunc(wants, func(w providers.Share) bool { return w < 0 || w > providers.ShareFull })
	slices.Sort(wants)
	wants = slices.Compact(wants)
	prev, prevWant := providers.Share(-1), providers.Share(-1)
	for _, want := range wants {
		got := s.apply(t, tg, want)
		if !within(got, want, res) {
			t.Errorf("Apply(%v) delivered %v, more than the resolution %v away", want, got, res)
		}
		if got < prev {
			t.Errorf("Apply(%v) delivered %v, less than Apply(%v) delivered (%v)", want, got, prevWant, prev)
		}
		prev, prevWant = got, want
	}

	// Out-of-range shares are refused and change nothing.
	s.apply(t, tg, 2500)
	owned, obs := s.owned(t), s.observe(t, tg)
	for _, bad := range []providers.Share{-1, providers.ShareFull + 1} {
		if got, err := tg.Apply(s.ctx(t), bad); err == nil {
			t.Errorf("Apply(%d basis points) = %v, want an error", int(bad), got)
		}
	}
	if diff := cmp.Diff(owned, s.owned(t), s.h.CmpOptions...); diff != "" {
		t.Errorf("a refused Apply changed the target's state (-before +after):\n%s", diff)
	}
	if again := s.observe(t, tg); again != obs {
		t.Errorf("a refused Apply moved the share from %v to %v", obs, again)
	}
}

func (s *suite) touchesNothingElse(t *testing.T) {
	tg := s.h.New(t)
	for _, want := range []providers.Share{0, 500, 2500, 5000, 7500, 10000, 5000, 0} {
		s.apply(t, tg, want)
	}
	// The comparison itself is in run, as for every subtest.
}

func (s *suite) concurrent(t *testing.T) {
	tg := s.h.New(t)
	shares := []providers.Share{0, 2500, 5000, 7500, 10000}
	var (
		mu        sync.Mutex
		delivered = map[providers.Share]bool{}
		wg        sync.WaitGroup
	)
	ctx := s.ctx(t)
	for g := 0; g < s.h.Goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				want := shares[(g+i)%len(shares)]
				got, err := tg.Apply(ctx, want)
				if err != nil {
					t.Errorf("goroutine %d: Apply(%v): %v", g, want, err)
					return
				}
				mu.Lock()
				delivered[got] = true
				mu.Unlock()
				if _, err := tg.Observe(ctx); err != nil {
					t.Errorf("goroutine %d: Observe: %v", g, err)
					return
				}
				_ = tg.Resolution()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	final := s.observe(t, tg)
	if !delivered[final] {
		t.Errorf("after concurrent applies the share is %v, which no Apply delivered (delivered: %v)", final, delivered)
	}
}

func (s *suite) contextCanceled(t *testing.T) {
	tg := s.h.New(t)
	s.apply(t, tg, 2500)
	owned, obs := s.owned(t), s.observe(t, tg)

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, c := range []struct {
		name string
		ctx  context.Context
		want error
	}{{"canceled", canceled, context.Canceled}, {"deadline", expired, context.DeadlineExceeded}} {
		t.Run(c.name, func(t *testing.T) {
			if got, err := tg.Observe(c.ctx); !errors.Is(err, c.want) {
				t.Errorf("Observe with a %s context = %v, %v; want an error wrapping %v", c.name, got, err, c.want)
			}
			if got, err := tg.Apply(c.ctx, 7500); !errors.Is(err, c.want) {
				t.Errorf("Apply with a %s context = %v, %v; want an error wrapping %v", c.name, got, err, c.want)
			}
			if diff := cmp.Diff(owned, s.owned(t), s.h.CmpOptions...); diff != "" {
				t.Errorf("Apply with a %s context changed the target's state (-before +after):\n%s", c.name, diff)
			}
			if again := s.observe(t, tg); again != obs {
				t.Errorf("Apply with a %s context moved the share from %v to %v", c.name, obs, again)
			}
		})
	}
}
