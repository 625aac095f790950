package engine

import (
	"context"
	"fmt"

	"github.com/fbctl/fbctl/internal/health"
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
// Resume. Unless forced it is health-gated like the automatic rollout:
// raising the primary's share needs the primary healthy on fresh evidence,
// lowering it needs a secondary that is not unhealthy. A forced shift is
// recorded as forced.
func (e *Engine) Shift(ctx context.Context, fb *Failback, req ShiftRequest) (*Report, error) {
	r, err := e.begin(ctx, fb, false)
	if err != nil {
		return nil, err
	}
	defer r.end()
	if r.doc.Intent != nil {
		return r.report, fmt.Errorf("%w: a previous run died mid-change (run %s); run `fbctl reconcile` to recover it first", ErrHalted, r.doc.Intent.RunID)
	}
	if err := r.observe(ctx); err != nil {
		return r.report, err
	}
	r.assess(ctx)
	cur := r.doc.Share
	if !req.Force {
		switch {
		case req.To > cur && r.report.Primary.State != health.Healthy:
			r.saveQuietly(ctx)
			return r.report, fmt.Errorf("%w: not raising the primary's share to %s: the primary is not known healthy%s (use --force to override)",
				ErrUnhealthy, req.To, verdictDetail(r.report.Primary))
		case req.To < cur && r.report.Secondary.State == health.Unhealthy:
			r.saveQuietly(ctx)
			return r.report, fmt.Errorf("%w: not moving traffic to the secondary: it is unhealthy%s (use --force to override)",
				ErrUnhealthy, verdictDetail(r.report.Secondary))
		}
	} else {
		e.o.Logger.Warn("FORCED SHIFT: health gate bypassed", "failback", fb.Name, "to", req.To.String(), "actor", req.Actor, "reason", req.Reason)
	}
	resume := r.doc.Phase
	if r.doc.Hold != nil && r.doc.Hold.Resume != "" {
		resume = r.doc.Hold.Resume
	}
	d := Decision{Action: ActionShift, To: req.To, Phase: state.PhaseManual, Step: stepAtOrBelow(fb.Rollout.Steps, req.To),
		Reason: fmt.Sprintf("manual shift to %s", req.To), Writes: true}
	r.report.Decision = d
	why := req.Reason
	if req.Force {
		why = "FORCED (health gate bypassed): " + req.Reason
	}
	if err := r.apply(ctx, req.To, "manual_shift", why); err != nil {
		return r.report, err
	}
	r.doc.Share, r.doc.Phase, r.doc.Step = req.To, state.PhaseManual, d.Step
	r.doc.Hold = &state.Hold{By: req.Actor, At: e.o.Now(), Reason: req.Reason, Forced: req.Force, Resume: resume}
	r.touch()
	return r.report, r.save(ctx)
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

// Resume hands a paused, manual or halted failback back to the rollout. It
// takes the targets as they are now (a person has decided): they must agree
// with each other; the phase and step follow from their share.
func (e *Engine) Resume(ctx context.Context, fb *Failback, actor, reason string) (*Report, error) {
	r, err := e.begin(ctx, fb, false)
	if err != nil {
		return nil, err
	}
	defer r.end()
	switch r.doc.Phase {
	case state.PhasePaused, state.PhaseManual, state.PhaseHalted:
	default:
		return r.report, nil
	}
	if err := r.observe(ctx); err != nil {
		return r.report, err
	}
	share, agree := agreedShare(r.report.Observed)
	if !agree {
		return r.report, fmt.Errorf("%w: cannot resume: the targets disagree (%s); set them to one share first, e.g. with `fbctl shift`", ErrHalted, describeShares(r.report.Observed))
	}
	if r.doc.Intent != nil {
		// The person resuming has looked: the targets as they are win.
		r.doc.Intent = nil
	}
	r.doc.Share = share
	for _, o := range r.report.Observed {
		r.doc.Observed[o.Name] = o.Share
	}
	switch {
	case share == providers.ShareNone:
		r.doc.Phase, r.doc.Step = state.PhaseSecondary, -1
	case share >= providers.ShareFull:
		r.doc.Phase, r.doc.Step = state.PhasePrimary, len(fb.Rollout.Steps)-1
	default:
		r.doc.Phase, r.doc.Step = state.PhaseShifting, max(stepAtOrBelow(fb.Rollout.Steps, share), 0)
	}
	r.doc.Hold = nil
	r.touch()
	r.event("resume", reason, nil, nil)
	return r.report, r.save(ctx)
}

// Abort moves all traffic back to the secondary now, subject to the
// secondary's health unless forced, and pauses the failback so the rollout
// does not start again until Resume.
func (e *Engine) Abort(ctx context.Context, fb *Failback, force bool, actor, reason string) (*Report, error) {
	r, err := e.begin(ctx, fb, false)
	if err != nil {
		return nil, err
	}
	defer r.end()
	if err := r.observe(ctx); err != nil {
		return r.report, err
	}
	r.assess(ctx)
	why := reason
	if force {
		why = "FORCED (health gate bypassed): " + reason
		e.o.Logger.Warn("FORCED ABORT: health gate bypassed", "failback", fb.Name, "actor", actor, "reason", reason)
	}
	if !force && r.report.Secondary.State == health.Unhealthy {
		r.saveQuietly(ctx)
		return r.report, fmt.Errorf("%w: not moving traffic to the secondary: it is unhealthy%s (use --force to override)", ErrUnhealthy, verdictDetail(r.report.Secondary))
	}
	r.doc.Intent = nil
	if r.doc.Share != providers.ShareNone || anyAbove(r.report.Observed, providers.ShareNone) {
		if err := r.apply(ctx, providers.ShareNone, "abort", why); err != nil {
			return r.report, err
		}
	}
	r.doc.Share, r.doc.Step = providers.ShareNone, -1
	r.doc.Hold = &state.Hold{By: actor, At: e.o.Now(), Reason: "aborted: " + reason, Forced: force, Resume: state.PhaseSecondary}
	r.doc.Phase = state.PhasePaused
	r.doc.CooldownUntil = e.o.Now().Add(fb.Rollout.Cooldown)
	r.doc.Cycle++
	r.touch()
	return r.report, r.save(ctx)
}

func anyAbove(obs []TargetShare, s providers.Share) bool {
	for _, o := range obs {
		if o.Share > s {
			return true
		}
	}
	return false
}

// Approve lets the next step that waits for approval proceed.
func (e *Engine) Approve(ctx context.Context, fb *Failback, actor, reason string) (*Report, error) {
	return e.mutate(ctx, fb, func(r *run) error {
		next := 0
		switch r.doc.Phase {
		case state.PhaseSecondary:
		case state.PhaseShifting:
			next = r.doc.Step + 1
		default:
			return fmt.Errorf("nothing to approve: the failback is %s", r.doc.Phase)
		}
		if next >= len(fb.Rollout.Steps) {
			return fmt.Errorf("nothing to approve: the rollout is at its last step")
		}
		r.doc.Approvals = append(r.doc.Approvals, state.Approval{Cycle: r.doc.Cycle, Step: next, By: actor, At: e.o.Now(), Reason: reason})
		to := fb.Rollout.Steps[next]
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
