package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// progress shows a waiting reconcile. Off a terminal it prints one log line
// per change. On a terminal it keeps one live line at the bottom, redrawn
// in place with countdowns, and prints a permanent line above it for each
// change, so that the wait's history stays on the screen.
type progress struct {
	now   func() time.Time
	w     io.Writer
	tty   bool
	width int
	last  map[string]string
	drew  bool
	// json: --log-format json; each change is a log record with fields
	// (session.logResult) and nothing is drawn.
	json bool

	// The terminal's live state, per failback in the order of the
	// policy: what the live line and the final summary are made of.
	s     *session
	names []string // the failbacks named on the command line, if any
	order []string
	live  map[string]*liveFailback
}

// liveFailback is what the terminal knows of a failback between its runs.
type liveFailback struct {
	fb  *engine.Failback
	rep *engine.Report
	err error
	// doc is the state as the last run saved it, read back so that the
	// countdowns and the evidence streaks are the engine's own; nil when
	// it could not be read.
	doc *state.Document
	// next is when the wait runs the failback again; zero once settled.
	next time.Time
	// retry is the transient error being backed off from, or "".
	retry string
	// key is what the last permanent line said, to print only changes.
	key string
}

// liveTick is how often the live line's countdowns are redrawn while the
// wait sleeps on a terminal.
const liveTick = time.Second

// defaultWidth is the live line's width when the terminal's is unknown.
const defaultWidth = 100

func newProgress(streams IO, now func() time.Time) *progress {
	w := int(streams.Width)
	if w <= 0 {
		w = defaultWidth
	}
	return &progress{now: now, w: streams.ErrOut, tty: streams.ErrTerminal, width: w, last: map[string]string{},
		live: map[string]*liveFailback{}}
}

// drawing says whether the terminal view is on: a terminal, and text logs.
func (p *progress) drawing() bool { return p.tty && !p.json }

func (p *progress) show(ctx context.Context, fb *engine.Failback, rep *engine.Report, err error, s *session) {
	msg := s.line(fb.Name, rep, err)
	if p.json {
		if p.last[fb.Name] != msg {
			j := s.runJSON(fb.Name, rep, err, codeOf(rep, err, false))
			s.logResult(context.Background(), "reconcile", msg, j)
			p.last[fb.Name] = msg
		}
		return
	}
	if !p.tty {
		if p.last[fb.Name] != msg {
			fmt.Fprintln(p.w, p.now().UTC().Format(time.TimeOnly), msg)
			p.last[fb.Name] = msg
		}
		return
	}
	lf := p.track(s, fb)
	lf.rep, lf.err, lf.retry = rep, err, ""
	// Without the saved state the live line says less rather than
	// counting down from an older one.
	lf.doc = nil
	if d, lerr := s.engine.Status(ctx, fb.Name); lerr == nil {
		lf.doc = d
	}
	key, line := p.change(lf)
	if key != lf.key {
		lf.key = key
		p.permanent(line)
	}
	// The wait redraws the live line once the round is over and it knows
	// when each failback runs next.
}

// track returns the live state of fb, adding it in the order first seen
// (the wait runs the failbacks in the policy's order).
func (p *progress) track(s *session, fb *engine.Failback) *liveFailback {
	if s != nil {
		p.s = s
	}
	lf, ok := p.live[fb.Name]
	if !ok {
		lf = &liveFailback{fb: fb}
		p.live[fb.Name] = lf
		p.order = append(p.order, fb.Name)
	}
	return lf
}

// scheduled records when the wait runs each failback again (zero once it
// has settled), for the "next probe" countdowns.
func (p *progress) scheduled(name string, at time.Time) {
	if lf, ok := p.live[name]; ok {
		lf.next = at
	}
}

// permanent prints a line that stays: the live line is cleared and the
// line printed; the next redraw puts the live line under it.
func (p *progress) permanent(line string) {
	if p.drew {
		fmt.Fprint(p.w, "\r\033[K")
		p.drew = false
	}
	fmt.Fprintln(p.w, line)
}

// redraw draws the live line again, its countdowns taken from the clock now.
func (p *progress) redraw() {
	if !p.drawing() {
		return
	}
	now := p.now()
	var parts []string
	for _, name := range p.order {
		lf := p.live[name]
		if lf.next.IsZero() && lf.rep != nil && lf.retry == "" {
			continue // settled: its last permanent line says where it is
		}
		parts = append(parts, p.liveText(lf, now))
	}
	if len(parts) == 0 {
		if p.drew {
			fmt.Fprint(p.w, "\r\033[K")
			p.drew = false
		}
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s", clip(strings.Join(parts, " | "), p.width-1))
	p.drew = true
}

// liveText is one failback's part of the live line: a bar of its share,
// its phase, what it waits for with the time left, and the next probe.
func (p *progress) liveText(lf *liveFailback, now time.Time) string {
	share := providers.Share(0)
	phase := state.Phase("")
	if lf.doc != nil {
		share, phase = lf.doc.Share, lf.doc.Phase
	} else if lf.rep != nil {
		share, phase = lf.rep.After.Share, lf.rep.After.Phase
	}
	const width = 20
	n := int(share) * width / int(providers.ShareFull)
	n = max(0, min(width, n))
	text := fmt.Sprintf("[%s%s] %s %s", strings.Repeat("#", n), strings.Repeat("-", width-n), lf.fb.Name, share)
	if phase != "" {
		text += " " + string(phase)
	}
	var waits []string
	if lf.retry != "" {
		waits = append(waits, "transient error: "+lf.retry)
	} else {
		waits = p.waits(lf, now)
	}
	if !lf.next.IsZero() {
		what := "next probe"
		if lf.retry != "" {
			what = "retry"
		}
		if left := lf.next.Sub(now).Round(time.Second); left > 0 {
			waits = append(waits, what+" in "+fmtDuration(left))
		} else {
			waits = append(waits, what+" now")
		}
	}
	if len(waits) > 0 {
		text += ": " + strings.Join(waits, ", ")
	}
	return text
}

// waits says briefly what a failback waits for at now: the engine's
// judgement of its saved state (as status gives it), each timer with the
// time left, and a check that lacks evidence by name with its last result.
func (p *progress) waits(lf *liveFailback, now time.Time) []string {
	if lf.doc == nil {
		if lf.err != nil {
			return []string{"error: " + p.s.redact(lf.err.Error())}
		}
		return nil
	}
	w := p.s.engine.Await(lf.fb, lf.fb.Checks, lf.doc)
	var out []string
	for _, wj := range p.s.waitsFor(lf.fb, lf.doc, w, nil, now) {
		switch wj.Kind {
		case waitCooldown, waitStabilization, waitBake:
			left := time.Duration(0)
			if wj.Until != nil {
				left = wj.Until.Sub(now)
			}
			out = append(out, fmt.Sprintf("%s %s left", wj.Kind, fmtDuration(left.Round(time.Second))))
		case waitApproval:
			out = append(out, fmt.Sprintf("waits for `fbctl approve %s`", lf.fb.Name))
		case waitHold:
			out = append(out, fmt.Sprintf("held (%s): `fbctl resume %s`", lf.doc.Phase, lf.fb.Name))
		case waitIntent:
			out = append(out, "a change is unsettled; the next run settles it")
		case waitEvidence, waitUnhealthy:
			for _, c := range w.Checks {
				if c.Name == wj.Check {
					out = append(out, p.s.checkTrouble(c))
				}
			}
		}
	}
	return out
}

// checkTrouble names a check that does not vouch for its side, with its
// last result and how far its streak is from a verdict: "dc1: HTTP 503
// (expected 200), 1 of 2 failures".
func (s *session) checkTrouble(c engine.CheckEvidence) string {
	ev := c.Evidence
	switch {
	case ev.LastProbe.IsZero():
		return c.Name + ": not probed yet"
	case c.Stale:
		return fmt.Sprintf("%s: stale (last probe %s ago, limit %s)", c.Name, fmtDuration(c.Age), fmtDuration(c.TTL))
	}
	text := c.Name
	if ev.LastDetail != "" {
		text += ": " + s.redact(ev.LastDetail)
	}
	switch {
	case c.State == health.Unhealthy:
		return text + ", unhealthy, " + plural(ev.Failures, "failure", "failures") + " in a row"
	case ev.LastUnknown:
		return text + ", no evidence either way"
	case !ev.LastHealthy:
		return fmt.Sprintf("%s, %d of %d failures", text, ev.Failures, c.UnhealthyThreshold)
	}
	return fmt.Sprintf("%s, %d of %d successes", text, ev.Successes, c.HealthyThreshold)
}

// failingCheck is the first of the primary's checks whose last probe
// failed, in checkTrouble's words, or "".
func (s *session) failingCheck(w engine.Wait) string {
	for _, c := range w.Checks {
		if c.Side != engine.Secondary && !c.Evidence.LastProbe.IsZero() && !c.Evidence.LastHealthy && !c.Evidence.LastUnknown && !c.Stale {
			return s.checkTrouble(c)
		}
	}
	return ""
}

// change is the permanent line of a failback's last run, and the key that
// says whether it is a change: a move, a new phase or share, a new outcome,
// or a hold for a different reason (a timer, an approval, a failing check).
// A countdown that moved on is not a change.
func (p *progress) change(lf *liveFailback) (key, line string) {
	name, rep, err := lf.fb.Name, lf.rep, lf.err
	at := p.now().UTC().Format(time.TimeOnly)
	if rep == nil || rep.Decision.Action == "" {
		msg := p.s.line(name, rep, err)
		return "error\x00" + msg, at + " " + msg
	}
	d := rep.Decision
	verb := strings.ReplaceAll(string(d.Action), "_", " ")
	reason := p.s.redact(d.Reason)
	failing := ""
	var kinds []string
	if lf.doc != nil {
		w := p.s.engine.Await(lf.fb, lf.fb.Checks, lf.doc)
		if !d.Writes {
			failing = p.s.failingCheck(w)
		}
		for _, wj := range p.s.waitsFor(lf.fb, lf.doc, w, nil, p.now()) {
			kinds = append(kinds, wj.Kind)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", at, name)
	switch {
	case d.Writes && err != nil && lf.doc != nil:
		// The write failed or was put back: say where it stands, not
		// only what was tried.
		fmt.Fprintf(&b, "%s %s → %s not done, at %s", verb, rep.Before.Share, d.To, lf.doc.Share)
	case d.Writes:
		fmt.Fprintf(&b, "%s %s → %s", verb, rep.Before.Share, d.To)
	case rep.Before.Phase != rep.After.Phase:
		fmt.Fprintf(&b, "%s %s → %s at %s", verb, rep.Before.Phase, rep.After.Phase, rep.After.Share)
	default:
		fmt.Fprintf(&b, "%s at %s (%s)", verb, rep.After.Share, rep.After.Phase)
	}
	if failing != "" && d.Outcome == engine.OutcomeOK {
		// The engine's reason says the evidence is "stale or pending";
		// the person wants the check that failed and what it answered.
		reason = fmt.Sprintf("%s; holding at %s until it passes again or fails enough to act", failing, rep.After.Share)
	}
	fmt.Fprintf(&b, ": %s", reason)
	if err != nil {
		fmt.Fprintf(&b, "; error: %s", p.s.redact(err.Error()))
	}
	// The failing check's name and answer, without its count, so that
	// each further failure of the same kind is not a new line.
	failKey := failing
	if i := strings.LastIndex(failKey, ", "); i >= 0 {
		failKey = failKey[:i]
	}
	key = fmt.Sprint(d.Action, d.Writes, rep.After.Phase, rep.After.Share, d.Outcome, d.NeedsApproval, kinds, failKey, err != nil)
	return key, b.String()
}

// retrying tells, on the progress side, that a failback's run failed with
// a transient error and runs again after d. On a terminal the line stays
// above the live line.
func (p *progress) retrying(fb *engine.Failback, n int, d time.Duration, msg string, s *session) {
	line := fmt.Sprintf("%s: transient error, retry %d in %v: %s", fb.Name, n, d, msg)
	switch {
	case p.json:
		// The wait logs the retry as a warning with fields.
	case p.tty:
		lf := p.track(s, fb)
		lf.retry = msg
		lf.key = ""
		p.permanent(p.now().UTC().Format(time.TimeOnly) + " " + line)
	default:
		fmt.Fprintln(p.w, p.now().UTC().Format(time.TimeOnly), line)
	}
	p.last[fb.Name] = line
}

// sleep sleeps until wake. On a terminal it wakes every liveTick to redraw
// the countdowns; the sleeps then add up to the same wait.
func (p *progress) sleep(ctx context.Context, sleep func(context.Context, time.Duration) error, wake time.Time) error {
	left := wake.Sub(p.now())
	if !p.drawing() || left <= liveTick {
		return sleep(ctx, left)
	}
	for left > 0 {
		if err := sleep(ctx, min(left, liveTick)); err != nil {
			return err
		}
		// At wake the run comes next, and the round's end redraws.
		if left = wake.Sub(p.now()); left > 0 {
			p.redraw()
		}
	}
	return nil
}

// done ends the live line: it is cleared, since the final summary says
// where each failback is.
func (p *progress) done() {
	if p.tty && p.drew {
		fmt.Fprint(p.w, "\r\033[K")
		p.drew = false
	}
}

// final prints where each failback ended and what the exit code means,
// once the live line is gone.
func (p *progress) final(doc runsDoc) {
	for _, j := range doc.Failbacks {
		p.permanent(finalLine(j))
	}
	p.permanent(fmt.Sprintf("exit %d: %s", doc.ExitCode, exitMeaning(doc.ExitCode)))
}

// finalLine is where a failback ended and what that means for the person.
func finalLine(j runJSON) string {
	line := j.Name + ":"
	if j.After != nil {
		line += fmt.Sprintf(" %s at %s%%", j.After.Phase, fmtPercent(j.After.Share))
	}
	why := ""
	if j.Reason != "" {
		why = ": " + j.Reason
	}
	switch j.ExitCode {
	case ExitOK:
		if j.After != nil && j.After.Phase == state.PhasePrimary {
			return line + ": complete"
		}
		return line + ": settled" + why
	case ExitWaiting:
		if j.NeedsApproval {
			return line + fmt.Sprintf(": waits for a person: `fbctl approve %s`%s", j.Name, why)
		}
		return line + fmt.Sprintf(": held for a person: `fbctl resume %s` continues%s", j.Name, why)
	case ExitUnhealthy:
		switch engine.Action(j.Action) {
		case engine.ActionRollback:
			return line + ": rolled back" + why
		case engine.ActionStepBack:
			return line + ": stepped back" + why
		}
		return line + ": unhealthy" + why
	case ExitHalted:
		return line + ": halted" + why
	}
	if j.Error != "" {
		return line + ": error: " + j.Error
	}
	return line + ": " + j.ExitCode.Name() + why
}

// exitMeaning is what reconcile --wait's exit code says
// (docs/commands.md, "Exit codes").
func exitMeaning(c ExitCode) string {
	switch c {
	case ExitOK:
		return "done, nothing left to wait for"
	case ExitUnhealthy:
		return "rolled back, or the primary is unhealthy"
	case ExitHalted:
		return "halted: only a person should decide, then `fbctl resume`"
	case ExitWaiting:
		return "waiting for a person: an approval, or a pause or manual hold to resume"
	case ExitLocked:
		return "another run holds the lock"
	case ExitFailure:
		return "error"
	}
	return c.Name()
}

// interrupted tells, after a signal, what the wait left behind: each
// failback's phase and share as saved, its hold, what it was waiting for,
// and the commands that carry on. during says the signal came during a
// run, whose change in flight the engine settled first.
func (p *progress) interrupted(ctx context.Context, doc runsDoc, during bool) {
	how := "between runs: nothing was in flight"
	if during {
		how = "during a run: the change in flight was settled first"
	}
	p.permanent("interrupted " + how + "; left as it is:")
	now := p.now()
	reconcile := false
	var cmds []string
	for _, j := range doc.Failbacks {
		var fb *engine.Failback
		for _, f := range p.s.failbacks {
			if f.Name == j.Name {
				fb = f
			}
		}
		d, err := p.s.engine.Status(ctx, j.Name)
		if fb == nil || err != nil {
			p.permanent("  " + finalLine(j))
			reconcile = true
			continue
		}
		line := fmt.Sprintf("  %s: %s at %s", j.Name, d.Phase, d.Share)
		if n := len(fb.Rollout.Steps); d.Step >= 0 && n > 0 {
			line += fmt.Sprintf(" (step %d of %d)", d.Step+1, n)
		}
		if h := d.Hold; h != nil {
			line += fmt.Sprintf(", held by %s since %s", h.By, h.At.UTC().Format(time.TimeOnly))
			if h.Reason != "" {
				line += ": " + p.s.redact(h.Reason)
			}
		} else if waits := p.waits(&liveFailback{fb: fb, doc: d}, now); len(waits) > 0 {
			line += ": " + strings.Join(waits, ", ")
		} else if w := p.s.engine.Await(fb, fb.Checks, d); w.Decision.Writes {
			line += fmt.Sprintf(": the next run would %s to %s", strings.ReplaceAll(string(w.Decision.Action), "_", " "), w.Decision.To)
		}
		p.permanent(line)
		switch {
		case d.Phase == state.PhasePaused || d.Phase == state.PhaseManual || d.Phase == state.PhaseHalted:
			cmds = append(cmds, "fbctl resume "+j.Name)
		case j.NeedsApproval && j.ExitCode == ExitWaiting:
			cmds = append(cmds, "fbctl approve "+j.Name)
		case d.Phase == state.PhasePrimary && d.Intent == nil:
		default:
			reconcile = true
		}
	}
	if reconcile {
		cmds = append(cmds, strings.Join(append([]string{"fbctl reconcile --wait"}, p.names...), " "))
	}
	if len(cmds) > 0 {
		p.permanent("to continue: " + strings.Join(cmds, "; "))
	}
	if doc.ExitCode == ExitHalted {
		p.permanent(fmt.Sprintf("exit %d: %s", ExitHalted, exitMeaning(ExitHalted)))
		return
	}
	p.permanent(fmt.Sprintf("exit %d (Ctrl-C) or %d (SIGTERM): interrupted", ExitInterrupted, ExitTerminated))
}

// clip cuts s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if n < 4 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}
