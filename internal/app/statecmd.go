package app

// fbctl state list|show|unlock|migrate: the administration of the policy's
// state store. These commands read the policy only for its state block
// (and, for list, its failback names): no check or target is built, so no
// provider secret is needed.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/policy"
)

// StateListOptions are the options of `fbctl state list`.
type StateListOptions struct {
	Global *Global
}

// StateShowOptions are the options of `fbctl state show NAME`.
type StateShowOptions struct {
	Global *Global
	Name   string
}

// StateUnlockOptions are the options of `fbctl state unlock NAME LOCK_ID`.
type StateUnlockOptions struct {
	Global *Global
	Name   string
	// LockID is the holder's run id, as status and state list show it:
	// giving it is the confirmation, so no prompt is needed.
	LockID string
	Reason string
}

// StateMigrateOptions are the options of `fbctl state migrate --from DIR`.
type StateMigrateOptions struct {
	Global *Global
	// From is the file store directory to copy from.
	From string
}

// MaxReasonLen bounds a --reason of the state commands, in characters: it
// is recorded in the history and shown to others.
const MaxReasonLen = 1024

// MaxLockIDLen bounds a LOCK_ID: run ids are 12 hex digits.
const MaxLockIDLen = 128

// migrateLease is the lease of the source lock a migration holds while it
// copies one failback; it is renewed while held.
const migrateLease = 5 * time.Minute

// policyStore is the policy, loaded for its state block, and its store.
type policyStore struct {
	policy *policy.Policy
	store  state.Store
	where  string
	redact func(string) string
}

// openPolicyStore loads the policy in policy.ModeState, as status does,
// and opens its store: no failback is built. Policy problems are printed
// and exit 3.
func (g *Global) openPolicyStore(streams IO) (*policyStore, error) {
	res := g.loadPolicy(streams, policy.ModeState)
	policy.SortDiagnostics(res.diags)
	if g.JSON() && res.diags.HasErrors() {
		if err := g.writeData(streams.Out, newDiagnosticsDoc(res.diags, res.loader.Files())); err != nil {
			return nil, err
		}
	} else {
		printDiagnostics(g, streams, res.diags, res.loader.Files())
	}
	if res.diags.HasErrors() {
		return nil, silent(ExitInvalid)
	}
	store, err := g.openStore(res.policy.State)
	if err != nil {
		return nil, fmt.Errorf("opening the state store: %w", err)
	}
	where := stateLocation(res.policy.State)
	if fst, ok := store.(*state.FileStore); ok {
		where = fst.Dir()
	}
	return &policyStore{policy: res.policy, store: store, where: where, redact: res.loader.Redact}, nil
}

// policyNames are the names of the policy's failbacks, sorted.
func (ps *policyStore) policyNames() []string {
	var out []string
	for _, fb := range ps.policy.Failbacks {
		out = append(out, fb.Name)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// storeType names the store's kind for messages ("file", "s3").
func (ps *policyStore) storeType() string {
	if t := ps.policy.State.Type; t != "" {
		return t
	}
	return "file"
}

// stateEntryJSON is one failback in `state list -o json`.
type stateEntryJSON struct {
	Name string `json:"name"`
	// InPolicy is false for a failback the store holds and the policy no
	// longer names; InStore is false for a policy failback with no state
	// yet (its first run creates it). Version is the document's, 0 when
	// there is none (a failback with only a history or a lock).
	InPolicy bool        `json:"in_policy"`
	InStore  bool        `json:"in_store"`
	Version  int64       `json:"version"`
	Phase    state.Phase `json:"phase,omitempty"`
	Share    *percent    `json:"share,omitempty"`
	LastRun  *time.Time  `json:"last_run,omitempty"`
	Lock     *lockJSON   `json:"lock,omitempty"`
	// Error says why the failback's document or lock could not be read.
	Error string `json:"error,omitempty"`
}

// stateListDoc is the document of `state list -o json`; -o jsonl prints
// one line per failback.
type stateListDoc struct {
	FormatVersion string           `json:"format_version"`
	Store         string           `json:"store"`
	Failbacks     []stateEntryJSON `json:"failbacks"`
}

func (d stateListDoc) jsonLines() []any {
	out := make([]any, len(d.Failbacks))
	for i, f := range d.Failbacks {
		out[i] = struct {
			FormatVersion string `json:"format_version"`
			stateEntryJSON
		}{d.FormatVersion, f}
	}
	return out
}

// StateList prints every failback of the store and of the policy: its
// phase, share and lock holder. A failback whose state cannot be read is
// listed with the error, the others still are, and the command exits 1.
func StateList(ctx context.Context, streams IO, opts StateListOptions) error {
	g := opts.Global
	ps, err := g.openPolicyStore(streams)
	if err != nil {
		return err
	}
	lister, ok := ps.store.(state.Lister)
	if !ok {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("the %s state store cannot list its failbacks", ps.storeType())}
	}
	stored, err := lister.Failbacks(ctx)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	inPolicy := ps.policyNames()
	names := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(stored), inPolicy...))))
	doc := stateListDoc{FormatVersion: FormatVersion, Store: ps.where, Failbacks: []stateEntryJSON{}}
	failed := 0
	for _, name := range names {
		e := stateEntryJSON{Name: name, InPolicy: slices.Contains(inPolicy, name), InStore: slices.Contains(stored, name)}
		d, err := ps.store.Load(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e.Error = ps.redact(err.Error())
			failed++
		} else if d.Version > 0 {
			share := percent(d.Share)
			e.Version, e.Phase, e.Share = d.Version, d.Phase, &share
			if !d.LastRun.IsZero() {
				t := d.LastRun.UTC()
				e.LastRun = &t
			}
		}
		holder, err := readHolder(ctx, ps.store, name)
		if err != nil {
			if e.Error == "" {
				e.Error = ps.redact(err.Error())
				failed++
			}
		} else if holder != nil {
			e.Lock = newLockJSON(holder)
		}
		doc.Failbacks = append(doc.Failbacks, e)
	}
	if g.JSON() {
		if err := g.writeData(streams.Out, doc); err != nil {
			return err
		}
	} else if err := printStateList(streams, g, doc); err != nil {
		return err
	}
	if failed > 0 {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("the state of %s could not be read", plural(failed, "failback", "failbacks"))}
	}
	return nil
}

// readHolder returns the failback's lock holder, or nil when it is free
// or the store cannot say.
func readHolder(ctx context.Context, st state.Store, name string) (*state.Holder, error) {
	lr, ok := st.(state.LockReader)
	if !ok {
		return nil, nil
	}
	return lr.LockHolder(ctx, name)
}

func newLockJSON(h *state.Holder) *lockJSON {
	return &lockJSON{Owner: h.Owner, Host: h.Host, PID: h.PID, RunID: h.RunID,
		Acquired: h.Acquired.UTC(), Expires: h.Expiry().UTC(), Stale: h.Stale}
}

// fmtLock is a lock holder for a table cell: who, the run id to give
// `state unlock`, and until when (or why the next run takes it over).
func fmtLock(l *lockJSON, now time.Time) string {
	if l == nil {
		return "-"
	}
	s := fmt.Sprintf("%s@%s run %s", l.Owner, l.Host, l.RunID)
	if l.Stale != "" {
		return s + ", stale: " + l.Stale
	}
	return s + ", until " + fmtUntil(l.Expires, now)
}

func printStateList(streams IO, g *Global, doc stateListDoc) error {
	now := g.now()
	tw := newTable(streams.Out)
	tw.row("FAILBACK", "PHASE", "SHARE", "VERSION", "LOCK", "NOTE")
	for _, e := range doc.Failbacks {
		phase, share, version := "-", "-", "-"
		if e.Version > 0 {
			phase, share, version = string(e.Phase), fmtPercent(*e.Share)+"%", fmt.Sprint(e.Version)
		}
		var notes []string
		if !e.InPolicy {
			notes = append(notes, "not in the policy")
		}
		switch {
		case e.Error != "":
		case !e.InStore:
			notes = append(notes, "no state yet")
		case e.Version == 0:
			notes = append(notes, "no document")
		}
		if e.Error != "" {
			notes = append(notes, "unreadable (below)")
		}
		tw.row(e.Name, phase, share, version, fmtLock(e.Lock, now), strings.Join(notes, ", "))
	}
	if err := tw.flush(); err != nil {
		return err
	}
	for _, e := range doc.Failbacks {
		if e.Error != "" {
			fmt.Fprintf(streams.Out, "%s: error: %s\n", printable(e.Name), printable(e.Error))
		}
	}
	return nil
}

// knownFailback checks a failback name given on the command line: a valid
// name that the policy or the store knows. Anything else is exit 3.
func (ps *policyStore) knownFailback(ctx context.Context, name string) error {
	if err := state.CheckName(name); err != nil {
		return Invalid("%s", strings.TrimPrefix(err.Error(), "state: "))
	}
	if slices.Contains(ps.policyNames(), name) {
		return nil
	}
	lister, ok := ps.store.(state.Lister)
	if !ok {
		return nil
	}
	stored, err := lister.Failbacks(ctx)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if slices.Contains(stored, name) {
		return nil
	}
	known := slices.Compact(slices.Sorted(slices.Values(append(stored, ps.policyNames()...))))
	list := "none"
	if len(known) > 0 {
		list = strings.Join(known, ", ")
	}
	return Invalid("no failback named %q in the policy or in the state store at %s; known: %s", name, ps.where, list)
}

// StateShow prints a failback's stored document: with -o json exactly as
// the document's JSON (shares in basis points, as stored), as text its
// main fields and the lock holder.
func StateShow(ctx context.Context, streams IO, opts StateShowOptions) error {
	g := opts.Global
	ps, err := g.openPolicyStore(streams)
	if err != nil {
		return err
	}
	if err := ps.knownFailback(ctx, opts.Name); err != nil {
		return err
	}
	d, err := ps.store.Load(ctx, opts.Name)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	redactDocument(d, ps.redact)
	if g.JSON() {
		return g.writeData(streams.Out, d)
	}
	holder, herr := readHolder(ctx, ps.store, opts.Name)
	now := g.now()
	tw := newTable(streams.Out)
	name := d.Failback
	if !slices.Contains(ps.policyNames(), name) {
		name += " (not in the policy)"
	}
	tw.row("failback:", name)
	if d.Version == 0 {
		tw.row("version:", "0: no state yet (the first run creates it)")
	} else {
		tw.row("version:", fmt.Sprint(d.Version))
	}
	tw.row("phase:", fmt.Sprintf("%s since %s", d.Phase, fmtTimeValue(d.PhaseSince)))
	step := "-"
	if d.Step >= 0 {
		step = fmt.Sprintf("%d (counted from 1), since %s", d.Step+1, fmtTimeValue(d.StepSince))
	}
	tw.row("share:", fmtPercent(percent(d.Share))+"%")
	tw.row("step:", step)
	tw.row("cycle:", fmt.Sprint(d.Cycle))
	tw.row("last run:", fmtTimeValue(d.LastRun))
	if !d.CooldownUntil.IsZero() {
		tw.row("cooldown:", "until "+fmtTimeValue(d.CooldownUntil))
	}
	if h := d.Hold; h != nil {
		tw.row("hold:", fmt.Sprintf("by %s at %s: %s", h.By, fmtTimeValue(h.At), orDash(h.Reason)))
	}
	if in := d.Intent; in != nil {
		tw.row("intent:", fmt.Sprintf("%s%% -> %s%% by run %s since %s (a change not finished)",
			fmtPercent(percent(in.From)), fmtPercent(percent(in.To)), in.RunID, fmtTimeValue(in.Started)))
	}
	for _, a := range d.Approvals {
		tw.row("approval:", fmt.Sprintf("to %s%% in cycle %d by %s at %s", fmtPercent(percent(a.To)), a.Cycle, a.By, fmtTimeValue(a.At)))
	}
	var observed []string
	for _, t := range slices.Sorted(maps.Keys(d.Observed)) {
		observed = append(observed, fmt.Sprintf("%s=%s%%", t, fmtPercent(percent(d.Observed[t]))))
	}
	tw.row("observed:", strings.Join(observed, " "))
	for _, c := range slices.Sorted(maps.Keys(d.Evidence)) {
		ev := d.Evidence[c]
		verdict := "failing"
		if ev.LastHealthy {
			verdict = "passing"
		}
		tw.row("evidence:", fmt.Sprintf("%s: %s at %s (%d successes, %d failures in a row) %s",
			c, verdict, fmtTimeValue(ev.LastProbe), ev.Successes, ev.Failures, ev.LastDetail))
	}
	switch {
	case herr != nil:
		tw.row("lock:", "unreadable: "+herr.Error())
	case holder == nil:
		if _, ok := ps.store.(state.LockReader); ok {
			tw.row("lock:", "free")
		} else {
			tw.row("lock:", "unknown (the store cannot say)")
		}
	default:
		tw.row("lock:", fmtLock(newLockJSON(holder), now))
	}
	if err := tw.flush(); err != nil {
		return err
	}
	if herr != nil {
		return &ExitError{Code: ExitFailure, Err: herr}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtTimeValue(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// redactDocument removes the policy's sensitive values from the free text
// of a document (reasons, probe details), as history does for reasons: a
// check's detail may quote a URL that carries a token.
func redactDocument(d *state.Document, redact func(string) string) {
	if redact == nil {
		return
	}
	red := func(h *state.Hold) {
		if h != nil {
			h.By, h.Reason = redact(h.By), redact(h.Reason)
		}
	}
	red(d.Hold)
	if d.Intent != nil {
		d.Intent.Reason = redact(d.Intent.Reason)
		red(d.Intent.Hold)
	}
	for i := range d.Approvals {
		d.Approvals[i].By, d.Approvals[i].Reason = redact(d.Approvals[i].By), redact(d.Approvals[i].Reason)
	}
	for k, ev := range d.Evidence {
		ev.LastDetail = redact(ev.LastDetail)
		d.Evidence[k] = ev
	}
}

// checkText says what is wrong with a --reason or a LOCK_ID, without
// echoing a value that may carry terminal escapes.
func checkText(s string, most int) error {
	if !utf8.ValidString(s) {
		return errors.New("it is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > most {
		return fmt.Errorf("it is %d characters long; the limit is %d", n, most)
	}
	for i, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("character %d is %U, which is not printable (control characters and newlines are refused)", utf8.RuneCountInString(s[:i])+1, r)
		}
	}
	return nil
}

// stateUnlockDoc is the document of `state unlock -o json`.
type stateUnlockDoc struct {
	FormatVersion string    `json:"format_version"`
	Command       string    `json:"command"`
	Failback      string    `json:"failback"`
	Unlocked      *lockJSON `json:"unlocked"`
	// Live is true when the lock removed had not expired and its holder
	// was not known to be gone: if it still runs, its next write fails.
	Live  bool   `json:"live"`
	Actor string `json:"actor"`
}

// StateUnlock removes a failback's lock when LOCK_ID is its holder's run
// id, and records who did it and why in the history. The lock's id is the
// confirmation: a lock that changed hands since the person read it is
// exit 4 naming its holder, and no lock at all is exit 7.
func StateUnlock(ctx context.Context, streams IO, opts StateUnlockOptions) error {
	g := opts.Global
	if err := state.CheckName(opts.Name); err != nil {
		return Invalid("%s", strings.TrimPrefix(err.Error(), "state: "))
	}
	if opts.LockID == "" {
		return Invalid("invalid LOCK_ID: it is empty; give the lock holder's run id, as fbctl status or fbctl state list shows it")
	}
	if err := checkText(opts.LockID, MaxLockIDLen); err != nil {
		return Invalid("invalid LOCK_ID: %s", err)
	}
	if err := checkText(opts.Reason, MaxReasonLen); err != nil {
		return Invalid("invalid --reason: %s", err)
	}
	ps, err := g.openPolicyStore(streams)
	if err != nil {
		return err
	}
	u, ok := ps.store.(state.Unlocker)
	if !ok {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("the %s state store cannot remove a lock by hand", ps.storeType())}
	}
	now := g.now()
	actor := g.actorName()
	held, err := u.ForceUnlock(ctx, opts.Name, opts.LockID, actor, opts.Reason)
	var idErr *state.LockIDError
	switch {
	case errors.As(err, &idErr):
		h := idErr.Holder
		return &ExitError{Code: ExitLocked, Err: fmt.Errorf("failback %q is locked by %s@%s (pid %d, run %s) since %s, not by run %s; nothing was unlocked: check who holds it now, and give that run id only if it is really gone",
			opts.Name, h.Owner, h.Host, h.PID, h.RunID, h.Acquired.UTC().Format(time.RFC3339), opts.LockID)}
	case errors.Is(err, state.ErrNotLocked):
		return &ExitError{Code: ExitRefused, Err: fmt.Errorf("failback %q is not locked; nothing was unlocked", opts.Name)}
	case err != nil:
		return &ExitError{Code: ExitFailure, Err: err}
	}
	live := state.StaleReason(*held, now) == ""
	lj := newLockJSON(&state.Holder{LockInfo: *held, Stale: state.StaleReason(*held, now)})
	if live {
		fmt.Fprintf(streams.ErrOut, "Warning: the lock of run %s had not expired: if that run is still going, its next write of the state fails and it stops before touching a target\n", printable(held.RunID))
	}
	if g.JSON() {
		return g.writeData(streams.Out, stateUnlockDoc{FormatVersion: FormatVersion, Command: "state unlock",
			Failback: opts.Name, Unlocked: lj, Live: live, Actor: actor})
	}
	fmt.Fprintf(streams.Out, "%s: unlocked: removed the lock of %s@%s (pid %d, run %s, since %s); recorded in the history as an unlock by %s\n",
		opts.Name, printable(held.Owner), printable(held.Host), held.PID, printable(held.RunID),
		held.Acquired.UTC().Format(time.RFC3339), printable(actor))
	return nil
}

// Outcomes of one failback in `state migrate`.
const (
	migrateDone    = "migrated"
	migrateAlready = "already_migrated"
	migrateRefused = "refused" // the target holds other state: exit 7
	migrateLocked  = "locked"  // a run holds the source lock: exit 4
	migrateError   = "error"   // the source or the target cannot be read or written: exit 1
)

// migrateJSON is one failback in `state migrate -o json`.
type migrateJSON struct {
	Name     string `json:"name"`
	InPolicy bool   `json:"in_policy"`
	Outcome  string `json:"outcome"`
	// Version is the document's version (0: the failback had only a
	// history); Events the number of events copied or already there.
	Version  int64    `json:"version"`
	Events   int      `json:"events"`
	Error    string   `json:"error,omitempty"`
	ExitCode ExitCode `json:"exit_code"`
}

// stateMigrateDoc is the document of `state migrate -o json`; -o jsonl
// prints one line per failback.
type stateMigrateDoc struct {
	FormatVersion string        `json:"format_version"`
	Command       string        `json:"command"`
	From          string        `json:"from"`
	To            string        `json:"to"`
	ExitCode      ExitCode      `json:"exit_code"`
	Failbacks     []migrateJSON `json:"failbacks"`
}

func (d stateMigrateDoc) jsonLines() []any {
	out := make([]any, len(d.Failbacks))
	for i, f := range d.Failbacks {
		out[i] = struct {
			FormatVersion string `json:"format_version"`
			Command       string `json:"command"`
			migrateJSON
		}{d.FormatVersion, d.Command, f}
	}
	return out
}

// StateMigrate copies the documents and histories of the file store in
// From into the policy's store, one failback at a time under the source's
// lock (a failback a run holds is not copied: exit 4), never overwriting
// (a target that holds other state for a failback is exit 7, and nothing
// of that failback is written). Running it again changes nothing and says
// "already migrated"; it also finishes a migration that was interrupted.
func StateMigrate(ctx context.Context, streams IO, opts StateMigrateOptions) error {
	g := opts.Global
	if opts.From == "" {
		return Invalid("state migrate needs --from DIR, the file store directory to copy from")
	}
	from, err := filepath.Abs(opts.From)
	if err != nil {
		return Invalid("invalid --from %q: %v", opts.From, err)
	}
	fi, err := os.Stat(from)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Invalid("invalid --from: %s does not exist", from)
	case err != nil:
		return Invalid("invalid --from: %s", unwrapPathErr(err))
	case !fi.IsDir():
		return Invalid("invalid --from: %s is not a directory", from)
	}
	ps, err := g.openPolicyStore(streams)
	if err != nil {
		return err
	}
	if fst, ok := ps.store.(*state.FileStore); ok {
		if ti, err := os.Stat(fst.Dir()); err == nil && os.SameFile(fi, ti) {
			return Invalid("invalid --from: %s is the policy's state store itself", from)
		}
	}
	dst, ok := ps.store.(state.Importer)
	if !ok {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("the %s state store cannot import state", ps.storeType())}
	}
	src, err := state.OpenFile(from, state.FileOptions{Now: g.now})
	if err != nil {
		return Invalid("invalid --from: %v", err)
	}
	names, err := src.Failbacks(ctx)
	if err != nil {
		return &ExitError{Code: ExitFailure, Err: err}
	}
	if len(names) == 0 {
		return Invalid("invalid --from: %s holds no fbctl state (no NAME.json, NAME.history.jsonl or NAME.lock)", from)
	}
	inPolicy := ps.policyNames()
	doc := stateMigrateDoc{FormatVersion: FormatVersion, Command: "state migrate", From: from, To: ps.where, Failbacks: []migrateJSON{}}
	host, _ := os.Hostname()
	holder := state.LockInfo{Owner: g.actorName(), Host: host, PID: os.Getpid()}
	code := ExitOK
	failed := 0
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		m := migrateOne(ctx, src, ps.store, dst, name, holder, g.now)
		m.InPolicy = slices.Contains(inPolicy, name)
		if m.Error != "" {
			m.Error = ps.redact(m.Error)
		}
		if m.ExitCode != ExitOK {
			failed++
			code = worst(code, m.ExitCode)
		}
		doc.Failbacks = append(doc.Failbacks, m)
		if !g.JSON() {
			fmt.Fprintln(streams.Out, migrateLine(m))
		}
	}
	doc.ExitCode = code
	if g.JSON() {
		if err := g.writeData(streams.Out, doc); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &ExitError{Code: code, Err: fmt.Errorf("%s of %d not migrated to %s (see above); run the command again once the cause is fixed", plural(failed, "failback", "failbacks"), len(names), ps.where)}
	}
	return nil
}

// migrateOne copies one failback under the source's lock.
func migrateOne(ctx context.Context, src *state.FileStore, dstStore state.Store, dst state.Importer, name string, holder state.LockInfo, now func() time.Time) migrateJSON {
	m := migrateJSON{Name: name}
	fail := func(outcome string, code ExitCode, err error) migrateJSON {
		m.Outcome, m.ExitCode, m.Error = outcome, code, err.Error()
		return m
	}
	holder.RunID = "migrate-" + randomID()
	holder.Expires = now().Add(migrateLease)
	lock, err := src.Lock(ctx, name, holder)
	var locked *state.LockedError
	switch {
	case errors.As(err, &locked):
		return fail(migrateLocked, ExitLocked, fmt.Errorf("%w: a run is at work on it; migrate again once it is done", err))
	case err != nil:
		return fail(migrateError, ExitFailure, err)
	}
	defer lock.Unlock()
	doc, err := src.Load(ctx, name)
	if err != nil {
		return fail(migrateError, ExitFailure, err)
	}
	events, err := src.History(ctx, name)
	if err != nil {
		return fail(migrateError, ExitFailure, err)
	}
	m.Version, m.Events = doc.Version, len(events)
	// What the target holds before, to tell a copy from one already made.
	before, err := dstStore.Load(ctx, name)
	if err != nil {
		return fail(migrateError, ExitFailure, err)
	}
	beforeEvents, err := dstStore.History(ctx, name)
	if err != nil {
		return fail(migrateError, ExitFailure, err)
	}
	if err := dst.Import(ctx, doc, events); err != nil {
		if errors.Is(err, state.ErrExists) {
			return fail(migrateRefused, ExitRefused, fmt.Errorf("the target already holds other state for %s (%d events, document version %d): %w", name, len(beforeEvents), before.Version, err))
		}
		return fail(migrateError, ExitFailure, err)
	}
	m.Outcome = migrateDone
	if before.Version == doc.Version && len(beforeEvents) == len(events) {
		m.Outcome = migrateAlready
	}
	// Unlock explicitly so that a failure to release the source's lock
	// is seen (the defer then does nothing).
	if err := lock.Unlock(); err != nil {
		return fail(migrateError, ExitFailure, fmt.Errorf("copied, but releasing the lock in the source: %w", err))
	}
	return m
}

func migrateLine(m migrateJSON) string {
	name := printable(m.Name)
	if !m.InPolicy {
		name += " (not in the policy)"
	}
	what := fmt.Sprintf("document version %d and %s", m.Version, plural(m.Events, "event", "events"))
	if m.Version == 0 {
		what = "no document, " + plural(m.Events, "event", "events")
	}
	switch m.Outcome {
	case migrateDone:
		return fmt.Sprintf("%s: migrated: %s", name, what)
	case migrateAlready:
		return fmt.Sprintf("%s: already migrated: the store holds the same %s", name, what)
	}
	return fmt.Sprintf("%s: %s: %s", name, strings.ReplaceAll(m.Outcome, "_", " "), printable(m.Error))
}

func randomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
