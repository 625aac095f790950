package state

import (
	"context"
	"errors"
)

// The administration of a store (`fbctl state list|show|unlock|migrate`)
// goes through these interfaces; every store of fbctl implements them.

// Lister is a store that can enumerate the failbacks it holds.
type Lister interface {
	// Failbacks returns the names of the failbacks with a document, a
	// lock or a history in the store, sorted. A name that is not a valid
	// failback name (a stray file, a foreign object) is skipped, never
	// an error: listing must work in a store others write to.
	Failbacks(ctx context.Context) ([]string, error)
}

// Unlocker is a store whose locks a person can release by hand, as
// Terraform's force-unlock does.
type Unlocker interface {
	// ForceUnlock removes the failback's lock only if its holder's run id
	// is runID, and records an "unlock" event naming actor and reason in
	// the history. It returns the holder removed. When the lock is held
	// by another run it returns a *LockIDError and removes nothing; when
	// there is no lock, ErrNotLocked.
	ForceUnlock(ctx context.Context, failback, runID, actor, reason string) (*LockInfo, error)
}

// ErrNotLocked is returned by ForceUnlock when the failback has no lock.
var ErrNotLocked = errors.New("not locked")

// LockIDError is returned by ForceUnlock when the lock's id is not the one
// given: the lock changed hands since the person read it.
type LockIDError struct {
	Failback string
	Want     string
	Holder   LockInfo
}

func (e *LockIDError) Error() string {
	return "failback " + quote(e.Failback) + " is locked by run " + e.Holder.RunID + ", not " + e.Want +
		"; nothing was unlocked (read the lock again with fbctl status)"
}

// Importer is a store that can take a failback's document and history
// from another store (`fbctl state migrate`).
type Importer interface {
	// Import stores doc, its version kept, and events, in their order,
	// as the failback's state and history. It never overwrites: when the
	// store already holds a document or events for the failback that are
	// not exactly these, it returns an error matching ErrExists and
	// changes nothing more. Importing the same document and events again
	// succeeds and changes nothing (an interrupted migration is finished
	// by running it again). A document of Version 0 (Load's answer for
	// a failback never saved, which may still have a history) imports
	// the events alone, and conflicts with a stored document. Nothing is
	// written before doc and every event have passed the checks Load and
	// History make.
	Import(ctx context.Context, doc *Document, events []Event) error
}

// ErrExists is matched (errors.Is) by an Import into a store that already
// holds other state for the failback.
var ErrExists = errors.New("the store already holds other state for this failback")

func quote(s string) string { return `"` + s + `"` }
