package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// ShiftRequest is a manual shift: `fbctl shift NAME --percent N`.
type ShiftRequest struct {
	To     providers.Share
	Force  bool
	Reason string
	Actor  string
}

// Shift sets the share by hand and holds it there (phase manual) until
// Resume. Unless forced it passes the health gate like every move (see
// Decide): raising the primary's share needs the primary healthy on fresh
// evidence, lowering it needs a secondary that is not unhealthy. A forced
// shift is recorded as forced.
func (e *Engine) Shift(ctx context.Context, fb *Failback, req ShiftRequest) (*Report, error) {
	return e.command(ctx, fb, Request{Command: CommandShift, To: req.To, Force: req.Force, Actor: req.Actor, Reason: req.Reason})
}

// command runs one command that may move traffic (shift, abort, resume):
// lock, observe, assess, Decide, and carry the decision out like a
// reconcile's. A move the gate refused is an error that says why; the
// evidence gathered is kept.
func (e *Engine) command(ctx context.Context, fb *Failback, req Request) (*Report, error) {
	r, err := e.begin(ctx, fb, false)
	if err != nil {
		return nil, err
	}
	defer r.end()
	r.request = req
	if err := r.observe(ctx); err != nil {
		return r.report, err
	}
	if err := r.assess(ctx); err != nil {
		return r.report, err
	}
	d, err := r.consultGates(ctx, r.decide(req), false)
	if err != nil {
		return r.report, err
	}
	if d.Refused != "" {
		r.saveQuietly(ctx)
		return r.report, refusal(d, req)
	}
	if d.Forced {
		e.o.Logger.Warn("FORCED "+strings.ToUpper(req.Command.String())+": health gate bypassed", "failback", fb.Name,
			"to", d.To.String(), "actor", req.Actor, "reason", req.Reason)
	}
	if d.Writes {
		if err := r.apply(ctx, d); err != nil {
			return r.report, err
		}
		return r.report, nil
	}
	if d.Action == ActionHold {
		// Nothing to do (resume of a failback that is not held).
		return r.report, nil
	}
	r.commit(d)
	return r.report, r.save(ctx)
}

// refusal is the error of a command whose move was refused.
func refusal(d Decision, req Request) error {
	// The refusal's outcome is the table's: a raise onto a primary not
	// known healthy exits 5, a move onto an unhealthy secondary, a skipped
	// step or an unsettled change is for a person (exit 6).
	kind := ErrUnhealthy
	if d.Outcome == OutcomeHalted || d.Refused == ActionRecover || d.Refused == ActionResume {
		kind = ErrHalted
	}
	msg := d.Reason
	if req.Command == CommandShift || req.Command == CommandAbort {
		msg += " (use --force to override)"
	}
	return fmt.Errorf("%w: %s", kind, msg)
}

// Pause holds a failback where it is until Resume.
func (e *Engine) Pause(ctx context.Context, fb *Failback, actor, reason string) (*Report, error) {
	return e.mutate(ctx, fb, func(r *run) error {
		if r.doc.Phase == state.PhasePaused {
			return nil
		}
		r.doc.Hold = &state.Hold{By: actor, At: e.o.Now(), Reason: reason, Resume: r.doc.Phase}
		r.doc.Phase = state.PhasePaused
		r.event("pause", reason, nil, nil)
		return nil
	})
}

// Resume hands a paused, manual or halted failback back to the rollout.
// It first settles a change a dead run left behind (finishing or reverting
// it through the health gate, refusing when neither is safe), then takes
// the targets as they are now (a person has decided): they must agree with
// each other; the phase and step follow from their share.
func (e *Engine) Resume(ctx context.Context, fb *Failback, actor, reason string) (*Report, error) {
	return e.command(ctx, fb, Request{Command: CommandResume, Actor: actor, Reason: reason})
}

// Abort moves all traffic back to the secondary now, through the health
// gate unless forced, pauses the failback so the rollout does not start
// again until Resume, and starts the cooldown. The hold is part of the
// intent recorded before the first write, so a crash cannot lose it.
func (e *Engine) Abort(ctx context.Context, fb *Failback, force bool, actor, reason string) (*Report, error) {
	return e.command(ctx, fb, Request{Command: CommandAbort, Force: force, Actor: actor, Reason: reason})
}

// Approve lets the next step that waits for approval proceed.
func (e *Engine) Approve(ctx context.Context, fb *Failback, actor, reason string) (*Report, error) {
	return e.mutate(ctx, fb, func(r *run) error {
		switch r.doc.Phase {
		case state.PhaseSecondary, state.PhaseShifting:
		default:
			return fmt.Errorf("%w: nothing to approve: the failback is %s", ErrRefused, r.doc.Phase)
		}
		// The step approved is the next one above the recorded share, as
		// the rollout will take it; the approval names its share.
		to, ok := NextStep(fb.Rollout.Steps, r.doc.Share)
		if !ok {
			return fmt.Errorf("%w: nothing to approve: the rollout is at its last step", ErrRefused)
		}
		r.doc.Approvals = append(r.doc.Approvals, state.Approval{Cycle: r.doc.Cycle, Step: stepAtOrBelow(fb.Rollout.Steps, to),
			To: to, By: actor, At: e.o.Now(), Reason: reason})
		r.event("approve", reason, nil, &to)
		return nil
	})
}

// Status returns the recorded state without touching anything.
func (e *Engine) Status(ctx context.Context, name string) (*state.Document, error) {
	return e.o.Store.Load(ctx, name)
}

// History returns the failback's events.
func (e *Engine) History(ctx context.Context, name string) ([]state.Event, error) {
	return e.o.Store.History(ctx, name)
}

// mutate runs f on the locked document and saves it.
func (e *Engine) mutate(ctx context.Context, fb *Failback, f func(*run) error) (*Report, error) {
	r, err := e.begin(ctx, fb, false)
	if err != nil {
		return nil, err
	}
	defer r.end()
	if err := f(r); err != nil {
		return r.report, err
	}
	if e.o.BeforeSave != nil {
		e.o.BeforeSave()
	}
	r.touch()
	return r.report, r.save(ctx)
}

// touch updates timestamps after a manual change.
func (r *run) touch() {
	now := r.e.o.Now()
	if r.doc.Phase != r.report.Before.Phase {
		r.doc.PhaseSince = now
	}
	if r.doc.Phase != r.report.Before.Phase || r.doc.Step != r.report.Before.Step {
		r.doc.StepSince = now
	}
	r.doc.LastRun = now
	r.report.After = position(r.doc)
}

// saveQuietly keeps the evidence gathered by a refused manual command.
func (r *run) saveQuietly(ctx context.Context) {
	if err := r.e.o.Store.Save(ctx, r.doc); err != nil {
		r.e.o.Logger.Warn("saving evidence failed", "failback", r.fb.Name, "err", err)
	}
}

// LockHolder returns who holds the failback's lock, or nil when it is free
// or the store cannot say (it is not a state.LockReader). It neither takes
// nor breaks the lock.
func (e *Engine) LockHolder(ctx context.Context, name string) (*state.Holder, error) {
	lr, ok := e.o.Store.(state.LockReader)
	if !ok {
		return nil, nil
	}
	return lr.LockHolder(ctx, name)
}

// Await is Await for fb's recorded document, with the engine's clock and
// schedule; checks are fb's check blocks (status builds them without
// their behaviour, since it probes nothing).
func (e *Engine) Await(fb *Failback, checks []NamedCheck, doc *state.Document) Wait {
	return Await(fb.Rollout, checks, doc, e.o.ScheduleGap, e.o.Now())
}
