package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// settled says whether a failback needs nothing more from a waiting run.
func settled(rep *engine.Report, err error) bool {
	if err != nil || rep == nil {
		return true
	}
	d := rep.Decision
	switch {
	case d.Outcome != engine.OutcomeOK, d.NeedsApproval, d.Drift:
		return true
	case rep.After.Phase == state.PhasePrimary && !d.Writes:
		return true
	case rep.After.Phase == state.PhasePaused || rep.After.Phase == state.PhaseManual || rep.After.Phase == state.PhaseHalted:
		return true
	}
	return false
}

// waitsForPerson says whether a settled failback stopped for a person (an
// approval to give, or a pause or manual hold to resume) rather than being
// done: reconcile --wait exits ExitWaiting for it.
func waitsForPerson(rep *engine.Report) bool {
	if rep == nil {
		return false
	}
	return rep.Decision.NeedsApproval || rep.After.Phase == state.PhasePaused || rep.After.Phase == state.PhaseManual
}

// wait reconciles until every failback has settled or the timeout passes,
// sleeping until the next timer or probe is due. A failback whose run
// failed with a transient provider error runs again after a backoff
// (retryBackoff), which a run without an error resets; it sits out the
// rounds in between.
func (s *session) wait(ctx context.Context, streams IO, opts ReconcileOptions) error {
	g := opts.Global
	// parent is the context before the timeout: its cancellation is a
	// signal (Ctrl-C), which the terminal summary tells apart.
	parent := ctx
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	sleep := g.Sleep
	if sleep == nil {
		sleep = realSleep
	}
	logger := redactingLogger(g.logger(), s.redact)
	// Each round's events go out as they are recorded.
	defer s.notes.startQueue(ctx, NotifyWindow, NotifyWindow)()
	pending := append([]*engine.Failback(nil), s.failbacks...)
	final := map[string]runJSON{}
	// retries and retryAt are a failback's transient failures in a row
	// and when it runs again.
	retries := map[string]int{}
	retryAt := map[string]time.Time{}
	code := ExitOK
	bar := newProgress(streams, g.now)
	bar.json = g.logJSON()
	bar.s, bar.names = s, opts.Names
	// The terminal reads the saved state after each run even once a
	// signal cancelled ctx: the summary says what the run left behind.
	readCtx := context.WithoutCancel(ctx)
	interrupted := false
	for len(pending) > 0 {
		var next, due []*engine.Failback
		var wake time.Time
		soonest := func(w time.Time) {
			if wake.IsZero() || w.Before(wake) {
				wake = w
			}
		}
		now := g.now()
		for _, fb := range pending {
			if at, ok := retryAt[fb.Name]; ok && now.Before(at) {
				next = append(next, fb)
				soonest(at)
				continue
			}
			due = append(due, fb)
		}
		if len(due) > 0 {
			round := providers.WithRunCache(ctx)
			reps, errs := s.engine.ReconcileAll(round, due, false)
			s.notes.queueLease(readCtx, reps)
			for i, fb := range due {
				rep, err := reps[i], errs[i]
				c := codeOf(rep, err, false)
				final[fb.Name] = s.runJSON(fb.Name, rep, err, c)
				if retryable(err, c) {
					retries[fb.Name]++
					n := retries[fb.Name]
					d := retryBackoff(n)
					retryAt[fb.Name] = g.now().Add(d)
					msg := s.redact(err.Error())
					bar.retrying(fb, n, d, msg, s)
					logger.Warn("transient error; retrying the failback", "failback", fb.Name, "retry", n, "backoff", d, "error", msg)
					next = append(next, fb)
					soonest(retryAt[fb.Name])
					continue
				}
				delete(retries, fb.Name)
				delete(retryAt, fb.Name)
				bar.show(readCtx, fb, rep, err, s)
				if settled(rep, err) {
					if c == ExitOK && waitsForPerson(rep) {
						c = ExitWaiting
						j := final[fb.Name]
						j.ExitCode, j.Outcome = c, "waiting"
						final[fb.Name] = j
					}
					code = worst(code, c)
					continue
				}
				next = append(next, fb)
				soonest(nextWake(fb, rep, g.now()))
			}
		}
		pending = next
		for _, fb := range due {
			bar.scheduled(fb.Name, time.Time{})
		}
		for _, fb := range pending {
			at, ok := retryAt[fb.Name]
			if !ok {
				// Every pending failback not backing off runs at wake.
				at = wake
			}
			bar.scheduled(fb.Name, at)
		}
		bar.redraw()
		if len(pending) == 0 {
			break
		}
		if err := bar.sleep(ctx, sleep, wake); err != nil {
			bar.done()
			interrupted = errors.Is(err, context.Canceled)
			for _, fb := range pending {
				j := final[fb.Name]
				msg := "timed out waiting: " + err.Error()
				if errors.Is(err, context.Canceled) {
					// A signal: nothing is in flight between rounds.
					msg = "interrupted while waiting; nothing was in flight"
					if j.After != nil {
						msg = fmt.Sprintf("interrupted while waiting, at %s%% (%s); nothing was in flight", fmtPercent(j.After.Share), j.After.Phase)
					}
				}
				if _, ok := retryAt[fb.Name]; ok && j.Error != "" {
					msg += " (last error: " + j.Error + ")"
				}
				j.Error, j.Outcome, j.ExitCode = msg, "error", ExitFailure
				final[fb.Name] = j
			}
			code = worst(code, ExitFailure)
			break
		}
	}
	bar.done()
	// A signal during a run: the engine settled the change in flight and
	// the failbacks whose run it stopped settled with an error.
	during := !interrupted && errors.Is(parent.Err(), context.Canceled)
	interrupted = interrupted || during
	doc := runsDoc{FormatVersion: FormatVersion, Command: "reconcile", Failbacks: []runJSON{}, ExitCode: code}
	for _, fb := range s.failbacks {
		doc.Failbacks = append(doc.Failbacks, final[fb.Name])
	}
	if bar.drawing() {
		if interrupted {
			bar.interrupted(readCtx, doc, during)
		} else {
			bar.final(doc)
		}
	}
	if g.JSON() {
		if err := g.writeData(streams.Out, doc); err != nil {
			return err
		}
	}
	for _, j := range doc.Failbacks {
		line := j.Name + ":"
		if j.After != nil {
			line += fmt.Sprintf(" %s at %s%%", j.After.Phase, fmtPercent(j.After.Share))
		}
		if j.Reason != "" {
			line += ": " + j.Reason
		}
		if j.Error != "" {
			line += ": error: " + j.Error
		}
		s.logResult(ctx, "reconcile", line, j)
	}
	if !g.JSON() && !g.logJSON() {
		for _, j := range doc.Failbacks {
			fmt.Fprintf(streams.Out, "%s:", j.Name)
			if j.After != nil {
				fmt.Fprintf(streams.Out, " %s at %s%%", j.After.Phase, fmtPercent(j.After.Share))
			}
			if j.Reason != "" {
				fmt.Fprintf(streams.Out, ": %s", j.Reason)
			}
			if j.Error != "" {
				fmt.Fprintf(streams.Out, ": error: %s", j.Error)
			}
			fmt.Fprintln(streams.Out)
		}
	}
	if code != ExitOK {
		return silent(code)
	}
	return nil
}

// nextWake is when a waiting failback should run again: its timer, or its
// soonest check interval when it waits on evidence, whichever comes first.
func nextWake(fb *engine.Failback, rep *engine.Report, now time.Time) time.Time {
	interval := time.Duration(0)
	for _, c := range fb.Checks {
		if interval == 0 || c.Interval < interval {
			interval = c.Interval
		}
	}
	if interval == 0 {
		interval = 10 * time.Second
	}
	w := now.Add(interval)
	if t := rep.Decision.WaitUntil; !t.IsZero() && t.Before(w) {
		w = t
	}
	if rep.Decision.Writes {
		// Just moved: look again at the next probe.
		return now.Add(interval)
	}
	return w
}

// realSleep is the commands' real-time sleep.
var realSleep = providers.Sleep
