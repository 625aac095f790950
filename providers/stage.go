package providers

import "context"

// Stager is implemented by targets whose writes can be batched across the
// failbacks of a run, where the provider charges per call or serializes
// changes (one Route 53 ChangeResourceRecordSets per hosted zone per run).
//
// Stage records the change that Apply(want) would make and returns at
// once: it may read (through the run's RunCache), but nothing is written
// until the run's flush (FlushRun), which sends every staged change of a
// batch together. The returned Pending reports the outcome of that batch:
// Wait blocks until the batch was sent (or ctx is done) and returns the
// share read back afterwards, or an error. A batch is all-or-nothing when
// the provider's API is: an error from Wait then means this staged change
// was not made (nothing of it was written), unlike an error from Apply,
// which may leave the target partly changed. Staged changes that conflict
// (two stagings of one run setting one record differently) fail both.
//
// Stage needs a RunCache in ctx (WithRunCache) and a FlushRun of that
// context before Wait; callers without a flush use Apply, which keeps
// working as the Target contract says. Stage rounds want as Apply does,
// and a Stage that changes nothing still returns a Pending (which reads
// the share back).
type Stager interface {
	Target
	Stage(ctx context.Context, want Share) (Pending, error)
}

// Pending is a staged change, resolved by the run's flush.
type Pending interface {
	// Wait returns the delivered share once the change's batch is
	// committed, read back from the provider; or the batch's error.
	Wait(ctx context.Context) (Share, error)
}

// UncertainError is a Pending's error when its batch was sent and accepted
// but its outcome could not be confirmed: the operation could not be
// waited for, or ended in an error that may have left part of it applied.
// Unlike other Pending errors it does not mean "nothing was written": the
// caller treats the target as possibly changed, as after a failed Apply,
// and puts it back.
type UncertainError struct {
	Err error
}

func (e *UncertainError) Error() string { return e.Err.Error() }

func (e *UncertainError) Unwrap() error { return e.Err }
