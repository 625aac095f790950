package app

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// plainDecimal is what --percent takes: digits, an optional fraction and
// an optional "%". strconv.ParseFloat alone would also take signs,
// exponents ("1e1"), Go hex floats ("0x1p-2"), underscores, "NaN" and
// "Inf": a share of traffic is typed by a person and should read as one.
var plainDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?%?$`)

// ParsePercent parses a --percent value: a plain decimal number from 0 to
// 100 with at most two decimals, optionally followed by "%". Anything else
// is a command-line error (exit 3).
func ParsePercent(s string) (providers.Share, error) {
	t := strings.TrimSpace(s)
	if !plainDecimal.MatchString(t) {
		return 0, Invalid("invalid --percent %q: give a number from 0 to 100", s)
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, Invalid("invalid --percent %q: give a number from 0 to 100", s)
	}
	sh, err := providers.ShareFromPercent(f)
	if err != nil {
		return 0, Invalid("invalid --percent %q: %s", s, err)
	}
	return sh, nil
}

// ShiftOptions are the options of `fbctl shift`.
type ShiftOptions struct {
	Global  *Global
	Name    string
	Percent string
	Force   bool
	Reason  string
}

// Shift sets a failback's share by hand and holds it until `resume`.
func Shift(ctx context.Context, streams IO, opts ShiftOptions) error {
	to, err := ParsePercent(opts.Percent)
	if err != nil {
		return err
	}
	s, err := opts.Global.openSession(streams, []string{opts.Name})
	if err != nil {
		return err
	}
	fb := s.failbacks[0]
	if opts.Force {
		fmt.Fprintf(streams.ErrOut, "WARNING: --force bypasses the health gate; %s will be set to %s whatever its checks say, and this is recorded.\n", fb.Name, to)
	}
	rep, err := s.engine.Shift(providers.WithRunCache(ctx), fb, engine.ShiftRequest{To: to, Force: opts.Force, Reason: opts.Reason, Actor: s.actor})
	defer s.notes.send(ctx, []*engine.Report{rep})
	return s.finish(streams, "shift", fb.Name, rep, err, func() string {
		switch d := rep.Decision; {
		case d.Action == engine.ActionHold:
			// The share and the phase are already what was asked.
			return fmt.Sprintf("%s: %s", fb.Name, s.redact(d.Reason))
		case !d.Writes:
			return fmt.Sprintf("%s: %s; holding there until `fbctl resume %s`", fb.Name, s.redact(d.Reason), fb.Name)
		}
		return fmt.Sprintf("%s: shifted to %s and holding there until `fbctl resume %s`", fb.Name, rep.After.Share, fb.Name)
	})
}

// ControlOptions are the options of pause, resume, abort and approve.
type ControlOptions struct {
	Global *Global
	Name   string
	Reason string
	Force  bool // abort: even onto an unhealthy secondary
}

// Pause holds a failback where it is.
func Pause(ctx context.Context, streams IO, opts ControlOptions) error {
	ctx = providers.WithRunCache(ctx)
	return control(ctx, streams, opts, "pause", func(s *session, fb *engine.Failback) (*engine.Report, error) {
		return s.engine.Pause(ctx, fb, s.actor, opts.Reason)
	})
}

// Resume hands a failback back to the rollout.
func Resume(ctx context.Context, streams IO, opts ControlOptions) error {
	ctx = providers.WithRunCache(ctx)
	return control(ctx, streams, opts, "resume", func(s *session, fb *engine.Failback) (*engine.Report, error) {
		return s.engine.Resume(ctx, fb, s.actor, opts.Reason)
	})
}

// Abort moves the traffic back to the secondary now and pauses.
func Abort(ctx context.Context, streams IO, opts ControlOptions) error {
	ctx = providers.WithRunCache(ctx)
	if opts.Force {
		fmt.Fprintf(streams.ErrOut, "WARNING: --force bypasses the health gate; %s will be moved to the secondary whatever its checks say, and this is recorded.\n", opts.Name)
	}
	return control(ctx, streams, opts, "abort", func(s *session, fb *engine.Failback) (*engine.Report, error) {
		return s.engine.Abort(ctx, fb, opts.Force, s.actor, opts.Reason)
	})
}

// Approve lets the next step that waits for approval proceed.
func Approve(ctx context.Context, streams IO, opts ControlOptions) error {
	ctx = providers.WithRunCache(ctx)
	return control(ctx, streams, opts, "approve", func(s *session, fb *engine.Failback) (*engine.Report, error) {
		if pfb := s.policy.Failback(fb.Name); pfb != nil && pfb.Rollout.StepsUnknown {
			return nil, Invalid("approve needs %s's rollout steps, which depend on a value that was not given (a variable, a Terraform output or an environment variable): give it", fb.Name)
		}
		return s.engine.Approve(ctx, fb, s.actor, opts.Reason)
	})
}

func control(ctx context.Context, streams IO, opts ControlOptions, command string,
	f func(*session, *engine.Failback) (*engine.Report, error)) error {
	open := opts.Global.openSession
	if command == "pause" || command == "approve" {
		// They write only the state: no provider secret is needed.
		open = opts.Global.openStateSession
	}
	s, err := open(streams, []string{opts.Name})
	if err != nil {
		return err
	}
	fb := s.failbacks[0]
	rep, err := f(s, fb)
	defer s.notes.send(ctx, []*engine.Report{rep})
	return s.finish(streams, command, fb.Name, rep, err, func() string {
		return fmt.Sprintf("%s: %s; now %s at %s", fb.Name, command, rep.After.Phase, rep.After.Share)
	})
}

// finish prints the outcome of a one-failback command and returns its exit.
func (s *session) finish(streams IO, command, name string, rep *engine.Report, err error, text func() string) error {
	code := ExitOK
	if err != nil {
		code = CodeOf(exitFor(err))
	}
	j := s.runJSON(name, rep, err, code)
	if s.g.logJSON() {
		msg := fmt.Sprintf("%s: error: %s", name, j.Error)
		if err == nil {
			msg = text()
		}
		s.logResult(context.Background(), command, msg, j)
	}
	if s.g.JSON() {
		doc := runsDoc{FormatVersion: FormatVersion, Command: command, ExitCode: code,
			Failbacks: []runJSON{j}}
		if werr := s.g.writeData(streams.Out, doc); werr != nil {
			return werr
		}
		if code != ExitOK {
			return silent(code)
		}
		return nil
	}
	if err != nil {
		return &ExitError{Code: code, Err: fmt.Errorf("%s", s.redact(err.Error()))}
	}
	if !s.g.logJSON() {
		fmt.Fprintln(streams.Out, text())
	}
	return nil
}

// HistoryOptions are the options of `fbctl history`.
type HistoryOptions struct {
	Global *Global
	Names  []string
	// Since keeps the events at or after a time: a duration back from now
	// ("24h") or an RFC 3339 time; "" keeps all.
	Since string
	// Limit keeps each failback's last Limit events (1 to MaxHistoryLimit)
	// when LimitSet.
	Limit    int
	LimitSet bool
	// Types keeps the events of these types (state.EventTypes); none
	// keeps all.
	Types []string
}

// MaxHistoryLimit bounds --limit: more events than a history of the
// largest size fbctl reads can hold.
const MaxHistoryLimit = 1_000_000

// historyFilter is the checked form of HistoryOptions' filters.
type historyFilter struct {
	since time.Time // zero: no bound
	limit int       // 0: no bound
	types map[string]bool
}

// newHistoryFilter checks the filters of opts; now anchors a --since
// duration. Each mistake is a command-line error naming the flag.
func newHistoryFilter(opts HistoryOptions, now time.Time) (historyFilter, error) {
	var f historyFilter
	if opts.Since != "" {
		if d, err := time.ParseDuration(opts.Since); err == nil {
			if d <= 0 {
				return f, Invalid("invalid --since %q: a duration must be positive, such as 24h", opts.Since)
			}
			f.since = now.Add(-d)
		} else if t, err := time.Parse(time.RFC3339, opts.Since); err == nil {
			f.since = t
		} else {
			return f, Invalid("invalid --since %q: give a duration back from now, such as 30m or 24h (168h for a week), or an RFC 3339 time, such as 2026-12-01T22:00:00Z", opts.Since)
		}
	}
	if opts.LimitSet {
		if opts.Limit < 1 || opts.Limit > MaxHistoryLimit {
			return f, Invalid("invalid --limit %d: give a number of events from 1 to %d", opts.Limit, MaxHistoryLimit)
		}
		f.limit = opts.Limit
	}
	for _, t := range opts.Types {
		if !state.KnownEventType(t) {
			return f, Invalid("invalid --type %q: use one of %s", t, strings.Join(state.EventTypes, ", "))
		}
		if f.types == nil {
			f.types = map[string]bool{}
		}
		f.types[t] = true
	}
	return f, nil
}

// apply keeps the events of one failback's history that pass the type and
// time filters, then the last limit of those.
func (f historyFilter) apply(evs []state.Event) []state.Event {
	var out []state.Event
	for _, ev := range evs {
		if f.types != nil && !f.types[ev.Type] {
			continue
		}
		if !f.since.IsZero() && ev.Time.Before(f.since) {
			continue
		}
		out = append(out, ev)
	}
	if f.limit > 0 && len(out) > f.limit {
		out = out[len(out)-f.limit:]
	}
	return out
}

// History prints the events of the selected failbacks that pass the
// filters, each failback's in the order they were recorded.
func History(ctx context.Context, streams IO, opts HistoryOptions) error {
	// The filters are checked before the policy is read: a typo is
	// reported as itself, whatever the policy's state.
	filter, err := newHistoryFilter(opts, opts.Global.now())
	if err != nil {
		return err
	}
	s, err := opts.Global.openStateSession(streams, opts.Names)
	if err != nil {
		return err
	}
	all := []eventJSON{}
	for _, fb := range s.failbacks {
		evs, err := s.engine.History(ctx, fb.Name)
		if err != nil {
			return exitFor(err)
		}
		for _, ev := range filter.apply(evs) {
			j := eventJSON{ID: ev.ID, Time: ev.Time.UTC(), RunID: ev.RunID, Failback: ev.Failback, Type: ev.Type,
				Phase: ev.Phase, Actor: ev.Actor, Reason: s.redact(ev.Reason)}
			if ev.From != nil {
				p := percent(*ev.From)
				j.From = &p
			}
			if ev.To != nil {
				p := percent(*ev.To)
				j.To = &p
			}
			all = append(all, j)
		}
	}
	if opts.Global.JSON() {
		return opts.Global.writeData(streams.Out, historyDoc{FormatVersion, all})
	}
	tw := newTable(streams.Out)
	tw.row("TIME", "FAILBACK", "EVENT", "CHANGE", "BY", "REASON")
	for _, ev := range all {
		change := ""
		if ev.From != nil && ev.To != nil {
			change = fmt.Sprintf("%s%% -> %s%%", fmtPercent(*ev.From), fmtPercent(*ev.To))
		} else if ev.To != nil {
			change = fmtPercent(*ev.To) + "%"
		}
		tw.row(ev.Time.UTC().Format(time.RFC3339), ev.Failback, ev.Type, change, ev.Actor, ev.Reason)
	}
	return tw.flush()
}

// eventJSON is a history event with shares in percent, like every other
// JSON document fbctl prints (the state files keep basis points).
type eventJSON struct {
	// ID is the event's id (absent for events recorded before ids).
	ID       string      `json:"id,omitempty"`
	Time     time.Time   `json:"time"`
	RunID    string      `json:"run_id,omitempty"`
	Failback string      `json:"failback"`
	Type     string      `json:"type"`
	Phase    state.Phase `json:"phase,omitempty"`
	From     *percent    `json:"from,omitempty"`
	To       *percent    `json:"to,omitempty"`
	Actor    string      `json:"actor,omitempty"`
	Reason   string      `json:"reason,omitempty"`
}

// statusDoc is the document of status -o json; -o jsonl prints one line
// per failback.
type statusDoc struct {
	FormatVersion string       `json:"format_version"`
	Failbacks     []statusJSON `json:"failbacks"`
}

func (d statusDoc) jsonLines() []any {
	out := make([]any, len(d.Failbacks))
	for i, f := range d.Failbacks {
		out[i] = struct {
			FormatVersion string `json:"format_version"`
			statusJSON
		}{d.FormatVersion, f}
	}
	return out
}

// historyDoc is the document of history -o json; -o jsonl prints one
// line per event.
type historyDoc struct {
	FormatVersion string      `json:"format_version"`
	Events        []eventJSON `json:"events"`
}

func (d historyDoc) jsonLines() []any {
	out := make([]any, len(d.Events))
	for i, e := range d.Events {
		out[i] = struct {
			FormatVersion string `json:"format_version"`
			eventJSON
		}{d.FormatVersion, e}
	}
	return out
}
