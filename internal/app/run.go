package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// codeOf is the exit code of one failback's run.
func codeOf(rep *engine.Report, err error, detailed bool) ExitCode {
	if err != nil {
		return CodeOf(exitFor(err))
	}
	if rep == nil {
		return ExitOK
	}
	if rep.DryRun {
		if detailed && pending(rep) {
			return ExitChanges
		}
		return ExitOK
	}
	switch rep.Decision.Outcome {
	case engine.OutcomeUnhealthy:
		return ExitUnhealthy
	case engine.OutcomeHalted:
		return ExitHalted
	}
	return ExitOK
}

// pending says whether a plan found a change reconcile would make: a write
// to the targets, a new position in the state (phase, step or share), or a
// halt, which a person must then lift.
func pending(rep *engine.Report) bool {
	d := rep.Decision
	return d.Writes || rep.After != rep.Before ||
		d.Outcome == engine.OutcomeHalted && rep.Before.Phase != state.PhaseHalted
}

// ReconcileOptions are the options of `fbctl reconcile` and `fbctl plan`.
type ReconcileOptions struct {
	Global   *Global
	Names    []string
	DryRun   bool // plan
	Detailed bool // plan --detailed-exitcode
	Wait     bool
	Timeout  time.Duration
}

// Reconcile runs one step of every selected failback (or, with Wait, steps
// until each has settled), or with DryRun shows what a run would do.
func Reconcile(ctx context.Context, streams IO, opts ReconcileOptions) error {
	opts.Global.Propagate = opts.Wait && !opts.DryRun
	s, err := opts.Global.openSession(streams, opts.Names)
	if err != nil {
		return err
	}
	command := "reconcile"
	if opts.DryRun {
		command = "plan"
	}
	if opts.Wait && !opts.DryRun {
		return s.wait(ctx, streams, opts)
	}
	doc := runsDoc{FormatVersion: FormatVersion, Command: command, Failbacks: []runJSON{}}
	code := ExitOK
	// One run: providers share what they read per run (a zone's records)
	// across every failback, and batch their writes (one Route 53 change
	// per hosted zone).
	ctx = providers.WithRunCache(ctx)
	reps, errs := s.engine.ReconcileAll(ctx, s.failbacks, opts.DryRun)
	for i, fb := range s.failbacks {
		rep, err := reps[i], errs[i]
		c := codeOf(rep, err, opts.Detailed)
		code = worst(code, c)
		j := s.runJSON(fb.Name, rep, err, c)
		j.Warnings = append(foreignWeight(ctx, fb), sidesOut(rep)...)
		doc.Failbacks = append(doc.Failbacks, j)
		s.logResult(ctx, command, s.line(fb.Name, rep, err), j)
		if s.g.logJSON() {
			for _, w := range j.Warnings {
				s.log().Warn(w, "failback", fb.Name)
			}
		}
		if !opts.Global.JSON() && !s.g.logJSON() {
			fmt.Fprintln(streams.Out, s.line(fb.Name, rep, err))
			for _, d := range j.Deliverable {
				fmt.Fprintf(streams.Out, "  %s\n", deliverableLine(d))
			}
			if len(j.Deliverable) > 0 || (rep != nil && rep.Decision.Writes) {
				for _, n := range j.Notes {
					fmt.Fprintf(streams.Out, "  note: %s\n", n)
				}
			}
			for _, w := range j.Warnings {
				fmt.Fprintf(streams.ErrOut, "Warning: %s: %s\n", fb.Name, s.redact(w))
			}
		}
	}
	doc.ExitCode = code
	if opts.Global.JSON() {
		if err := opts.Global.writeData(streams.Out, doc); err != nil {
			return err
		}
	}
	if !opts.DryRun {
		// plan records nothing, and so tells nothing.
		s.notes.send(ctx, reps)
	}
	if code != ExitOK {
		return silent(code)
	}
	return nil
}

// sidesOut warns of every side of a target that delivers nothing (every
// server in maintenance, draining or down), from what the run observed.
func sidesOut(rep *engine.Report) []string {
	if rep == nil {
		return nil
	}
	var out []string
	for _, t := range rep.Observed {
		for _, why := range []string{t.PrimaryOut, t.SecondaryOut} {
			if why != "" {
				out = append(out, fmt.Sprintf("target %q: %s: that side delivers nothing, and no traffic is moved towards it", t.Name, why))
			}
		}
	}
	return out
}

// foreignWeight asks every target that can tell for members the policy does
// not name that take traffic too. It reads what the run already read.
func foreignWeight(ctx context.Context, fb *engine.Failback) []string {
	var out []string
	for _, t := range fb.Targets {
		fr, ok := t.Target.(providers.ForeignReporter)
		if !ok {
			continue
		}
		foreign, err := fr.Foreign(ctx)
		if err != nil || len(foreign) == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("target %q: foreign weight distorts the share: %s", t.Name, strings.Join(foreign, ", ")))
	}
	return out
}

// logResult logs a failback's result as one record with fields, with
// --log-format json: what the text line says on stdout otherwise. msg is
// that line.
func (s *session) logResult(ctx context.Context, command, msg string, j runJSON) {
	if !s.g.logJSON() {
		return
	}
	attrs := []slog.Attr{slog.String("command", command), slog.String("failback", j.Name)}
	if j.RunID != "" {
		attrs = append(attrs, slog.String("run_id", j.RunID))
	}
	if j.Action != "" {
		attrs = append(attrs, slog.String("action", j.Action))
	}
	if j.Before != nil {
		attrs = append(attrs, slog.String("phase_before", string(j.Before.Phase)),
			slog.Float64("share_before", providers.Share(j.Before.Share).Percent()))
	}
	if j.After != nil {
		attrs = append(attrs, slog.String("phase", string(j.After.Phase)), slog.Int("step", j.After.Step),
			slog.Float64("share", providers.Share(j.After.Share).Percent()))
	}
	if j.To != nil {
		attrs = append(attrs, slog.Float64("to", providers.Share(*j.To).Percent()))
	}
	attrs = append(attrs, slog.Bool("dry_run", j.DryRun), slog.Bool("applied", j.Applied), slog.String("outcome", j.Outcome))
	if j.Reason != "" {
		attrs = append(attrs, slog.String("reason", j.Reason))
	}
	if j.Error != "" {
		attrs = append(attrs, slog.String("error", j.Error))
	}
	if len(j.Gates) > 0 {
		attrs = append(attrs, slog.Any("gates", j.Gates))
	}
	if len(j.Deliverable) > 0 {
		attrs = append(attrs, slog.Any("deliverable", j.Deliverable))
	}
	if len(j.Notes) > 0 && (len(j.Deliverable) > 0 || j.Writes) {
		attrs = append(attrs, slog.Any("notes", j.Notes))
	}
	attrs = append(attrs, slog.Int("exit_code", int(j.ExitCode)))
	level := slog.LevelInfo
	switch j.ExitCode {
	case ExitOK, ExitChanges:
	case ExitUnhealthy, ExitWaiting, ExitLocked, ExitRefused:
		level = slog.LevelWarn
	default:
		level = slog.LevelError
	}
	s.log().LogAttrs(ctx, level, msg, attrs...)
}

// log is the session's logger, which redacts.
func (s *session) log() *slog.Logger { return redactingLogger(s.g.logger(), s.redact) }
