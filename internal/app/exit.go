package app

import (
	"errors"
	"fmt"
)

// ExitCode is a process exit status with a documented meaning.
type ExitCode int

// The exit codes of every fbctl command (DESIGN.md, "Commands and exit
// codes"; docs/commands.md, "Exit codes"). They are a public interface:
// scripts and pipelines branch on them. Add a code rather than change the
// meaning of one, and give the reason in docs/commands.md.
const (
	ExitOK        ExitCode = 0 // done: nothing to do, or the decided change was applied
	ExitFailure   ExitCode = 1 // provider, network or internal error
	ExitChanges   ExitCode = 2 // plan only: changes are pending (--detailed-exitcode)
	ExitInvalid   ExitCode = 3 // the policy or the command line is invalid
	ExitLocked    ExitCode = 4 // another run holds the lock
	ExitUnhealthy ExitCode = 5 // rolled back, or the primary is unhealthy
	ExitHalted    ExitCode = 6 // halted: only a person should decide
	// ExitRefused: the failback's state does not allow the command (approve
	// with nothing to approve); nothing was changed. Not an error of fbctl
	// or a provider, and not a command-line error: the same command line
	// succeeds in another state.
	ExitRefused ExitCode = 7
	// ExitWaiting: reconcile --wait stopped because a failback waits for a
	// person (an approval, or a pause or manual hold that only resume
	// lifts), not because it is complete.
	ExitWaiting ExitCode = 8
	// A command interrupted by SIGINT or SIGTERM exits 128 + the signal's
	// number, as shells report it, once the change in flight is settled.
	ExitInterrupted ExitCode = 130 // SIGINT
	ExitTerminated  ExitCode = 143 // SIGTERM
)

// ExitError carries an exit code out of a command. Err may be nil when the
// command has already told the user everything (diagnostics were printed).
type ExitError struct {
	Code ExitCode
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Invalid returns an ExitInvalid error with a message for the user.
func Invalid(format string, args ...any) error {
	return &ExitError{Code: ExitInvalid, Err: fmt.Errorf(format, args...)}
}

// silent returns an error that sets the exit code and prints nothing more.
func silent(code ExitCode) error { return &ExitError{Code: code} }

// CodeOf maps an error to its exit code: ExitOK for nil, the code of an
// ExitError, ExitFailure for anything else.
func CodeOf(err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailure
}

// Message returns what to print for err, or "" when nothing should be.
func Message(err error) string {
	var ee *ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return ""
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// Name is the stable name of an exit code in JSON documents ("locked",
// "refused", ...), so a reader need not keep a table of numbers.
func (c ExitCode) Name() string {
	switch c {
	case ExitOK:
		return "ok"
	case ExitFailure:
		return "failure"
	case ExitChanges:
		return "changes_pending"
	case ExitInvalid:
		return "invalid"
	case ExitLocked:
		return "locked"
	case ExitUnhealthy:
		return "unhealthy"
	case ExitHalted:
		return "halted"
	case ExitRefused:
		return "refused"
	case ExitWaiting:
		return "waiting"
	case ExitInterrupted:
		return "interrupted"
	case ExitTerminated:
		return "terminated"
	}
	return "unknown"
}
