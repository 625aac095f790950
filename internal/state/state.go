// Package state keeps what fbctl remembers about each failback between runs:
// one JSON document per failback, an append-only history of events, and a
// lock that lets one run at a time act on a failback.
//
// Contract of every Store:
//   - Load returns the stored document, or a new one (Version 0, phase
//     secondary) when there is none. A document that cannot be read, is
//     corrupt, or has an unknown schema version is an error that names
//     where it is; nothing is ever reset silently.
//   - Save is a compare-and-swap: it succeeds only when the stored version
//     is still the one the document was loaded at, and then stores it with
//     Version+1 (updating doc.Version). Otherwise it returns an error
//     matching ErrConflict and stores nothing. A save interrupted at any
//     point leaves either the old or the new document, never a mix.
//   - Lock grants one holder per failback. While a live lock is held, Lock
//     returns a *LockedError naming the holder. A lock past its expiry
//     (LockInfo.Expiry), or whose holder is provably gone, is taken over,
//     and the takeover is recorded in the history. A held lock is renewed
//     at a third of its lease until Unlock.
//   - A takeover fences the previous holder: before Lock returns, the
//     stored document's version is advanced, so a Save by the old holder
//     of a document it loaded before the takeover fails with ErrConflict.
//   - Everything read from the store is input: a document that breaks its
//     invariants, a lock or history that fbctl did not write, is an error
//     naming the file and the field, and is never rewritten.
//   - Append adds one event to the failback's history; History returns the
//     events in the order they were appended.
//   - Everything is safe for concurrent use by goroutines and processes.
package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/providers"
)

// SchemaVersion is the version of the document format this build writes
// and reads.
const SchemaVersion = 1

// Phase is where a failback stands.
type Phase string

const (
	// PhaseSecondary: the share is 0; waiting for the primary to stabilize.
	PhaseSecondary Phase = "secondary"
	// PhaseShifting: at Steps[Step], baking.
	PhaseShifting Phase = "shifting"
	// PhasePrimary: the share is 100%; the failback is complete.
	PhasePrimary Phase = "primary"
	// PhaseManual: held at a share set by `fbctl shift` until `resume`.
	PhaseManual Phase = "manual"
	// PhasePaused: held by `fbctl pause` until `resume`.
	PhasePaused Phase = "paused"
	// PhaseHalted: something only a person should decide; until `resume`.
	PhaseHalted Phase = "halted"
)

// Document is one failback's state.
type Document struct {
	SchemaVersion int    `json:"schema_version"`
	Failback      string `json:"failback"`
	// Version is the compare-and-swap version: 0 for a document never saved.
	Version int64 `json:"version"`

	Phase Phase `json:"phase"`
	// Step is, for people, the index of the largest step at or below the
	// share (-1 on the secondary). Decisions use the share: a policy edit
	// can renumber the steps.
	Step int `json:"step"`
	// Share is the share last applied and read back.
	Share      providers.Share `json:"share"`
	PhaseSince time.Time       `json:"phase_since"`
	StepSince  time.Time       `json:"step_since"`
	// Cycle counts failback cycles: a new one starts at each external
	// failover or rollback.
	Cycle int `json:"cycle"`

	// Evidence by check name.
	Evidence map[string]health.Evidence `json:"evidence"`
	// Observed is the share each target reported last, by target name.
	Observed map[string]providers.Share `json:"observed"`
	// Intent is set while a change is being applied; a leftover intent
	// means a run died mid-change.
	Intent        *Intent    `json:"intent,omitempty"`
	CooldownUntil time.Time  `json:"cooldown_until"`
	Approvals     []Approval `json:"approvals,omitempty"`
	// Hold says who holds a manual, paused or halted failback, and why.
	Hold    *Hold     `json:"hold,omitempty"`
	LastRun time.Time `json:"last_run"`
}

// NewDocument returns the document of a failback never seen before: on the
// secondary, at share 0.
func NewDocument(failback string, now time.Time) *Document {
	return &Document{
		SchemaVersion: SchemaVersion,
		Failback:      failback,
		Phase:         PhaseSecondary,
		Step:          -1,
		PhaseSince:    now,
		Evidence:      map[string]health.Evidence{},
		Observed:      map[string]providers.Share{},
	}
}

// Intent is a change recorded before its first write.
type Intent struct {
	RunID string          `json:"run_id"`
	From  providers.Share `json:"from"`
	To    providers.Share `json:"to"`
	// Targets in the order they are being applied; Applied those done.
	Targets []string  `json:"targets"`
	Applied []string  `json:"applied,omitempty"`
	Started time.Time `json:"started"`

	// What the change records once done, so that a run that finishes it
	// after a crash records what the dead command meant: the command
	// ("reconcile", "shift", "abort", "resume"), the history event and
	// its reason, and the position after it (phase, the hold it sets,
	// the cooldown, the cycle). Intents written before these fields
	// existed have them empty: a reconcile's plain move.
	Command       string    `json:"command,omitempty"`
	Event         string    `json:"event,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	Phase         Phase     `json:"phase,omitempty"`
	Hold          *Hold     `json:"hold,omitempty"`
	CooldownUntil time.Time `json:"cooldown_until,omitempty"`
	Cycle         int       `json:"cycle,omitempty"`
	Forced        bool      `json:"forced,omitempty"`
}

// Approval lets one step proceed under `approval = first_step|every_step`.
type Approval struct {
	Cycle int `json:"cycle"`
	// Step is the step's index when approved (for people); To is the
	// share it lets through, which is what counts.
	Step   int             `json:"step"`
	To     providers.Share `json:"to"`
	By     string          `json:"by"`
	At     time.Time       `json:"at"`
	Reason string          `json:"reason,omitempty"`
}

// Hold records why a failback is manual, paused or halted.
type Hold struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
	// Forced is set when `shift --force` bypassed the health gate.
	Forced bool `json:"forced,omitempty"`
	// Resume is the phase `resume` returns to.
	Resume Phase `json:"resume,omitempty"`
}

// Event is one line of a failback's history.
type Event struct {
	// ID identifies the event wherever it goes (the history, a webhook's
	// receiver, which deduplicates on it): NewEventID's, given when the
	// event is recorded. Events recorded before ids existed have none.
	ID       string           `json:"id,omitempty"`
	Time     time.Time        `json:"time"`
	RunID    string           `json:"run_id,omitempty"`
	Failback string           `json:"failback"`
	Type     string           `json:"type"` // e.g. "shift", "rollback", "hold", "lock_takeover"
	Phase    Phase            `json:"phase,omitempty"`
	From     *providers.Share `json:"from,omitempty"`
	To       *providers.Share `json:"to,omitempty"`
	Actor    string           `json:"actor,omitempty"`
	Reason   string           `json:"reason,omitempty"`
}

// LockInfo describes a lock holder.
//
// A lock is a lease: it lasts Lease from its last renewal, and its holder
// renews it at a third of that while it runs. Its expiry is the earlier of
// Expires and Renewed+Lease, so a lock file that claims a far expiry
// (the year 9999) without being renewed still runs out. BootID, PIDNS and
// StartTime identify the holder's process on its machine: a reader in the
// same boot and PID namespace can prove the holder gone (its pid not
// running, or running a process started later) and take the lock over at
// once. Locks written before these fields existed lack them and only
// expire.
type LockInfo struct {
	Owner    string    `json:"owner"` // user name
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	RunID    string    `json:"run_id"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
	// Lease is how long the lock lasts after each renewal (JSON:
	// nanoseconds); zero in a Lock call means Expires-Acquired.
	Lease time.Duration `json:"lease,omitempty"`
	// Renewed is the last renewal; zero in a Lock call means now.
	Renewed time.Time `json:"renewed"`
	// BootID is the holder's /proc/sys/kernel/random/boot_id, PIDNS its
	// PID namespace (the link /proc/self/ns/pid), StartTime its process's
	// start time (field 22 of /proc/PID/stat, clock ticks since boot).
	// Lock fills them when PID is the calling process and they are empty.
	BootID    string `json:"boot_id,omitempty"`
	PIDNS     string `json:"pid_ns,omitempty"`
	StartTime uint64 `json:"start_time,omitempty"`
}

// MaxLease is the longest lease a lock may have. A lock file is read as
// expiring at most MaxLease after its last renewal (or acquisition), so no
// lock file, however it was written, can hold a failback for longer.
const MaxLease = 24 * time.Hour

// Expiry is when the lock runs out unless renewed: the earliest of Expires,
// Renewed (or Acquired) + Lease, and Renewed (or Acquired) + MaxLease.
func (i LockInfo) Expiry() time.Time {
	exp := i.Expires
	base := i.Renewed
	if base.IsZero() {
		base = i.Acquired
	}
	if base.IsZero() {
		return exp
	}
	if i.Lease > 0 {
		if t := base.Add(i.Lease); t.Before(exp) {
			exp = t
		}
	}
	if t := base.Add(MaxLease); t.Before(exp) {
		exp = t
	}
	return exp
}

// Lock is a held lock.
type Lock interface {
	// Unlock releases the lock if this holder still holds it. It returns
	// an error matching ErrLockLost when another run took the lock over.
	Unlock() error
}

// RenewedLock is a Lock that is renewed in the background while held (the
// file store's locks are). Lost is closed when a renewal finds the lock
// taken over: the holder must then stop before touching anything.
//
// Deadline is when the lease runs out as far as the holder knows: the
// last renewal that landed, counted from when it was sent, plus the
// lease, on the store's clock. A holder whose deadline is less than a
// third of the lease away has missed a renewal: another run may take the
// lock soon, and store writes are fenced but target writes are not, so
// the engine writes no further target (see internal/engine).
type RenewedLock interface {
	Lock
	Lost() <-chan struct{}
	Deadline() time.Time
}

// ErrLockLost is matched (errors.Is) by the Unlock of a lock another run
// took over.
var ErrLockLost = errors.New("lock was taken over by another run")

// ErrConflict is matched (errors.Is) by a Save that lost a race.
var ErrConflict = errors.New("state changed since it was read")

// LockedError is returned by Lock while another live holder has the lock.
type LockedError struct {
	Failback string
	Holder   LockInfo
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("failback %q is locked by %s@%s (pid %d, run %s) since %s, until %s",
		e.Failback, e.Holder.Owner, e.Holder.Host, e.Holder.PID, e.Holder.RunID,
		e.Holder.Acquired.UTC().Format(time.RFC3339), e.Holder.Expiry().UTC().Format(time.RFC3339))
}

// Holder is a lock's holder as read by LockReader.
type Holder struct {
	LockInfo
	// Stale says why the next run would take the lock over (expired, or
	// the holder provably gone); "" while the lock is live.
	Stale string
}

// LockReader is implemented by stores that can say who holds a lock
// without taking it (the file store does): status shows the holder.
type LockReader interface {
	// LockHolder returns the failback's lock holder, or nil when the lock
	// is free. It changes nothing.
	LockHolder(ctx context.Context, failback string) (*Holder, error)
}

// Store keeps documents, histories and locks. See the package doc for the
// contract.
type Store interface {
	Load(ctx context.Context, failback string) (*Document, error)
	Save(ctx context.Context, doc *Document) error
	Lock(ctx context.Context, failback string, info LockInfo) (Lock, error)
	Append(ctx context.Context, failback string, ev Event) error
	History(ctx context.Context, failback string) ([]Event, error)
}

// EventTypes are the types of the events fbctl records (Event.Type), in the
// order a reader meets them in a failback's life. `fbctl history --type`
// accepts only these, so that a misspelt type is an error rather than an
// empty history; the engine's tests keep the list complete.
var EventTypes = []string{
	"adopt",             // the targets' agreed share was taken as the state
	"shift",             // the rollout moved to its next step
	"approve",           // a person approved the next step
	"step_back",         // the primary faltered: one step back
	"rollback",          // the primary faltered: all traffic to the secondary
	"correct",           // drift on a target was put right
	"external_failover", // someone moved traffic away: a new cycle begins
	"manual_shift",      // `fbctl shift`
	"pause",             // `fbctl pause`
	"resume",            // `fbctl resume`
	"abort",             // `fbctl abort`
	"recover",           // a change a dead run left behind was settled
	"halt",              // halted for a person to decide
	"apply_failed",      // a write failed and the targets were put back
	"revert_failed",     // putting the targets back failed too: halted
	"lock_takeover",     // an expired or dead holder's lock was taken over
	"unlock",            // `fbctl state unlock`: a person removed a lock by hand
}

// NewEventID returns a new event id: 16 random bytes in hex, unique across
// runs and hosts without coordination.
func NewEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// MaxEventIDLen bounds an event id read from a history: ids fbctl writes
// are 32 characters.
const MaxEventIDLen = 64

// checkEventID says what is wrong with a stored event's id; nil for none
// (an event recorded before ids existed) or a well-formed one.
func checkEventID(id string) error {
	if len(id) > MaxEventIDLen {
		return fmt.Errorf("id of %d bytes, longer than %d", len(id), MaxEventIDLen)
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.') {
			return errors.New("id holds a character other than a letter, a digit, '-', '_' or '.'")
		}
	}
	return nil
}

// KnownEventType reports whether t is one of EventTypes.
func KnownEventType(t string) bool {
	for _, k := range EventTypes {
		if k == t {
			return true
		}
	}
	return false
}

// CheckName reports whether failback is a valid failback name, the same
// rule in every store (it names files and object keys).
func CheckName(failback string) error { return checkName(failback) }

// DecodeDocument checks a stored document named name (a path, an object's
// URL) of failback against its invariants, as every store does on Load:
// every failure names the object, and nothing is ever reset silently.
func DecodeDocument(name, failback string, data []byte) (*Document, error) {
	return decodeDoc(name, failback, data)
}

// DecodeEvent decodes one stored event of failback; an event that is not
// one of fbctl's, or of another failback, is an error.
func DecodeEvent(data []byte, failback string) (Event, error) { return decodeEvent(data, failback) }
