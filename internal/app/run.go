package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
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
		if detailed && rep.Decision.Writes {
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
		if opts.Global.Output != OutputJSON {
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
	if opts.Global.Output == OutputJSON {
		if err := writeJSON(streams.Out, doc); err != nil {
			return err
		}
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
