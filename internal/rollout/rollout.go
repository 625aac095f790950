// Package rollout names the modes of a policy's rollout block. The policy
// language decodes them and the engine decides by them; both use these
// types, so a mode is checked once, where the policy is read, and every
// switch over a mode is over a closed set the compiler knows.
package rollout

// OnUnhealthy is what a rollout does when the primary becomes unhealthy
// mid-rollout.
type OnUnhealthy string

const (
	// Rollback moves all traffic to the secondary and starts the cooldown.
	Rollback OnUnhealthy = "rollback"
	// StepBack lowers the share to the step below (a rollback from the
	// first step).
	StepBack OnUnhealthy = "step_back"
	// HoldOnUnhealthy keeps the share where it is.
	HoldOnUnhealthy OnUnhealthy = "hold"
)

// OnDrift is what a run does when the targets disagree with the state or
// with each other.
type OnDrift string

const (
	// Halt changes nothing and halts the failback for a person.
	Halt OnDrift = "halt"
	// Adopt records the targets' agreed share as the state.
	Adopt OnDrift = "adopt"
	// Correct writes the share the rollout wants back over the targets.
	Correct OnDrift = "correct"
)

// Approval says which steps wait for `fbctl approve`.
type Approval string

const (
	// NoApproval: no step waits.
	NoApproval Approval = "none"
	// FirstStep: the first step of each cycle waits.
	FirstStep Approval = "first_step"
	// EveryStep: every step waits.
	EveryStep Approval = "every_step"
)

// The values of each mode, the default first, in the order the policy
// language lists them.
var (
	OnUnhealthyModes = []OnUnhealthy{Rollback, StepBack, HoldOnUnhealthy}
	OnDriftModes     = []OnDrift{Halt, Adopt, Correct}
	ApprovalModes    = []Approval{NoApproval, FirstStep, EveryStep}
)

// Names returns the modes as strings, for diagnostics and schemas.
func Names[M ~string](modes []M) []string {
	out := make([]string, len(modes))
	for i, m := range modes {
		out[i] = string(m)
	}
	return out
}
