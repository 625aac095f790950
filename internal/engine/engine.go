package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// Side names a failback's side.
type Side string

const (
	Primary   Side = "primary"
	Secondary Side = "secondary"
)

// NamedTarget is a target block's name and behaviour.
type NamedTarget struct {
	Name   string
	Kind   string
	Target providers.Target
}

// NamedCheck is a check block's name, side, pacing and behaviour.
type NamedCheck struct {
	Name               string
	Kind               string
	Side               Side
	Check              providers.Check
	Interval           time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
	Samples            int
	// EvidenceTTL is zero for the default (see health.DefaultTTL).
	EvidenceTTL time.Duration
}

// Failback is one failback ready to run.
type Failback struct {
	Name          string
	PrimaryName   string
	SecondaryName string
	Rollout       Rollout
	Targets       []NamedTarget
	Checks        []NamedCheck
	// Gates are asked, in order, before each raise (see consultGates).
	Gates []NamedGate
}

// Options configure an Engine.
type Options struct {
	Store state.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits between samples of a check; nil means a real timer.
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
	// LockTTL is how long a run's lock lasts before another run may take
	// it over (its lease); default DefaultLockLease.
	LockTTL time.Duration
	// LockWait is how long a run waits for a lock another run holds,
	// trying again every LockRetry (default 500ms) with Sleep; zero fails
	// at once with the *state.LockedError.
	LockWait  time.Duration
	LockRetry time.Duration
	// Holder identifies this process in locks (Owner, Host, PID).
	Holder state.LockInfo
	// ScheduleGap is the expected time between runs (cron), used for the
	// default evidence TTL; zero when unknown.
	ScheduleGap time.Duration
	// Propagate makes a run wait, after applying, until every target that
	// implements providers.Waiter says its change has propagated.
	Propagate bool
	// CompensateTimeout bounds putting targets back after a failed write;
	// past it the failback halts. Default 2 minutes.
	CompensateTimeout time.Duration
	// BeforeApply, when set, is called before each target's Apply with the
	// target's name; BeforeSave after the last target was written (or, for
	// a command that writes none, after its change is made in memory),
	// before the state is saved. Crash tests stop a run at those points;
	// the release binary sets neither.
	BeforeApply func(ctx context.Context, target string)
	BeforeSave  func()
	// Evidence, when set, gives a failback's latest evidence by check
	// name, gathered by probes that run on their own (`fbctl run`): a run
	// then judges it instead of probing. A check it has no evidence for
	// is probed as usual.
	Evidence func(failback string) map[string]health.Evidence
	// Parallel is how many failbacks ReconcileAll handles at once in the
	// phases that wait on the state store and the providers (see
	// ReconcileAll); default DefaultParallel. 1 handles them one after
	// another, in order. Every hook above, the clock, the Logger and the
	// failbacks' targets and checks are then called from several
	// goroutines at once, on different failbacks.
	Parallel int
	// Recorded, when set, is told each event a run appended to the
	// history, once it is there (the events the stores record on their
	// own, a lock takeover, are not among them). Notifications start
	// here. It is called on the goroutine of the failback's run, from
	// several at once (see Parallel), and must not block.
	Recorded func(state.Event)
}

// DefaultLockLease is how long a run's lock lasts when Options.LockTTL is
// not set. Every store renews a held lock at a third of its lease, so a
// run lasts as long as it needs; the lease is only how long a run that
// died (on another host, where its pid cannot be seen) holds the others
// off, and how early a run that cannot renew stops writing targets.
const DefaultLockLease = time.Minute

// DefaultCompensateTimeout bounds putting targets back after a failed
// write when Options.CompensateTimeout is not set.
const DefaultCompensateTimeout = 2 * time.Minute

// Engine runs failbacks. It is safe for concurrent use on different
// failbacks; the store's lock serialises runs of one failback.
type Engine struct {
	o Options
}

// New returns an engine.
func New(o Options) *Engine {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = providers.Sleep
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LockTTL <= 0 {
		o.LockTTL = DefaultLockLease
	}
	if o.LockRetry <= 0 {
		o.LockRetry = 500 * time.Millisecond
	}
	if o.CompensateTimeout <= 0 {
		o.CompensateTimeout = DefaultCompensateTimeout
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	return &Engine{o: o}
}

// Report is what one run saw and did.
type Report struct {
	Failback  string
	RunID     string
	DryRun    bool
	Before    Position
	After     Position
	Observed  []TargetShare
	Primary   health.SideHealth
	Secondary health.SideHealth
	Decision  Decision
	// Gates are the gates asked about the raise the run proposed, in
	// declared order; empty when it proposed none or the failback has none.
	Gates []GateVerdict
	// Applied is set when targets were written; Delivered is then the
	// share each target read back afterwards.
	Applied   bool
	Delivered []TargetShare
}

// Position is a failback's phase, step and share.
type Position struct {
	Phase state.Phase     `json:"phase"`
	Step  int             `json:"step"`
	Share providers.Share `json:"share"`
}

func position(d *state.Document) Position {
	return Position{Phase: d.Phase, Step: d.Step, Share: d.Share}
}

// Errors that carry an exit meaning beyond "something failed".
var (
	// ErrUnhealthy: a health gate refused the change (exit 5).
	ErrUnhealthy = errors.New("health gate")
	// ErrHalted: only a person should decide (exit 6).
	ErrHalted = errors.New("halted")
	// ErrRefused: the failback's state does not allow the command, such
	// as approve on a paused failback (exit 7). Nothing was changed.
	ErrRefused = errors.New("refused")
)

// Reconcile runs one step of the failback: it observes, assesses, decides
// and, unless dryRun, applies and records. With dryRun (plan) it takes no
// lock and writes nothing, neither to targets nor to the state. It is
// ReconcileAll of one failback.
func (e *Engine) Reconcile(ctx context.Context, fb *Failback, dryRun bool) (*Report, error) {
	reps, errs := e.ReconcileAll(ctx, []*Failback{fb}, dryRun)
	return reps[0], errs[0]
}

// ReconcileAll runs one step of every failback as one run, in two phases,
// so that providers can batch their writes across failbacks (one Route 53
// change per hosted zone, see providers.Stager):
//
//  1. per failback: lock, observe, assess, decide and, when the decision
//     writes, record the intent. Every intent is stored before any write.
//  2. every writing failback applies its targets in order, except that a
//     providers.Stager is staged instead; then the run is flushed once
//     (providers.FlushRun), and per failback the staged changes are
//     resolved: a failed Pending is a failed Apply (the targets already
//     changed are put back; a staged target whose batch failed changed
//     nothing), then read back, commit and save.
//
// A staged target's write lands at the flush, after the direct Applies of
// the run: the declared order holds between staged targets and between
// applied ones, not across the two.
//
// Phase 1, the resolution of phase 2 and the release of the locks handle
// up to Options.Parallel failbacks at once (each failback's own steps stay
// in order; entries of fbs with the same name run one after another, in
// order); the writes of phase 2 and the flush run on the caller's
// goroutine, in the order of fbs, after every intent was stored. With
// Parallel 1 every step runs in the order of fbs.
//
// Every lock is released at the end. Without a RunCache in ctx the run gets
// its own. The i-th report and error belong to fbs[i]; a report is nil when
// the failback could not even be loaded.
func (e *Engine) ReconcileAll(ctx context.Context, fbs []*Failback, dryRun bool) ([]*Report, []error) {
	if providers.RunCacheFrom(ctx) == nil {
		ctx = providers.WithRunCache(ctx)
	}
	reps := make([]*Report, len(fbs))
	errs := make([]error, len(fbs))
	runs := make([]*run, len(fbs))
	decisions := make([]Decision, len(fbs))
	// Each goroutine of forEach writes only the i-th entries of the slices
	// above; forEach returns after every call returned.
	each := func(f func(i int)) {
		forEach(len(fbs), e.o.Parallel, func(i int) string { return fbs[i].Name }, f)
	}
	defer func() {
		each(func(i int) {
			if runs[i] != nil {
				runs[i].end()
			}
		})
	}()

	// Phase 1: decide, and record the intents. An interrupted run (ctx
	// done: a signal) makes no new decision.
	each(func(i int) {
		fb := fbs[i]
		if err := ctx.Err(); err != nil {
			errs[i] = fmt.Errorf("interrupted before deciding: %w", err)
			return
		}
		r, err := e.begin(ctx, fb, dryRun)
		if err != nil {
			errs[i] = err
			return
		}
		rep := r.report
		reps[i] = rep
		rep.DryRun = dryRun
		if err := r.observe(ctx); err != nil {
			errs[i] = err
			r.end()
			return
		}
		if err := r.assess(ctx); err != nil {
			errs[i] = err
			r.end()
			return
		}
		d, err := r.consultGates(ctx, r.decide(Request{}), dryRun)
		if err != nil {
			errs[i] = err
			r.end()
			return
		}
		decisions[i] = d
		switch {
		case dryRun:
			rep.After = Position{Phase: d.Phase, Step: d.Step, Share: d.To}
			r.end()
		case d.Writes:
			if err := r.prepare(ctx, d); err != nil {
				errs[i] = err
				r.end()
				return
			}
			runs[i] = r
		default:
			r.commit(d)
			errs[i] = r.save(ctx)
			r.end()
		}
	})

	// Phase 2: write, flush once, resolve.
	for _, r := range runs {
		if r != nil {
			r.write(ctx, true)
		}
	}
	if err := providers.FlushRun(ctx); err != nil {
		// Each Pending of a failed batch reports it too.
		e.o.Logger.Warn("flushing the run's batched changes failed", "err", err)
	}
	each(func(i int) {
		if r := runs[i]; r != nil {
			errs[i] = r.conclude(ctx, decisions[i])
		}
	})
	return reps, errs
}

// decide runs Decide on what this run saw.
func (r *run) decide(req Request) Decision {
	rep := r.report
	d := Decide(Input{Rollout: r.fb.Rollout, State: r.doc, Observed: Observation{Targets: rep.Observed},
		Primary: rep.Primary, Secondary: rep.Secondary, Now: r.e.o.Now(), Request: req})
	rep.Decision = d
	return d
}

// conclude resolves a prepared and written decision: it reads back, then
// records and saves the new position, or compensates a failed write.
//
// Once targets were written, the run is seen through even when ctx is done
// (a signal): the read-back and the save run on a context of their own,
// bounded by CompensateTimeout, so the state says what the targets carry
// and the lock is released with nothing left unsettled.
func (r *run) conclude(ctx context.Context, d Decision) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.e.o.CompensateTimeout)
	defer cancel()
	if err := r.finish(ctx, sctx, d); err != nil {
		return err
	}
	r.commit(d)
	return r.save(sctx)
}

// run is one locked pass over a failback.
type run struct {
	e      *Engine
	fb     *Failback
	doc    *state.Document
	lock   state.Lock
	report *Report
	events []state.Event

	// request is the command this run carries out.
	request Request

	// Between prepare and finish: the write in progress, and the intent of
	// a dead run it replaced.
	leftover   *state.Intent
	from, want providers.Share
	order      []NamedTarget
	before     map[string]providers.Share
	done       []NamedTarget // applied targets (staged ones join when resolved)
	staged     []stagedTarget
	failed     error // the first Apply or Stage that failed
}

// stagedTarget is a target staged in the run's batch.
type stagedTarget struct {
	t NamedTarget
	p providers.Pending
}

func newRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (e *Engine) begin(ctx context.Context, fb *Failback, dryRun bool) (*run, error) {
	r := &run{e: e, fb: fb, report: &Report{Failback: fb.Name, RunID: newRunID()}}
	if !dryRun {
		info := e.o.Holder
		info.RunID = r.report.RunID
		info.Acquired = e.o.Now()
		info.Expires = info.Acquired.Add(e.o.LockTTL)
		l, err := e.lock(ctx, fb.Name, info)
		if err != nil {
			return nil, err
		}
		r.lock = l
	}
	doc, err := e.o.Store.Load(ctx, fb.Name)
	if err != nil {
		r.end()
		return nil, err
	}
	r.doc = doc
	r.report.Before = position(doc)
	r.report.After = r.report.Before
	return r, nil
}

// lock takes the failback's lock, waiting up to LockWait for a run that
// holds it, as Terraform's -lock-timeout does.
func (e *Engine) lock(ctx context.Context, name string, info state.LockInfo) (state.Lock, error) {
	deadline := e.o.Now().Add(e.o.LockWait)
	for {
		l, err := e.o.Store.Lock(ctx, name, info)
		var locked *state.LockedError
		if err == nil || !errors.As(err, &locked) || e.o.LockWait <= 0 {
			return l, err
		}
		left := deadline.Sub(e.o.Now())
		if left <= 0 {
			return nil, err
		}
		if serr := e.o.Sleep(ctx, min(left, e.o.LockRetry)); serr != nil {
			return nil, errors.Join(err, serr)
		}
		now := e.o.Now()
		info.Acquired, info.Expires = now, now.Add(e.o.LockTTL)
	}
}

// lockLost says whether the run's lock was taken over from under it, for
// stores whose locks report it (state.RenewedLock).
func (r *run) lockLost() bool {
	rl, ok := r.lock.(state.RenewedLock)
	if !ok {
		return false
	}
	select {
	case <-rl.Lost():
		return true
	default:
		return false
	}
}

// leaseShort says whether the run's lease, as of its last renewal that
// landed, has less than a third of its length left: two renewals in a row
// have failed, and another run may take the lock over before the next
// write is done.
func (r *run) leaseShort() (time.Duration, bool) {
	rl, ok := r.lock.(state.RenewedLock)
	if !ok {
		return 0, false
	}
	left := rl.Deadline().Sub(r.e.o.Now())
	return left, left < r.e.o.LockTTL/3
}

func (r *run) end() {
	if r.lock != nil {
		if err := r.lock.Unlock(); err != nil {
			r.e.o.Logger.Warn("unlock failed", "failback", r.fb.Name, "err", err)
		}
		r.lock = nil
	}
}

func (r *run) event(typ, reason string, from, to *providers.Share) {
	r.events = append(r.events, state.Event{ID: state.NewEventID(), Time: r.e.o.Now(), RunID: r.report.RunID, Failback: r.fb.Name,
		Type: typ, Phase: r.doc.Phase, From: from, To: to, Actor: r.e.o.Holder.Owner, Reason: reason})
}

// observe reads every target's live share.
func (r *run) observe(ctx context.Context) error {
	obs, err := observeAll(ctx, r.fb.Targets)
	r.report.Observed = obs
	if err != nil {
		// Nothing changed, so nothing is recorded: a run that could not
		// see its targets leaves the state exactly as it was.
		r.e.o.Logger.Warn("observing targets failed", "failback", r.fb.Name, "err", err)
		return err
	}
	return nil
}

func observeAll(ctx context.Context, targets []NamedTarget) ([]TargetShare, error) {
	out := make([]TargetShare, 0, len(targets))
	for _, t := range targets {
		var s providers.Share
		var sides providers.Sides
		var err error
		if sr, ok := t.Target.(providers.SideReporter); ok {
			s, sides, err = sr.ObserveSides(ctx)
		} else {
			s, err = t.Target.Observe(ctx)
		}
		if err != nil {
			return out, fmt.Errorf("target %q: %w", t.Name, err)
		}
		out = append(out, TargetShare{Name: t.Name, Share: s, Resolution: t.Target.Resolution(),
			PrimaryOut: sides.PrimaryOut, SecondaryOut: sides.SecondaryOut})
	}
	return out, nil
}

// assess probes every check (samples times, interval apart), extends its
// evidence, and judges both sides.
//
// An interrupted run (ctx done) stops here with ctx's error: a probe cut
// short is no evidence, and nothing is decided on a partial assessment.
func (r *run) assess(ctx context.Context) error {
	now := r.e.o.Now
	var live map[string]health.Evidence
	if r.e.o.Evidence != nil {
		live = r.e.o.Evidence(r.fb.Name)
	}
	var prim, sec []health.CheckVerdict
	for _, c := range r.fb.Checks {
		ttl := EvidenceTTL(c, r.e.o.ScheduleGap)
		prev := r.doc.Evidence[c.Name]
		var stale *health.Staleness
		if age := now().Sub(prev.LastProbe); !prev.LastProbe.IsZero() && age > ttl {
			stale = &health.Staleness{Age: age, TTL: ttl}
		}
		ev, ok := live[c.Name]
		if ok {
			// Judged as probed: stale only if the prober fell behind.
			stale = nil
			if age := now().Sub(ev.LastProbe); !ev.LastProbe.IsZero() && age > ttl {
				stale = &health.Staleness{Age: age, TTL: ttl}
			}
		} else {
			var err error
			if ev, err = probe(ctx, c, prev, ttl, now, r.e.o.Sleep); err != nil {
				return fmt.Errorf("assessing check %q: %w", c.Name, err)
			}
		}
		r.doc.Evidence[c.Name] = ev
		st, since := health.Judge(ev, c.HealthyThreshold, c.UnhealthyThreshold, ttl, now())
		v := health.CheckVerdict{Name: c.Name, State: st, Since: since, Detail: ev.LastDetail, Stale: stale}
		if c.Side == Secondary {
			sec = append(sec, v)
		} else {
			prim = append(prim, v)
		}
	}
	r.report.Primary = health.Side(prim)
	r.report.Secondary = health.Side(sec)
	return nil
}

// probe takes a check's samples for this run and adds them to its
// evidence. When the evidence was stale (or absent) before this run and the
// check fails, it probes again at the check's interval while the failures
// are short of unhealthy_threshold and the check keeps failing: a run's
// own failures then reach a verdict whatever the spacing of runs, so
// staleness never hides a failing side. It takes at most
// max(samples, unhealthy_threshold) probes.
func probe(ctx context.Context, c NamedCheck, ev health.Evidence, ttl time.Duration, now func() time.Time,
	sleep func(context.Context, time.Duration) error) (health.Evidence, error) {
	stale := ev.LastProbe.IsZero() || now().Sub(ev.LastProbe) > ttl
	samples := max(c.Samples, 1)
	limit := samples
	if stale {
		limit = max(samples, c.UnhealthyThreshold)
	}
	for i := 0; i < limit; i++ {
		// An unknown result is no failure to confirm: no more probes.
		if i >= samples && (ev.LastHealthy || ev.LastUnknown || ev.Failures >= max(c.UnhealthyThreshold, 1)) {
			break
		}
		if i > 0 {
			if err := sleep(ctx, c.Interval); err != nil {
				return ev, err
			}
		}
		// The engine's clock says when the probe is taken (a prometheus
		// query's evaluation time, see providers.WithNow).
		res := c.Check.Probe(providers.WithNow(ctx, now()))
		if err := ctx.Err(); err != nil {
			return ev, err
		}
		ev = health.Record(ev, res, now(), ttl)
	}
	return ev, nil
}

// apply carries out a decision that writes: an intent first, then the
// targets in declared order (reverse order when the share goes down), a
// read-back, and the record. If a target fails, the targets already changed
// are put back to what was observed before, and the failure is recorded. It
// applies every target directly, staging nothing.
func (r *run) apply(ctx context.Context, d Decision) error {
	if err := r.prepare(ctx, d); err != nil {
		return err
	}
	r.write(ctx, false)
	return r.conclude(ctx, d)
}

// prepare records the intent of carrying out d: the move and everything
// the decision records once done (the event, the phase, the hold, the
// cooldown), so that a run that finishes it after a crash records what
// this one meant. A leftover intent it replaces comes back if this write
// fails and is put back.
func (r *run) prepare(ctx context.Context, d Decision) error {
	from, want := r.doc.Share, d.To
	order := make([]NamedTarget, len(r.fb.Targets))
	copy(order, r.fb.Targets)
	// Reverse order when the move lowers targets and raises none, judged
	// per target as the gate judges it.
	if raise, lower, _ := moves(Input{State: r.doc, Observed: Observation{Targets: r.report.Observed}, Rollout: r.fb.Rollout}, want); lower && !raise {
		for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
			order[i], order[j] = order[j], order[i]
		}
	}
	cmd := r.request.Command.String()
	reason := r.eventReason(d)
	intent := &state.Intent{RunID: r.report.RunID, From: from, To: want, Started: r.e.o.Now(),
		Command: cmd, Event: d.Event, Reason: reason, Phase: d.Phase, Hold: d.Hold,
		CooldownUntil: d.CooldownUntil, Cycle: d.Cycle, Forced: d.Forced}
	for _, t := range order {
		intent.Targets = append(intent.Targets, t.Name)
	}
	r.leftover = r.doc.Intent
	r.doc.Intent = intent
	if err := r.e.o.Store.Save(ctx, r.doc); err != nil {
		r.doc.Intent = r.leftover
		return fmt.Errorf("recording the intent: %w", err)
	}
	r.from, r.want, r.order = from, want, order
	r.before = map[string]providers.Share{}
	for _, o := range r.report.Observed {
		r.before[o.Name] = o.Share
	}
	return nil
}

// write applies the targets in order, stopping at the first failure. With
// stage, a providers.Stager is staged instead of applied: its change is
// made by the run's flush.
func (r *run) write(ctx context.Context, stage bool) {
	for _, t := range r.order {
		if err := ctx.Err(); err != nil {
			// Interrupted (a signal): write no further target; what was
			// written is put back.
			r.failed = fmt.Errorf("interrupted before writing target %q: %w", t.Name, err)
			return
		}
		if r.e.o.BeforeApply != nil {
			r.e.o.BeforeApply(ctx, t.Name)
		}
		if r.lockLost() {
			// Another run took the lock over (its lease renewal failed):
			// that run owns the failback now.
			r.failed = fmt.Errorf("the lock was taken over by another run before writing target %q: %w", t.Name, state.ErrLockLost)
			return
		}
		if left, short := r.leaseShort(); short {
			// Renewals have failed: the store fences this run's saves,
			// but nothing fences its target writes, so it stops while
			// the lease is still its own.
			r.failed = fmt.Errorf("the lock's lease has %s left unrenewed, less than a third of %s, before writing target %q: %w",
				left.Round(time.Millisecond), r.e.o.LockTTL, t.Name, state.ErrLockLost)
			return
		}
		if s, ok := t.Target.(providers.Stager); ok && stage {
			p, err := s.Stage(ctx, r.want)
			if err != nil {
				// Staging writes nothing.
				r.failed = fmt.Errorf("target %q: staging %s: %w", t.Name, r.want, err)
				return
			}
			r.staged = append(r.staged, stagedTarget{t: t, p: p})
			continue
		}
		if _, err := t.Target.Apply(ctx, r.want); err != nil {
			r.failed = fmt.Errorf("target %q: applying %s: %w", t.Name, r.want, err)
			// It may be partly changed.
			r.done = append(r.done, t)
			return
		}
		r.done = append(r.done, t)
		r.doc.Intent.Applied = append(r.doc.Intent.Applied, t.Name)
	}
}

// finish resolves the staged changes (after the run's flush), then either
// puts back what changed, when a write failed, or reads back and records
// the decision's event.
func (r *run) finish(ctx, sctx context.Context, d Decision) error {
	from, want, intent := r.from, r.want, r.doc.Intent
	cause := r.failed
	stagedOK := map[string]bool{}
	uncertain := map[string]bool{}
	for _, st := range r.staged {
		if _, err := st.p.Wait(ctx); err != nil {
			// The batch failed: this target did not change, unless the
			// provider accepted the write and cannot say how it ended.
			var unc *providers.UncertainError
			uncertain[st.t.Name] = errors.As(err, &unc)
			if cause == nil {
				cause = fmt.Errorf("target %q: applying %s: %w", st.t.Name, want, err)
			}
			continue
		}
		stagedOK[st.t.Name] = true
		intent.Applied = append(intent.Applied, st.t.Name)
	}
	if cause != nil && errors.Is(cause, state.ErrLockLost) {
		// The failback is, or may soon be, another run's: putting
		// targets back would race its writes. The intent recorded before
		// the first write tells that run what this one did; it settles
		// the change as it settles a dead run's.
		return fmt.Errorf("%w; wrote %s of %s; the run that holds the lock now settles the change from the recorded intent",
			cause, namesOf(r.done), namesOf(r.order))
	}
	if cause != nil {
		// What changed, in the order of the write.
		var changed []NamedTarget
		applied := map[string]bool{}
		for _, t := range r.done {
			applied[t.Name] = true
		}
		for _, t := range r.order {
			if applied[t.Name] || stagedOK[t.Name] || uncertain[t.Name] {
				changed = append(changed, t)
			}
		}
		return r.compensate(ctx, changed, cause)
	}
	if r.e.o.BeforeSave != nil {
		r.e.o.BeforeSave()
	}

	if r.e.o.Propagate {
		for _, t := range r.order {
			if w, ok := t.Target.(providers.Waiter); ok {
				if err := w.Wait(ctx); err != nil {
					if ctx.Err() != nil {
						// Interrupted: the change is made; record it
						// without waiting for it to spread.
						r.e.o.Logger.Warn("interrupted: not waiting for the change to propagate", "failback", r.fb.Name, "target", t.Name)
						break
					}
					return fmt.Errorf("target %q: waiting for %s to propagate: %w", t.Name, want, err)
				}
			}
		}
	}
	obs, err := observeAll(sctx, r.fb.Targets)
	if err != nil {
		return fmt.Errorf("reading back after applying %s: %w", want, err)
	}
	r.report.Applied = true
	r.report.Delivered = obs
	for _, o := range obs {
		if absDiff(o.Share, want) > o.Resolution {
			return r.compensate(ctx, r.fb.Targets,
				fmt.Errorf("target %q reads back %s after applying %s", o.Name, o.Share, want))
		}
		r.doc.Observed[o.Name] = o.Share
	}
	r.doc.Intent = nil
	f, w := from, want
	r.event(d.Event, intent.Reason, &f, &w)
	return nil
}

// namesOf lists targets' names for messages: "none" for no target.
func namesOf(ts []NamedTarget) string {
	if len(ts) == 0 {
		return "none"
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = strconv.Quote(t.Name)
	}
	return strings.Join(names, ", ")
}

// compensate puts the given targets back to their observed shares, in
// reverse order, and records the failure. It runs even when ctx was
// cancelled mid-apply, but under its own deadline (CompensateTimeout): a
// target that cannot be put back by then, or at all, halts the failback
// with what is known about each target, for a person to look. A leftover
// intent the failed write replaced comes back, so the next run settles it.
func (r *run) compensate(ctx context.Context, changed []NamedTarget, cause error) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.e.o.CompensateTimeout)
	defer cancel()
	status := map[string]string{}
	var failed []string
	for i := len(changed) - 1; i >= 0; i-- {
		t := changed[i]
		if cctx.Err() != nil {
			status[t.Name] = "not put back: the compensation deadline passed"
			failed = append(failed, t.Name)
			continue
		}
		if _, err := t.Target.Apply(cctx, r.before[t.Name]); err != nil {
			status[t.Name] = fmt.Sprintf("putting back %s failed: %v", r.before[t.Name], err)
			failed = append(failed, t.Name)
			continue
		}
		status[t.Name] = "put back to " + r.before[t.Name].String()
	}
	r.doc.Intent = r.leftover
	// Read back and save with a deadline of their own: the compensation's
	// may be spent.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), r.e.o.CompensateTimeout)
	defer scancel()
	// What the targets read is reported, not recorded: the record stays
	// what it was before the write, so a target put back where it was
	// reads as before, and one that is not shows as drift.
	read := map[string]string{}
	if obs, err := observeAll(sctx, r.fb.Targets); err == nil {
		for _, o := range obs {
			read[o.Name] = "reads " + o.Share.String()
		}
		r.report.Delivered = obs
	}
	if len(failed) > 0 {
		var known []string
		for _, t := range r.order {
			parts := []string{}
			if s, ok := status[t.Name]; ok {
				parts = append(parts, s)
			} else {
				parts = append(parts, "unchanged")
			}
			if s, ok := read[t.Name]; ok {
				parts = append(parts, s)
			} else {
				parts = append(parts, "could not be read")
			}
			known = append(known, t.Name+": "+strings.Join(parts, ", "))
		}
		reason := fmt.Sprintf("%v; putting targets back failed: %s", cause, strings.Join(known, "; "))
		r.doc.Hold = &state.Hold{By: "fbctl", At: r.e.o.Now(), Reason: reason, Resume: r.report.Before.Phase}
		r.doc.Phase = state.PhaseHalted
		r.doc.PhaseSince = r.e.o.Now()
		r.event("revert_failed", reason, nil, nil)
		if err := r.save(sctx); err != nil {
			// Not ErrHalted: the halt is not recorded, and the exit
			// code must not say it is.
			return fmt.Errorf("%s; and recording the halt failed: %w", reason, err)
		}
		return fmt.Errorf("%w: %s", ErrHalted, reason)
	}
	r.event("apply_failed", cause.Error()+"; targets put back", nil, nil)
	if err := r.save(sctx); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// eventReason is the reason a decision's event records: the person's own
// words for a command a person gave (marked when forced), the decision's
// reason for the rollout's.
func (r *run) eventReason(d Decision) string {
	switch {
	case d.Forced:
		return "FORCED (health gate bypassed): " + r.request.Reason
	case r.request.Command != CommandReconcile:
		return r.request.Reason
	}
	return d.Reason
}

// commit records the decision's position in the document, with its event
// when it wrote nothing (a write's event is recorded by finish).
func (r *run) commit(d Decision) {
	doc, now := r.doc, r.e.o.Now()
	prevPhase, prevShare := doc.Phase, doc.Share
	if !d.Writes && d.Event != "" && d.Action != ActionHold {
		if d.To != prevShare {
			f, t := prevShare, d.To
			r.event(d.Event, r.eventReason(d), &f, &t)
		} else {
			r.event(d.Event, r.eventReason(d), nil, nil)
		}
	}
	doc.Share, doc.Phase, doc.Step = d.To, d.Phase, d.Step
	doc.Hold, doc.CooldownUntil, doc.Cycle = d.Hold, d.CooldownUntil, d.Cycle
	// Without drift the observation is the truth to compare the next run
	// with (new targets included); a drift, or the mixed shares of a
	// change a dead run left unsettled, stays visible until resolved:
	// recording such readings against the recorded share would let the gate
	// take a target for being where it is not.
	if !d.Writes && (d.Action == ActionAdopt || d.Action == ActionResume || !d.Drift && doc.Intent == nil) {
		for _, o := range r.report.Observed {
			doc.Observed[o.Name] = o.Share
		}
	}
	if doc.Phase != prevPhase {
		doc.PhaseSince = now
	}
	// Any write restarts the bake, even one back to the recorded share (a
	// correction, a settled change): the targets moved.
	if doc.Share != prevShare || doc.Phase != prevPhase || d.Writes {
		doc.StepSince = now
	}
	// An approval lets one raise through: a step back and up again in the
	// same cycle asks again.
	if d.Writes && d.Event == string(ActionShift) {
		kept := doc.Approvals[:0]
		for _, a := range doc.Approvals {
			if a.Cycle != doc.Cycle || a.To != d.To {
				kept = append(kept, a)
			}
		}
		doc.Approvals = kept
	}
	doc.LastRun = now
	r.report.After = position(doc)
}

// save stores the document and the run's events.
//
// A history that cannot be written (a hostile file in its place, a full
// disk) is an error of the run (exit 1): the state is saved, but what
// happened must not go unrecorded in silence.
func (r *run) save(ctx context.Context) error {
	if err := r.e.o.Store.Save(ctx, r.doc); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return r.flushEvents(ctx)
}

func (r *run) flushEvents(ctx context.Context) error {
	var errs []error
	for _, ev := range r.events {
		if err := r.e.o.Store.Append(ctx, r.fb.Name, ev); err != nil {
			errs = append(errs, fmt.Errorf("the state is saved, but recording the %s event in the history failed: %w", ev.Type, err))
			continue
		}
		if r.e.o.Recorded != nil {
			r.e.o.Recorded(ev)
		}
	}
	r.events = nil
	return errors.Join(errs...)
}
