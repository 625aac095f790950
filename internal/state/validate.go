package state

import (
	"fmt"
	"sort"
	"time"

	"github.com/fbctl/fbctl/providers"
)

// Sane timestamps in a stored document: the zero time (never), or a time
// in [minTime, maxTime). Anything else was not written by fbctl's clock.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// knownPhase reports whether p is one of the Phase constants.
func knownPhase(p Phase) bool {
	switch p {
	case PhaseSecondary, PhaseShifting, PhasePrimary, PhaseManual, PhasePaused, PhaseHalted:
		return true
	}
	return false
}

// checkDoc checks a decoded document against its invariants. The error
// names the JSON field (evidence["x"].failures, intent.to, ...).
func checkDoc(d *Document) error {
	c := docChecker{}
	if !knownPhase(d.Phase) {
		c.fail("phase", "unknown phase %q", d.Phase)
	}
	if d.Step < -1 {
		c.fail("step", "%d is below -1", d.Step)
	}
	c.share("share", d.Share)
	c.time("phase_since", d.PhaseSince)
	c.time("step_since", d.StepSince)
	c.count("cycle", d.Cycle)
	for _, name := range sortedKeys(d.Evidence) {
		ev := d.Evidence[name]
		f := fmt.Sprintf("evidence[%q]", name)
		c.time(f+".last_probe", ev.LastProbe)
		c.time(f+".streak_since", ev.StreakSince)
		c.count(f+".successes", ev.Successes)
		c.count(f+".failures", ev.Failures)
		if ev.Successes > 0 && ev.Failures > 0 {
			c.fail(f+".failures", "%d failures and %d successes in one streak", ev.Failures, ev.Successes)
		}
	}
	for _, name := range sortedKeys(d.Observed) {
		c.share(fmt.Sprintf("observed[%q]", name), d.Observed[name])
	}
	if in := d.Intent; in != nil {
		if in.RunID == "" {
			c.fail("intent.run_id", "empty")
		}
		c.share("intent.from", in.From)
		c.share("intent.to", in.To)
		c.time("intent.started", in.Started)
		c.time("intent.cooldown_until", in.CooldownUntil)
		c.count("intent.cycle", in.Cycle)
		if in.Phase != "" && !knownPhase(in.Phase) {
			c.fail("intent.phase", "unknown phase %q", in.Phase)
		}
		if in.Hold != nil {
			c.hold("intent.hold", in.Hold)
		}
	}
	c.time("cooldown_until", d.CooldownUntil)
	for i, a := range d.Approvals {
		f := fmt.Sprintf("approvals[%d]", i)
		c.count(f+".cycle", a.Cycle)
		if a.Step < -1 {
			c.fail(f+".step", "%d is below -1", a.Step)
		}
		c.share(f+".to", a.To)
		c.time(f+".at", a.At)
	}
	if d.Hold != nil {
		c.hold("hold", d.Hold)
	}
	c.time("last_run", d.LastRun)
	return c.err
}

// docChecker keeps the first failure.
type docChecker struct{ err error }

func (c *docChecker) fail(field, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("field %s: %s", field, fmt.Sprintf(format, args...))
	}
}

func (c *docChecker) share(field string, s providers.Share) {
	if s < providers.ShareNone || s > providers.ShareFull {
		c.fail(field, "%d is outside 0-10000 (basis points: 0-100 %%)", int(s))
	}
}

func (c *docChecker) count(field string, n int) {
	if n < 0 {
		c.fail(field, "%d is negative", n)
	}
}

func (c *docChecker) time(field string, t time.Time) {
	if !t.IsZero() && (t.Before(minTime) || !t.Before(maxTime)) {
		c.fail(field, "%s is outside %d-%d", t.UTC().Format(time.RFC3339), minTime.Year(), maxTime.Year()-1)
	}
}

func (c *docChecker) hold(field string, h *Hold) {
	c.time(field+".at", h.At)
	if h.Resume != "" && !knownPhase(h.Resume) {
		c.fail(field+".resume", "unknown phase %q", h.Resume)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
