package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/policy"
	"github.com/fbctl/fbctl/providers"
)

// StatusOptions are the options of `fbctl status`.
type StatusOptions struct {
	Global *Global
	Names  []string
	// Watch redraws the status every Every until the context is
	// cancelled (Ctrl-C).
	Watch bool
	Every time.Duration
}

// DefaultWatchEvery is how often `status --watch` refreshes by default;
// MinWatchEvery is the shortest --every, so that a typo cannot turn status
// into a loop that reads the state files without pause.
const (
	DefaultWatchEvery = 2 * time.Second
	MinWatchEvery     = time.Second
)

// statusJSON is one failback in `status -o json`.
//
// Steps: Step is the 0-based index of the largest step at or below the
// share (-1 on the secondary), as recorded; StepNumber is the same step
// counted from 1 (0 on the secondary), which is what the text shows as
// "StepNumber/Steps".
type statusJSON struct {
	Name          string                     `json:"name"`
	Phase         state.Phase                `json:"phase"`
	Step          int                        `json:"step"`
	StepNumber    int                        `json:"step_number"`
	Steps         int                        `json:"steps"`
	Share         percent                    `json:"share"`
	Cycle         int                        `json:"cycle"`
	PhaseSince    *time.Time                 `json:"phase_since,omitempty"`
	StepSince     *time.Time                 `json:"step_since,omitempty"`
	LastRun       *time.Time                 `json:"last_run,omitempty"`
	CooldownUntil *time.Time                 `json:"cooldown_until,omitempty"`
	Observed      map[string]percent         `json:"observed"`
	Hold          *state.Hold                `json:"hold,omitempty"`
	Intent        *state.Intent              `json:"intent,omitempty"`
	Approvals     []approvalJSON             `json:"approvals,omitempty"`
	Evidence      map[string]evidenceSummary `json:"evidence"`
	// Lock is the lock's holder while one holds it.
	Lock *lockJSON `json:"lock,omitempty"`
	// WaitingFor is what the failback waits for before its next change,
	// judged now from the recorded state and evidence as a run would
	// (engine.Await); empty when nothing holds it back.
	WaitingFor []waitJSON `json:"waiting_for"`
	// Next is what the next run would do if it found the evidence and the
	// targets as recorded.
	Next *nextJSON `json:"next,omitempty"`
	// Notes say how targets whose share is not an exact split of requests
	// (capacity scaling) deliver one.
	Notes []string `json:"notes,omitempty"`
}

// approvalJSON is an approval with its share in percent.
type approvalJSON struct {
	Cycle  int       `json:"cycle"`
	Step   int       `json:"step"`
	To     percent   `json:"to"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

type evidenceSummary struct {
	LastProbe *time.Time `json:"last_probe,omitempty"`
	Healthy   bool       `json:"last_healthy"`
	Detail    string     `json:"last_detail,omitempty"`
	Successes int        `json:"successes"`
	Failures  int        `json:"failures"`
	// State is the check's verdict on its recorded evidence now; the
	// thresholds and TTL are what it is judged by. Absent for evidence of
	// a check the policy no longer has.
	State              *health.CheckState `json:"state,omitempty"`
	HealthyThreshold   int                `json:"healthy_threshold,omitempty"`
	UnhealthyThreshold int                `json:"unhealthy_threshold,omitempty"`
	TTLSeconds         float64            `json:"ttl_seconds,omitempty"`
	Stale              bool               `json:"stale,omitempty"`
}

// Kinds of waitJSON, in the order status lists them.
const (
	waitLock          = "lock"
	waitIntent        = "intent"
	waitHold          = "hold"
	waitCooldown      = "cooldown"
	waitStabilization = "stabilization"
	waitBake          = "bake"
	waitApproval      = "approval"
	waitEvidence      = "evidence"
	waitUnhealthy     = "unhealthy"
)

// waitJSON is one thing a failback waits for.
type waitJSON struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
	// Until and RemainingSeconds (whole seconds from the time of status)
	// are set for timers: lock, cooldown, stabilization, bake.
	Until            *time.Time `json:"until,omitempty"`
	RemainingSeconds *int64     `json:"remaining_seconds,omitempty"`
	// Share is the step an approval is for.
	Share *percent `json:"share,omitempty"`
	// Check and Side name the check of an evidence or unhealthy wait.
	Check string `json:"check,omitempty"`
	Side  string `json:"side,omitempty"`
}

// nextJSON is the decision the next run would make on the recorded state.
type nextJSON struct {
	Action engine.Action `json:"action"`
	To     percent       `json:"to"`
	Reason string        `json:"reason"`
}

// lockJSON is a lock's holder; Stale says why the next run takes it over.
type lockJSON struct {
	Owner    string    `json:"owner"`
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	RunID    string    `json:"run_id"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
	Stale    string    `json:"stale,omitempty"`
}

// Status prints the recorded state of the selected failbacks and what each
// waits for. It takes no lock, probes and observes nothing, and writes
// nothing; with Watch it does so again every Every until ctx ends.
func Status(ctx context.Context, streams IO, opts StatusOptions) error {
	every := opts.Every
	if every == 0 {
		every = DefaultWatchEvery
	}
	if opts.Watch && every < MinWatchEvery {
		return Invalid("invalid --every %s: give %s or more", opts.Every, MinWatchEvery)
	}
	s, err := opts.Global.openStateSession(streams, opts.Names)
	if err != nil {
		return err
	}
	sleep := opts.Global.Sleep
	if sleep == nil {
		sleep = realSleep
	}
	for {
		out, err := s.statuses(ctx)
		if err != nil {
			if opts.Watch && ctx.Err() != nil {
				return nil
			}
			return err
		}
		if opts.Watch && !opts.Global.JSON() {
			if streams.OutTerminal {
				// Home and clear: redraw in place, as watch(1) does.
				fmt.Fprint(streams.Out, "\x1b[H\x1b[2J")
			}
			fmt.Fprintf(streams.Out, "fbctl status at %s, every %s (Ctrl-C stops)\n\n", opts.Global.now().UTC().Format(time.RFC3339), every)
		}
		if err := s.printStatus(streams, opts.Global, out); err != nil {
			return err
		}
		if !opts.Watch {
			return nil
		}
		if !streams.OutTerminal && !opts.Global.JSON() {
			// One refresh after another: a blank line between them.
			fmt.Fprintln(streams.Out)
		}
		if err := sleep(ctx, every); err != nil || ctx.Err() != nil {
			// Ctrl-C (or the end of ctx) is how a watch ends.
			return nil
		}
	}
}

// statuses reads the state of the session's failbacks and judges what each
// waits for.
func (s *session) statuses(ctx context.Context) ([]statusJSON, error) {
	now := s.g.now()
	var out []statusJSON
	for _, fb := range s.failbacks {
		d, err := s.engine.Status(ctx, fb.Name)
		if err != nil {
			return nil, exitFor(err)
		}
		// A lock file that cannot be read stops every run: status says
		// so rather than failing, since the state is still worth showing.
		holder, lockErr := s.engine.LockHolder(ctx, fb.Name)
		if lockErr != nil && ctx.Err() != nil {
			return nil, exitFor(ctx.Err())
		}
		j := statusJSON{Name: fb.Name, Phase: d.Phase, Step: d.Step, StepNumber: d.Step + 1, Steps: len(fb.Rollout.Steps),
			Share: percent(d.Share), Cycle: d.Cycle,
			PhaseSince: timePtr(d.PhaseSince), StepSince: timePtr(d.StepSince), LastRun: timePtr(d.LastRun),
			CooldownUntil: timePtr(d.CooldownUntil), Observed: map[string]percent{}, Hold: d.Hold, Intent: d.Intent,
			Evidence: map[string]evidenceSummary{}, WaitingFor: []waitJSON{}}
		if j.StepNumber < 0 {
			j.StepNumber = 0
		}
		for _, a := range d.Approvals {
			j.Approvals = append(j.Approvals, approvalJSON{Cycle: a.Cycle, Step: a.Step, To: percent(a.To), By: a.By, At: a.At.UTC(), Reason: s.redact(a.Reason)})
		}
		if d.Version == 0 {
			j.PhaseSince = nil
		}
		for k, v := range d.Observed {
			j.Observed[k] = percent(v)
		}
		j.Notes = approximations(fb)
		for k, e := range d.Evidence {
			j.Evidence[k] = evidenceSummary{LastProbe: timePtr(e.LastProbe), Healthy: e.LastHealthy, Detail: s.redact(e.LastDetail),
				Successes: e.Successes, Failures: e.Failures}
		}
		if holder != nil {
			j.Lock = &lockJSON{Owner: holder.Owner, Host: holder.Host, PID: holder.PID, RunID: holder.RunID,
				Acquired: holder.Acquired.UTC(), Expires: holder.Expiry().UTC(), Stale: holder.Stale}
		}
		pfb := s.policy.Failback(fb.Name)
		if unknown := unknownSettings(s.policy, pfb); len(unknown) > 0 {
			// Waits judged on the defaults that stand in for them
			// would be wrong (a hidden approval, another evidence
			// TTL): say why there are none instead.
			j.Notes = append(j.Notes, fmt.Sprintf("%s depend on values that were not given (variables, Terraform outputs or environment variables): give them to see what this failback waits for", strings.Join(unknown, ", ")))
			if pfb.Rollout.StepsUnknown {
				j.Steps = 0
			}
			if lockErr != nil {
				j.WaitingFor = append(j.WaitingFor, waitJSON{Kind: waitLock, Detail: s.redact(lockErr.Error())})
			}
			out = append(out, j)
			continue
		}
		var checks []engine.NamedCheck
		if pfb != nil {
			for _, c := range pfb.Checks {
				checks = append(checks, namedCheck(c, nil))
			}
		}
		w := s.engine.Await(fb, checks, d)
		for _, c := range w.Checks {
			e := j.Evidence[c.Name]
			st := c.State
			e.State, e.HealthyThreshold, e.UnhealthyThreshold, e.TTLSeconds, e.Stale = &st, c.HealthyThreshold, c.UnhealthyThreshold, c.TTL.Seconds(), c.Stale
			e.LastProbe, e.Healthy, e.Detail, e.Successes, e.Failures = timePtr(c.Evidence.LastProbe), c.Evidence.LastHealthy, s.redact(c.Evidence.LastDetail), c.Evidence.Successes, c.Evidence.Failures
			j.Evidence[c.Name] = e
		}
		j.WaitingFor = s.waitsFor(fb, d, w, holder, now)
		if lockErr != nil {
			j.WaitingFor = append([]waitJSON{{Kind: waitLock, Detail: s.redact(lockErr.Error())}}, j.WaitingFor...)
		}
		if dec := w.Decision; dec.Writes || dec.Action != engine.ActionHold {
			j.Next = &nextJSON{Action: dec.Action, To: percent(dec.To), Reason: s.redact(dec.Reason)}
		}
		out = append(out, j)
	}
	return out, nil
}

// waitsFor lists what fb waits for, from the engine's judgement w of its
// document d and the lock's holder, most fundamental first: a run holding
// the lock, an unfinished change, a person's hold, then the rollout's
// timers, its approval and the evidence its checks lack.
func (s *session) waitsFor(fb *engine.Failback, d *state.Document, w engine.Wait, holder *state.Holder, now time.Time) []waitJSON {
	out := []waitJSON{}
	timer := func(kind, what string, until time.Time) waitJSON {
		left := until.Sub(now)
		secs := int64(left.Truncate(time.Second) / time.Second)
		u := until.UTC()
		return waitJSON{Kind: kind, Detail: fmt.Sprintf("%s left, until %s%s", fmtDuration(left), fmtUntil(until, now), what), Until: &u, RemainingSeconds: &secs}
	}
	live := holder != nil && holder.Stale == ""
	if live {
		out = append(out, timer(waitLock, fmt.Sprintf(" (held by %s@%s, pid %d, run %s, since %s; the lock is renewed while that run lasts)",
			holder.Owner, holder.Host, holder.PID, holder.RunID, holder.Acquired.UTC().Format(time.RFC3339)), holder.Expiry()))
	}
	dec := w.Decision
	if it := d.Intent; it != nil {
		detail := fmt.Sprintf("unfinished change %s -> %s (run %s, started %s)", it.From, it.To, it.RunID, it.Started.UTC().Format(time.RFC3339))
		if live && holder.RunID == it.RunID {
			detail += ": that run is applying it now"
		} else {
			detail += "; the next run settles it: " + s.redact(dec.Reason)
		}
		out = append(out, waitJSON{Kind: waitIntent, Detail: detail})
		return out
	}
	switch d.Phase {
	case state.PhasePaused, state.PhaseManual, state.PhaseHalted:
		detail := string(d.Phase)
		if h := d.Hold; h != nil {
			detail += " by " + h.By + " at " + h.At.UTC().Format(time.RFC3339)
			if h.Reason != "" {
				detail += ": " + s.redact(h.Reason)
			}
			if h.Forced {
				detail += " (FORCED)"
			}
		}
		detail += fmt.Sprintf("; `fbctl resume %s` hands it back to the rollout", fb.Name)
		out = append(out, waitJSON{Kind: waitHold, Detail: detail})
		return out
	}
	if dec.Action == engine.ActionHold && !dec.WaitUntil.IsZero() {
		switch {
		case d.Phase == state.PhaseSecondary && now.Before(d.CooldownUntil):
			out = append(out, timer(waitCooldown, " (after a rollback)", dec.WaitUntil))
		case d.Phase == state.PhaseSecondary:
			out = append(out, timer(waitStabilization, fmt.Sprintf(" (the primary has been healthy for %s of the %s required)",
				fmtDuration(now.Sub(w.Primary.Since)), fmtDuration(fb.Rollout.PrimaryHealthyFor)), dec.WaitUntil))
		default:
			out = append(out, timer(waitBake, fmt.Sprintf(" (at %s, bake %s)", d.Share, fmtDuration(fb.Rollout.Bake)), dec.WaitUntil))
		}
	}
	// An approval is listed while a timer runs too: it can be given
	// before the timer ends, and the step waits for it after.
	if (dec.NeedsApproval || dec.Action == engine.ActionHold && w.NextNeedsApproval) && w.HasNext {
		sh := percent(w.Next)
		out = append(out, waitJSON{Kind: waitApproval, Share: &sh,
			Detail: fmt.Sprintf("`fbctl approve %s` for the step to %s (step %d of %d; approval = %s)",
				fb.Name, w.Next, stepIndex(fb.Rollout.Steps, w.Next)+1, len(fb.Rollout.Steps), fb.Rollout.Approval)})
	}
	if d.Phase != state.PhaseSecondary && d.Phase != state.PhaseShifting {
		return out
	}
	for _, c := range w.Checks {
		// The primary's checks gate every raise; the secondary's matter
		// only when failing, since they then refuse a move back.
		if c.State == health.Healthy || c.Side == engine.Secondary && c.State != health.Unhealthy {
			continue
		}
		kind := waitEvidence
		if c.State == health.Unhealthy {
			kind = waitUnhealthy
		}
		out = append(out, waitJSON{Kind: kind, Check: c.Name, Side: string(c.Side), Detail: s.evidenceLack(c, now)})
	}
	return out
}

// evidenceLack says what a check's recorded evidence lacks to vouch for its
// side, in the terms the policy sets (thresholds, evidence TTL).
func (s *session) evidenceLack(c engine.CheckEvidence, now time.Time) string {
	ev := c.Evidence
	side := fmt.Sprintf("%s (%s)", c.Name, c.Side)
	last := ""
	if ev.LastDetail != "" {
		last = ": " + s.redact(ev.LastDetail)
	}
	switch {
	case ev.LastProbe.IsZero():
		return side + ": never probed; the next run probes it"
	case c.Stale:
		return fmt.Sprintf("%s: stale: last probe %s ago, limit %s; its streak starts again at the next run (run fbctl at least every %s)",
			side, fmtDuration(c.Age), fmtDuration(c.TTL), fmtDuration(c.TTL))
	case c.State == health.Unhealthy:
		return fmt.Sprintf("%s: unhealthy for %s, %s%s", side, fmtDuration(now.Sub(c.Since)), plural(ev.Failures, "failure", "failures")+" in a row", last)
	case ev.LastUnknown:
		return fmt.Sprintf("%s: the last probe said nothing either way%s; %d successes in a row make it healthy",
			side, last, c.HealthyThreshold)
	case ev.LastHealthy:
		return fmt.Sprintf("%s: %d of %d successes needed", side, ev.Successes, c.HealthyThreshold)
	}
	return fmt.Sprintf("%s: last probe failed%s; %d of %d failures make it unhealthy, %d successes in a row make it healthy",
		side, last, ev.Failures, c.UnhealthyThreshold, c.HealthyThreshold)
}

// printStatus writes the statuses as JSON, or as a table followed by one
// line per thing each failback waits for.
func (s *session) printStatus(streams IO, g *Global, out []statusJSON) error {
	if out == nil {
		out = []statusJSON{}
	}
	if g.JSON() {
		return g.writeData(streams.Out, statusDoc{FormatVersion, out})
	}
	tw := newTable(streams.Out)
	tw.row("FAILBACK", "PHASE", "SHARE", "STEP", "SINCE", "LAST RUN", "WAITING FOR")
	for _, j := range out {
		var kinds []string
		for _, w := range j.WaitingFor {
			if len(kinds) == 0 || kinds[len(kinds)-1] != w.Kind {
				kinds = append(kinds, w.Kind)
			}
		}
		waiting := strings.Join(kinds, ", ")
		if waiting == "" {
			waiting = "-"
		}
		tw.row(j.Name, string(j.Phase), fmtPercent(j.Share)+"%", fmtStep(j), fmtTime(j.PhaseSince), fmtTime(j.LastRun), waiting)
	}
	if err := tw.flush(); err != nil {
		return err
	}
	for _, j := range out {
		for _, w := range j.WaitingFor {
			fmt.Fprintf(streams.Out, "%s: %s: %s\n", j.Name, w.Kind, w.Detail)
		}
		if n := j.Next; n != nil {
			fmt.Fprintf(streams.Out, "%s: next run: %s to %s%%: %s\n", j.Name, strings.ReplaceAll(string(n.Action), "_", " "), fmtPercent(n.To), n.Reason)
		} else if j.Phase == state.PhasePrimary && len(j.WaitingFor) == 0 {
			fmt.Fprintf(streams.Out, "%s: complete: the primary has all the traffic\n", j.Name)
		}
		for _, n := range j.Notes {
			fmt.Fprintf(streams.Out, "%s: note: %s\n", j.Name, n)
		}
	}
	return nil
}

// fmtStep is the text form of a step: "StepNumber/Steps", the 1-based
// number JSON gives as step_number; "-" on the secondary.
func fmtStep(j statusJSON) string {
	if j.StepNumber <= 0 {
		return "-"
	}
	if j.Steps <= 0 {
		return fmt.Sprint(j.StepNumber)
	}
	return fmt.Sprintf("%d/%d", j.StepNumber, j.Steps)
}

// stepIndex is the 0-based index of the step share in steps, or -1.
func stepIndex(steps []providers.Share, share providers.Share) int {
	for i, s := range steps {
		if s == share {
			return i
		}
	}
	return -1
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// fmtDuration writes a countdown to the second without trailing zero
// units: "3m20s", "2m", "1h", "0s".
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	t := d.Truncate(time.Second).String()
	if strings.HasSuffix(t, "m0s") {
		t = strings.TrimSuffix(t, "0s")
	}
	if strings.HasSuffix(t, "h0m") {
		t = strings.TrimSuffix(t, "0m")
	}
	return t
}

// fmtUntil is an absolute UTC time, short ("03:14:00Z") when it falls on
// the same UTC day as now.
func fmtUntil(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05Z")
	}
	return t.Format(time.RFC3339)
}

// namedCheck is a policy check block as the engine sees it, with its
// behaviour chk (nil where nothing is probed, as in status).
func namedCheck(c *policy.Check, chk providers.Check) engine.NamedCheck {
	return engine.NamedCheck{
		Name: c.Name, Kind: c.Kind, Side: engine.Side(c.Of), Check: chk,
		Interval: c.Interval, HealthyThreshold: c.HealthyThreshold, UnhealthyThreshold: c.UnhealthyThreshold,
		Samples: c.Samples, EvidenceTTL: c.EvidenceTTL,
	}
}

// unknownSettings names the settings status needs to judge a failback's
// waits that depend on values not given: the policy's schedule, and the
// rollout's and checks' settings (policy.Failback.UnknownSettings).
func unknownSettings(p *policy.Policy, fb *policy.Failback) []string {
	if fb == nil {
		return nil
	}
	var out []string
	if p.ScheduleUnknown {
		out = append(out, "schedule")
	}
	seen := map[string]bool{}
	for _, n := range fb.UnknownSettings {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
