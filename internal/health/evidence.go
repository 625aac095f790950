package health

import (
	"time"

	"github.com/fbctl/fbctl/providers"
)

// Evidence is what fbctl remembers about one check across runs: the current
// streak of equal results and the last probe. It is plain data, stored in
// the failback's state document.
type Evidence struct {
	// LastProbe is when the latest result was recorded; zero when never.
	LastProbe   time.Time `json:"last_probe"`
	LastHealthy bool      `json:"last_healthy"`
	// LastUnknown says the latest result was unknown (see
	// providers.Result.Unknown): no streak runs, LastHealthy is false.
	LastUnknown bool   `json:"last_unknown,omitempty"`
	LastDetail  string `json:"last_detail,omitempty"`
	// Successes and Failures count the consecutive equal results of the
	// current streak; one of them is zero.
	Successes int `json:"successes"`
	Failures  int `json:"failures"`
	// StreakSince is when the current streak's first result was recorded.
	StreakSince time.Time `json:"streak_since"`
}

// Record adds one probe result, taken at at, to ev and returns the new
// evidence.
//
// The streak goes on when the result is the same as the last one (healthy
// or not; the Detail does not matter) and the last probe is no older than
// ttl. Otherwise a new streak of one starts at at: a change of result, a
// first probe, or stale evidence (a gap longer than ttl, during which
// nothing was seen) all break the streak, because no evidence is not good
// evidence. A probe recorded before the last one (a clock that went back)
// also starts a new streak. A non-positive ttl makes every earlier probe
// stale.
//
// An unknown result (r.Unknown) is no evidence either way: it counts as
// neither a success nor a failure and ends the streak, so Judge says
// Unknown until results count again, and the next result starts a new
// streak. Keeping the earlier streak instead would let a check stay healthy
// on results older than a probe that could not tell.
func Record(ev Evidence, r providers.Result, at time.Time, ttl time.Duration) Evidence {
	if r.Unknown {
		return Evidence{LastProbe: at, LastUnknown: true, LastDetail: r.Detail, StreakSince: at}
	}
	gap := at.Sub(ev.LastProbe)
	extends := !ev.LastProbe.IsZero() && !ev.LastUnknown && ev.LastHealthy == r.Healthy &&
		gap >= 0 && gap <= ttl && ttl > 0 && !ev.StreakSince.IsZero()
	out := Evidence{LastProbe: at, LastHealthy: r.Healthy, LastDetail: r.Detail, StreakSince: at}
	if extends {
		out.StreakSince = ev.StreakSince
		out.Successes, out.Failures = ev.Successes, ev.Failures
	}
	if r.Healthy {
		out.Successes++
		out.Failures = 0
	} else {
		out.Failures++
		out.Successes = 0
	}
	return out
}
