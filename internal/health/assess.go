package health

import (
	"fmt"
	"math"
	"time"
)

// CheckState is the judgement of one check, or of one side.
type CheckState int

const (
	// Unknown: never probed, stale evidence, a streak still below its
	// threshold, or (for a side) no checks or a mix of healthy and unknown.
	// Unknown is not healthy: it never lets the primary's share rise.
	Unknown CheckState = iota
	// Healthy: enough consecutive fresh successes.
	Healthy
	// Unhealthy: enough consecutive fresh failures.
	Unhealthy
)

var stateNames = [...]string{Unknown: "unknown", Healthy: "healthy", Unhealthy: "unhealthy"}

// String returns "unknown", "healthy" or "unhealthy".
func (s CheckState) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("CheckState(%d)", int(s))
}

// MarshalText writes the state's name (for JSON output).
func (s CheckState) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(stateNames) {
		return nil, fmt.Errorf("health: invalid CheckState %d", int(s))
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText reads a state's name.
func (s *CheckState) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = CheckState(i)
			return nil
		}
	}
	return fmt.Errorf("health: unknown check state %q", b)
}

// Judge turns a check's evidence into a state at now.
//
//   - Unknown (since zero) when the check was never probed, its last
//     probe is older than ttl (stale evidence says nothing), or its last
//     result was unknown.
//   - Healthy when the current streak is healthy and has at least
//     healthyThreshold successes; since is the streak's start.
//   - Unhealthy when the current streak is unhealthy and has at least
//     unhealthyThreshold failures; since is the streak's start.
//   - Unknown (since zero) otherwise: the streak is pending.
//
// Thresholds below 1 count as 1. A non-positive ttl makes all evidence
// stale.
func Judge(ev Evidence, healthyThreshold, unhealthyThreshold int, ttl time.Duration, now time.Time) (CheckState, time.Time) {
	if ev.LastProbe.IsZero() || ev.LastUnknown || ttl <= 0 || now.Sub(ev.LastProbe) > ttl {
		return Unknown, time.Time{}
	}
	healthyThreshold = max(healthyThreshold, 1)
	unhealthyThreshold = max(unhealthyThreshold, 1)
	switch {
	case ev.LastHealthy && ev.Successes >= healthyThreshold:
		return Healthy, ev.StreakSince
	case !ev.LastHealthy && ev.Failures >= unhealthyThreshold:
		return Unhealthy, ev.StreakSince
	}
	return Unknown, time.Time{}
}

// CheckVerdict is one check's judgement, as shown to people and fed to a
// side's.
type CheckVerdict struct {
	Name  string     `json:"name"`
	State CheckState `json:"state"`
	// Since is when the check's current state began; zero when Unknown.
	Since time.Time `json:"since"`
	// Detail is the last probe's detail.
	Detail string `json:"detail,omitempty"`
	// Stale is set when this run found the check's evidence older than
	// its TTL, so that its streak started again with this run's probes.
	Stale *Staleness `json:"stale,omitempty"`
}

// Staleness says how old a check's evidence was when a run found it stale,
// and the limit it broke: the story behind a streak that restarted.
type Staleness struct {
	Age time.Duration `json:"age"`
	TTL time.Duration `json:"ttl"`
}

// String explains the restart and its fix, for hold reasons.
func (s *Staleness) String() string {
	return fmt.Sprintf("its evidence was %s old, past its %s limit, so its streak started again: run fbctl at least every %s, or set the policy's schedule to the time between runs (evidence lasts 2 × schedule)",
		s.Age.Truncate(time.Second), s.TTL, s.TTL)
}

// SideHealth is the judgement of one side (primary or secondary) from its
// checks.
type SideHealth struct {
	State CheckState `json:"state"`
	// Since is when the side entered State; zero when Unknown.
	Since  time.Time      `json:"since"`
	Checks []CheckVerdict `json:"checks"`
}

// Side aggregates the verdicts of a side's checks:
//
//   - Unhealthy if any check is Unhealthy; Since is the earliest Since
//     among the unhealthy checks (the side has been failing since the
//     first of them failed).
//   - Healthy if every check is Healthy; Since is the latest Since among
//     them (the side has been healthy since the last of them became so).
//   - Unknown otherwise, and for a side with no checks: nothing vouches
//     for it.
func Side(verdicts []CheckVerdict) SideHealth {
	out := SideHealth{State: Unknown, Checks: append([]CheckVerdict(nil), verdicts...)}
	if len(verdicts) == 0 {
		return out
	}
	var unhealthySince, healthySince time.Time
	unhealthy, allHealthy := false, true
	for _, v := range verdicts {
		switch v.State {
		case Unhealthy:
			if !unhealthy || v.Since.Before(unhealthySince) {
				unhealthySince = v.Since
			}
			unhealthy = true
			allHealthy = false
		case Healthy:
			if v.Since.After(healthySince) {
				healthySince = v.Since
			}
		default:
			allHealthy = false
		}
	}
	switch {
	case unhealthy:
		out.State, out.Since = Unhealthy, unhealthySince
	case allHealthy:
		out.State, out.Since = Healthy, healthySince
	}
	return out
}

// DefaultTTL is the evidence_ttl used when a check does not set one:
//
//	max(3 × interval, 2 × scheduleGap)
//
// interval is the check's probing interval; scheduleGap is the expected
// time between two runs of fbctl (a cron job's period), or 0 when unknown
// (a long-running controller, which probes every interval). Three
// intervals tolerate two missed probes; two schedule gaps tolerate one
// late or skipped run, so that evidence from the previous run still
// extends a streak while evidence older than that breaks it.
func DefaultTTL(interval, scheduleGap time.Duration) time.Duration {
	return max(satMul(interval, 3), satMul(scheduleGap, 2))
}

// satMul multiplies a non-negative duration, saturating instead of
// overflowing; negative durations count as zero.
func satMul(d time.Duration, n int64) time.Duration {
	if d <= 0 {
		return 0
	}
	if int64(d) > math.MaxInt64/n {
		return time.Duration(math.MaxInt64)
	}
	return d * time.Duration(n)
}
