package app

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// percent renders a share in JSON as a number of percent (12.5).
type percent providers.Share

func (p percent) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(providers.Share(p).Percent(), 'f', -1, 64)), nil
}

type positionJSON struct {
	Phase state.Phase `json:"phase"`
	Step  int         `json:"step"`
	Share percent     `json:"share"`
}

type targetJSON struct {
	Name       string  `json:"name"`
	Share      percent `json:"share"`
	Resolution percent `json:"resolution"`
}

type checkJSON struct {
	Name   string     `json:"name"`
	State  string     `json:"state"`
	Since  *time.Time `json:"since,omitempty"`
	Detail string     `json:"detail,omitempty"`
}

type sideJSON struct {
	State  string      `json:"state"`
	Since  *time.Time  `json:"since,omitempty"`
	Checks []checkJSON `json:"checks"`
}

type runJSON struct {
	Name   string `json:"name"`
	RunID  string `json:"run_id,omitempty"`
	DryRun bool   `json:"dry_run"`
	// Before and After are absent when the run never started (locked,
	// unreadable state).
	Before        *positionJSON `json:"before,omitempty"`
	After         *positionJSON `json:"after,omitempty"`
	Action        string        `json:"action,omitempty"`
	To            *percent      `json:"to,omitempty"`
	Reason        string        `json:"reason,omitempty"`
	Outcome       string        `json:"outcome"`
	Writes        bool          `json:"writes"`
	Applied       bool          `json:"applied"`
	NeedsApproval bool          `json:"needs_approval,omitempty"`
	WaitUntil     *time.Time    `json:"wait_until,omitempty"`
	Observed      []targetJSON  `json:"observed"`
	Delivered     []targetJSON  `json:"delivered,omitempty"`
	Primary       *sideJSON     `json:"primary,omitempty"`
	Secondary     *sideJSON     `json:"secondary,omitempty"`
	// Deliverable lists, for a run that moves traffic, the targets that
	// cannot deliver the share exactly and what each delivers instead.
	Deliverable []deliverableJSON `json:"deliverable,omitempty"`
	// Notes say how targets whose share is not an exact split of requests
	// (capacity scaling) deliver one.
	Notes []string `json:"notes,omitempty"`
	// Warnings are things a person should know that change nothing, such
	// as foreign weight on a target.
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
	ExitCode ExitCode `json:"exit_code"`
}

type runsDoc struct {
	FormatVersion string    `json:"format_version"`
	Command       string    `json:"command"`
	Failbacks     []runJSON `json:"failbacks"`
	ExitCode      ExitCode  `json:"exit_code"`
}

func stateName(s health.CheckState) string {
	switch s {
	case health.Healthy:
		return "healthy"
	case health.Unhealthy:
		return "unhealthy"
	default:
		return "unknown"
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func sideOf(s health.SideHealth) *sideJSON {
	out := &sideJSON{State: stateName(s.State), Since: timePtr(s.Since), Checks: []checkJSON{}}
	for _, c := range s.Checks {
		out.Checks = append(out.Checks, checkJSON{Name: c.Name, State: stateName(c.State), Since: timePtr(c.Since), Detail: c.Detail})
	}
	return out
}

func targetsOf(ts []engine.TargetShare) []targetJSON {
	out := []targetJSON{}
	for _, t := range ts {
		out = append(out, targetJSON{Name: t.Name, Share: percent(t.Share), Resolution: percent(t.Resolution)})
	}
	return out
}

func pos(p engine.Position) *positionJSON {
	return &positionJSON{Phase: p.Phase, Step: p.Step, Share: percent(p.Share)}
}

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

func (s *session) runJSON(fb string, rep *engine.Report, err error, code ExitCode) runJSON {
	j := runJSON{Name: fb, Outcome: "ok", Observed: []targetJSON{}, ExitCode: code}
	if rep != nil {
		d := rep.Decision
		j.RunID, j.DryRun = rep.RunID, rep.DryRun
		j.Before, j.After = pos(rep.Before), pos(rep.After)
		j.Observed, j.Applied = targetsOf(rep.Observed), rep.Applied
		if rep.Applied {
			j.Delivered = targetsOf(rep.Delivered)
		}
		if d.Action != "" {
			to := percent(d.To)
			j.Action, j.To, j.Reason, j.Writes = string(d.Action), &to, s.redact(d.Reason), d.Writes
			j.NeedsApproval, j.WaitUntil = d.NeedsApproval, timePtr(d.WaitUntil)
			j.Primary, j.Secondary = sideOf(rep.Primary), sideOf(rep.Secondary)
			switch d.Outcome {
			case engine.OutcomeUnhealthy:
				j.Outcome = "unhealthy"
			case engine.OutcomeHalted:
				j.Outcome = "halted"
			}
		}
	}
	if err != nil {
		j.Error = s.redact(err.Error())
		j.Outcome = "error"
	}
	for _, f := range s.failbacks {
		if f.Name != fb {
			continue
		}
		j.Notes = approximations(f)
		if rep != nil && rep.Decision.Writes {
			j.Deliverable = deliverables(f, rep.Decision.To)
		}
	}
	return j
}

// line is the one-line text form of a run.
func (s *session) line(fb string, rep *engine.Report, err error) string {
	if rep == nil || rep.Decision.Action == "" {
		if err != nil {
			return fmt.Sprintf("%s: error: %s", fb, s.redact(err.Error()))
		}
		return fmt.Sprintf("%s: %s at %s", fb, rep.After.Phase, rep.After.Share)
	}
	d := rep.Decision
	verb := string(d.Action)
	if rep.DryRun && d.Writes {
		verb = "would " + strings.ReplaceAll(verb, "_", " ")
	}
	var b strings.Builder
	if d.Writes {
		fmt.Fprintf(&b, "%s: %s %s -> %s", fb, verb, rep.Before.Share, d.To)
	} else {
		fmt.Fprintf(&b, "%s: %s at %s (%s)", fb, strings.ReplaceAll(verb, "_", " "), rep.After.Share, rep.After.Phase)
	}
	fmt.Fprintf(&b, ": %s", s.redact(d.Reason))
	if err != nil {
		fmt.Fprintf(&b, "\n%s: error: %s", fb, s.redact(err.Error()))
	}
	return b.String()
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
		j.Warnings = foreignWeight(ctx, fb)
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

// wait reconciles until every failback has settled or the timeout passes,
// sleeping until the next timer or probe is due. A failback whose run
// failed with a transient provider error runs again after a backoff
// (retryBackoff), which a run without an error resets; it sits out the
// rounds in between.
func (s *session) wait(ctx context.Context, streams IO, opts ReconcileOptions) error {
	g := opts.Global
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
	pending := append([]*engine.Failback(nil), s.failbacks...)
	final := map[string]runJSON{}
	// retries and retryAt are a failback's transient failures in a row
	// and when it runs again.
	retries := map[string]int{}
	retryAt := map[string]time.Time{}
	code := ExitOK
	bar := newProgress(streams, g.now)
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
					bar.retrying(fb.Name, n, d, msg)
					logger.Warn("transient error; retrying the failback", "failback", fb.Name, "retry", n, "backoff", d, "error", msg)
					next = append(next, fb)
					soonest(retryAt[fb.Name])
					continue
				}
				delete(retries, fb.Name)
				delete(retryAt, fb.Name)
				bar.show(fb, rep, err, s)
				if settled(rep, err) {
					code = worst(code, c)
					continue
				}
				next = append(next, fb)
				soonest(nextWake(fb, rep, g.now()))
			}
		}
		pending = next
		if len(pending) == 0 {
			break
		}
		if err := sleep(ctx, wake.Sub(g.now())); err != nil {
			bar.done()
			for _, fb := range pending {
				j := final[fb.Name]
				msg := "timed out waiting: " + err.Error()
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
	doc := runsDoc{FormatVersion: FormatVersion, Command: "reconcile", Failbacks: []runJSON{}, ExitCode: code}
	for _, fb := range s.failbacks {
		doc.Failbacks = append(doc.Failbacks, final[fb.Name])
	}
	if g.Output == OutputJSON {
		if err := writeJSON(streams.Out, doc); err != nil {
			return err
		}
	} else {
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

func fmtPercent(p percent) string {
	return strconv.FormatFloat(providers.Share(p).Percent(), 'f', -1, 64)
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

// progress shows a waiting reconcile: a bar redrawn in place on a terminal,
// one log line per change otherwise.
type progress struct {
	now  func() time.Time
	w    io.Writer
	tty  bool
	last map[string]string
	drew bool
}

func newProgress(streams IO, now func() time.Time) *progress {
	return &progress{now: now, w: streams.ErrOut, tty: streams.ErrTerminal, last: map[string]string{}}
}

func (p *progress) show(fb *engine.Failback, rep *engine.Report, err error, s *session) {
	msg := s.line(fb.Name, rep, err)
	if !p.tty {
		if p.last[fb.Name] != msg {
			fmt.Fprintln(p.w, p.now().UTC().Format(time.TimeOnly), msg)
			p.last[fb.Name] = msg
		}
		return
	}
	share := providers.Share(0)
	if rep != nil {
		share = rep.After.Share
	}
	const width = 20
	n := int(share) * width / int(providers.ShareFull)
	bar := strings.Repeat("#", n) + strings.Repeat("-", width-n)
	if len(msg) > 100 {
		msg = msg[:97] + "..."
	}
	fmt.Fprintf(p.w, "\r\033[K[%s] %s", bar, msg)
	p.drew = true
}

func (p *progress) done() {
	if p.tty && p.drew {
		fmt.Fprintln(p.w)
		p.drew = false
	}
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
