// Package controller is the loop of `fbctl run`: fbctl as a long-lived
// controller instead of a command cron starts.
//
// Contract:
//   - Every check probes on its own, every interval (less a jitter of at
//     most a tenth of it, so that checks started together spread out).
//     The evidence lives in memory; the engine judges it in place of
//     probing (engine.Options.Evidence) and saves it with each decision.
//   - A decision round runs through the engine (ReconcileAll: the same
//     decision and apply code as `fbctl reconcile`) for every failback
//     that is due: when a probe changes the health of one of its sides,
//     when its decision's timer ends (bake, stabilisation, cooldown), and
//     at least every Schedule. Failbacks due together share one round, so
//     providers read once per zone or map and batch their writes.
//   - A failing primary is rolled back within unhealthy_threshold probes:
//     the probe that completes the streak triggers the round at once.
//   - Manual commands (shift, pause, resume, abort, approve) from any
//     machine act on the stored state, which every round reads: they take
//     effect at the next round (at most Schedule later).
//   - Replicas: with Options.Leases, several controllers share the state
//     and split the failbacks. Each drives only the failbacks whose lease
//     it holds (a lock on the failback's name in the lease store, renewed
//     by the store at a third of its length); it asks for a free lease
//     every third of a lease, and for one another replica holds at its
//     expiry. A replica that dies (its lease
//     runs out) or is cut off from the store (it cannot renew) loses its
//     failbacks to the others within one lease length; one whose lease has
//     less than a third left starts no round of that failback, and a round
//     in flight stops writing targets on the same rule (the run lock's).
//   - When ctx ends, probes stop and no new round starts; a round in
//     progress finishes its writes (the engine sees a change through once
//     a target was written), the leases are released, and Run returns.
package controller

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// Clock is the controller's time: real in `fbctl run`, driven by tests.
type Clock interface {
	Now() time.Time
	// Sleep returns once d has passed (nil) or ctx is done (its error).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error { return providers.Sleep(ctx, d) }

// Observer is told what the controller sees and does (metrics, logs).
// Its methods are called from several goroutines.
type Observer interface {
	// Probe: one probe of a check ended, healthy or not, taking d.
	Probe(failback string, side engine.Side, check string, healthy bool, d time.Duration)
	// Round: one failback's decision in a round, and its error.
	Round(rep *engine.Report, err error)
	// Lease: this replica took (true) or lost (false) a failback's lease.
	Lease(failback string, held bool)
}

// Options configures New.
type Options struct {
	// Engine builds the engine from these options, to which New adds
	// Evidence; Now, when nil, is the Clock's.
	Engine    engine.Options
	Failbacks []*engine.Failback
	Clock     Clock
	// Schedule is the longest time between two rounds of a failback (the
	// policy's schedule); default one minute.
	Schedule time.Duration
	// RetryAfter is how soon a failback whose round failed (a provider
	// error, a lock held by a person's command) is tried again; default
	// 10 s, at most Schedule.
	RetryAfter time.Duration
	// Evidence is where the probes start: each check's last evidence
	// (from the stored documents, or a previous policy's controller), by
	// failback and check name. nil starts from nothing.
	Evidence map[string]map[string]health.Evidence
	Logger   *slog.Logger
	Observer Observer
	// Jitter returns a duration in [0, d); nil means a random one.
	Jitter func(d time.Duration) time.Duration
	// Leases, when set, makes this controller a replica: it drives only
	// the failbacks whose lease it holds there. nil drives every failback.
	Leases state.Store
	// Lease is a lease's length; default engine.DefaultLockLease.
	Lease time.Duration
	// Replica names this controller in its leases (owner, host, pid); its
	// run id is set by New.
	Replica state.LockInfo
}

// Controller runs failbacks continuously. Run it once.
type Controller struct {
	o      Options
	eng    *engine.Engine
	byName map[string]*engine.Failback

	mu       sync.Mutex
	evidence map[string]map[string]health.Evidence
	sides    map[string][2]health.CheckState // last judged primary, secondary
	// woken are the failbacks due now; interrupt ends the decision
	// loop's sleep (nil while it does not sleep).
	woken     map[string]bool
	interrupt context.CancelFunc
	rounds    int
	// leases are the leases this replica holds, by failback.
	leases map[string]state.RenewedLock
}

// New returns a controller of the failbacks.
func New(o Options) *Controller {
	if o.Schedule <= 0 {
		o.Schedule = time.Minute
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = 10 * time.Second
	}
	o.RetryAfter = min(o.RetryAfter, o.Schedule)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Jitter == nil {
		o.Jitter = func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return rand.N(d)
		}
	}
	c := &Controller{o: o, byName: map[string]*engine.Failback{}, evidence: map[string]map[string]health.Evidence{},
		sides: map[string][2]health.CheckState{}, woken: map[string]bool{}, leases: map[string]state.RenewedLock{}}
	if c.o.Lease <= 0 {
		c.o.Lease = engine.DefaultLockLease
	}
	if c.o.Replica.RunID == "" {
		c.o.Replica.RunID = "replica-" + strconv.FormatUint(rand.Uint64(), 16)
	}
	for _, fb := range o.Failbacks {
		c.byName[fb.Name] = fb
		ev := map[string]health.Evidence{}
		for _, ch := range fb.Checks {
			if prev, ok := o.Evidence[fb.Name][ch.Name]; ok {
				ev[ch.Name] = prev
			}
		}
		c.evidence[fb.Name] = ev
	}
	eo := o.Engine
	if eo.Now == nil {
		eo.Now = o.Clock.Now
	}
	eo.Evidence = c.Evidence
	c.eng = engine.New(eo)
	return c
}

// Evidence returns a copy of a failback's evidence in memory, by check.
func (c *Controller) Evidence(failback string) map[string]health.Evidence {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]health.Evidence, len(c.evidence[failback]))
	for k, v := range c.evidence[failback] {
		out[k] = v
	}
	return out
}

// AllEvidence returns a copy of every failback's evidence, for a
// controller that takes over after a reload.
func (c *Controller) AllEvidence() map[string]map[string]health.Evidence {
	out := map[string]map[string]health.Evidence{}
	for name := range c.byName {
		out[name] = c.Evidence(name)
	}
	return out
}

// Rounds is how many rounds have run.
func (c *Controller) Rounds() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rounds
}

// Run probes and decides until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	pctx, stopProbes := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, fb := range c.o.Failbacks {
		for _, ch := range fb.Checks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.probeLoop(pctx, fb, ch)
			}()
		}
	}
	if c.o.Leases != nil {
		for _, fb := range c.o.Failbacks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.leaseLoop(pctx, fb.Name)
			}()
		}
	}
	c.decideLoop(ctx)
	stopProbes()
	wg.Wait()
	c.releaseLeases()
}

// Owns reports whether this controller drives the failback now: always
// without replicas; with them, while it holds the failback's lease with
// more than a third of it left.
func (c *Controller) Owns(failback string) bool {
	if c.o.Leases == nil {
		return true
	}
	c.mu.Lock()
	l := c.leases[failback]
	c.mu.Unlock()
	return c.leaseValid(l)
}

func (c *Controller) leaseValid(l state.RenewedLock) bool {
	if l == nil {
		return false
	}
	select {
	case <-l.Lost():
		return false
	default:
	}
	return l.Deadline().Sub(c.o.Clock.Now()) >= c.o.Lease/3
}

// leaseLoop takes the failback's lease whenever it is free or expired,
// every third of a lease, and notices its loss.
func (c *Controller) leaseLoop(ctx context.Context, failback string) {
	held := false
	for {
		c.mu.Lock()
		l := c.leases[failback]
		c.mu.Unlock()
		if l != nil {
			select {
			case <-l.Lost():
				// Taken over: it is another replica's now.
				l.Unlock() //nolint:errcheck // lost: nothing of ours to remove
				c.mu.Lock()
				delete(c.leases, failback)
				c.mu.Unlock()
				l = nil
			default:
			}
		}
		wait := c.o.Lease / 3
		if l == nil {
			info := c.o.Replica
			now := c.o.Clock.Now()
			info.Acquired, info.Renewed, info.Expires, info.Lease = now, now, now.Add(c.o.Lease), c.o.Lease
			got, err := c.o.Leases.Lock(ctx, failback, info)
			var locked *state.LockedError
			switch {
			case err == nil:
				rl, ok := got.(state.RenewedLock)
				if !ok {
					got.Unlock() //nolint:errcheck // a store without renewal cannot hold a lease
					c.o.Logger.Error("the lease store does not renew its locks; no failback is driven", "failback", failback)
					return
				}
				c.mu.Lock()
				c.leases[failback] = rl
				c.mu.Unlock()
				l = rl
			case errors.As(err, &locked):
				// Another live replica's: it cannot be taken before its
				// expiry, so this replica asks again then, not sooner (each
				// attempt is a request or two to the store).
				if until := locked.Holder.Expiry().Sub(c.o.Clock.Now()); until > wait {
					wait = until
				}
			case ctx.Err() != nil:
			default:
				c.o.Logger.Warn("taking the failback's lease failed; trying again", "failback", failback, "in", c.o.Lease/3, "err", err)
			}
		}
		if now := c.leaseValid(l); now != held {
			held = now
			if c.o.Observer != nil {
				c.o.Observer.Lease(failback, held)
			}
			if held {
				c.o.Logger.Info("this replica drives the failback now", "failback", failback)
				c.Wake(failback)
			} else {
				c.o.Logger.Warn("this replica no longer drives the failback (its lease was lost or could not be renewed)", "failback", failback)
			}
		}
		if err := c.o.Clock.Sleep(ctx, wait); err != nil {
			return
		}
	}
}

// releaseLeases gives back every lease held, so that another replica
// takes the failbacks over at once rather than at the leases' expiry.
func (c *Controller) releaseLeases() {
	c.mu.Lock()
	leases := c.leases
	c.leases = map[string]state.RenewedLock{}
	c.mu.Unlock()
	for name, l := range leases {
		if err := l.Unlock(); err != nil {
			c.o.Logger.Warn("releasing the failback's lease failed; it runs out on its own", "failback", name, "err", err)
		}
		if c.o.Observer != nil {
			c.o.Observer.Lease(name, false)
		}
	}
}

// probeLoop probes one check every interval, less a jitter of at most a
// tenth of it, and wakes the decision loop when a side's health changed.
func (c *Controller) probeLoop(ctx context.Context, fb *engine.Failback, ch engine.NamedCheck) {
	interval := ch.Interval
	if interval <= 0 {
		interval = 10 * time.Second
	}
	// The first probe comes within a tenth of an interval: checks started
	// together do not probe in lockstep.
	wait := c.o.Jitter(interval / 10)
	for {
		if err := c.o.Clock.Sleep(ctx, wait); err != nil {
			return
		}
		start := c.o.Clock.Now()
		res := ch.Check.Probe(providers.WithNow(ctx, start))
		if ctx.Err() != nil {
			return // stopped mid-probe: no verdict
		}
		took := c.o.Clock.Now().Sub(start)
		if c.o.Observer != nil && !res.Unknown {
			// An unknown result is no evidence either way: not a probe
			// that passed or failed.
			c.o.Observer.Probe(fb.Name, ch.Side, ch.Name, res.Healthy, took)
		}
		c.record(fb, ch, res)
		wait = interval - c.o.Jitter(interval/10)
	}
}

// record adds a probe's result to the evidence, and wakes the decision
// loop for the failback when one of its sides changed state.
func (c *Controller) record(fb *engine.Failback, ch engine.NamedCheck, res providers.Result) {
	now := c.o.Clock.Now()
	ttl := engine.EvidenceTTL(ch, c.o.Engine.ScheduleGap)
	c.mu.Lock()
	defer c.mu.Unlock()
	ev := c.evidence[fb.Name]
	ev[ch.Name] = health.Record(ev[ch.Name], res, now, ttl)
	prim, sec, _ := engine.JudgeRecorded(fb.Checks, ev, c.o.Engine.ScheduleGap, now)
	cur := [2]health.CheckState{prim.State, sec.State}
	if prev, ok := c.sides[fb.Name]; !ok || prev != cur {
		c.sides[fb.Name] = cur
		c.wakeLocked(fb.Name)
	}
}

// Wake makes a failback due now (a person's command seen, a test).
func (c *Controller) Wake(failback string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wakeLocked(failback)
}

func (c *Controller) wakeLocked(name string) {
	c.woken[name] = true
	if c.interrupt != nil {
		c.interrupt()
	}
}

// decideLoop runs rounds of the failbacks that are due until ctx ends.
func (c *Controller) decideLoop(ctx context.Context) {
	if len(c.o.Failbacks) == 0 {
		<-ctx.Done()
		return
	}
	due := map[string]time.Time{}
	start := c.o.Clock.Now()
	for _, fb := range c.o.Failbacks {
		// The first round waits for the first probes (a tenth of an
		// interval at most), unless a side's health wakes it sooner.
		due[fb.Name] = start.Add(c.o.RetryAfter)
	}
	for {
		now := c.o.Clock.Now()
		c.mu.Lock()
		for name := range c.woken {
			due[name] = now
		}
		clear(c.woken)
		c.mu.Unlock()
		var ready []*engine.Failback
		next := time.Time{}
		for _, fb := range c.o.Failbacks {
			if !c.Owns(fb.Name) {
				continue // another replica's: its lease loop wakes it when taken
			}
			t := due[fb.Name]
			if !t.After(now) {
				ready = append(ready, fb)
				continue
			}
			if next.IsZero() || t.Before(next) {
				next = t
			}
		}
		if len(ready) > 0 {
			if ctx.Err() != nil {
				return
			}
			for name, t := range c.round(ctx, ready) {
				due[name] = t
			}
			continue
		}
		// Sleep until the next is due, or a probe wakes a failback.
		sctx, cancel := context.WithCancel(ctx)
		c.mu.Lock()
		woken := len(c.woken) > 0
		c.interrupt = cancel
		c.mu.Unlock()
		if !woken {
			if next.IsZero() {
				// No failback is this replica's: wait for a lease.
				next = now.Add(c.o.Lease / 3)
			}
			c.o.Clock.Sleep(sctx, next.Sub(now)) //nolint:errcheck // an interrupt or ctx: both read below
		}
		c.mu.Lock()
		c.interrupt = nil
		c.mu.Unlock()
		cancel()
		if ctx.Err() != nil {
			return
		}
	}
}

// round runs the engine over the failbacks and returns when each is due
// next.
func (c *Controller) round(ctx context.Context, fbs []*engine.Failback) map[string]time.Time {
	sort.Slice(fbs, func(i, j int) bool { return fbs[i].Name < fbs[j].Name })
	rctx := providers.WithRunCache(ctx)
	reps, errs := c.eng.ReconcileAll(rctx, fbs, false)
	c.mu.Lock()
	c.rounds++
	c.mu.Unlock()
	now := c.o.Clock.Now()
	out := map[string]time.Time{}
	for i, fb := range fbs {
		rep, err := reps[i], errs[i]
		if c.o.Observer != nil {
			c.o.Observer.Round(rep, err)
		}
		next := now.Add(c.o.Schedule)
		switch {
		case err != nil:
			c.o.Logger.Warn("round failed; trying again", "failback", fb.Name, "in", c.o.RetryAfter, "err", err)
			next = now.Add(c.o.RetryAfter)
		case rep.Decision.Writes:
			// Just moved: judge the result at the next probes' pace.
			next = now.Add(min(c.o.Schedule, shortestInterval(fb)))
		case !rep.Decision.WaitUntil.IsZero() && rep.Decision.WaitUntil.Before(next):
			next = rep.Decision.WaitUntil
			if !next.After(now) {
				next = now.Add(time.Second) // a timer ending now: once more, soon
			}
		}
		out[fb.Name] = next
	}
	return out
}

func shortestInterval(fb *engine.Failback) time.Duration {
	d := time.Duration(0)
	for _, c := range fb.Checks {
		if c.Interval > 0 && (d == 0 || c.Interval < d) {
			d = c.Interval
		}
	}
	if d == 0 {
		d = 10 * time.Second
	}
	return d
}
