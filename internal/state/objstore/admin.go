package objstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/fbctl/fbctl/internal/state"
)

var (
	_ state.Lister   = (*Store)(nil)
	_ state.Unlocker = (*Store)(nil)
	_ state.Importer = (*Store)(nil)
)

// maxFailbacks bounds a listing of the store's failbacks: a listing is
// input too.
const maxFailbacks = 1 << 20

// Failbacks lists the failbacks under the prefix: one common prefix per
// failback. A prefix that is not a valid failback name is skipped.
func (s *Store) Failbacks(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var names []string
	err := s.b.List(ctx, s.prefix, "/", func(e Entry) error {
		if !e.Dir {
			return nil // an object beside the failbacks: not ours
		}
		name := strings.TrimSuffix(strings.TrimPrefix(e.Key, s.prefix), "/")
		if state.CheckName(name) != nil {
			return nil
		}
		if len(names) >= maxFailbacks {
			return refuse(fmt.Errorf("%s: more than %d failbacks under %s", s.label, maxFailbacks, s.URL(s.prefix)))
		}
		names = append(names, name)
		return nil
	})
	var refused *listRefusal
	if errors.As(err, &refused) {
		return nil, refused.err
	}
	if err != nil {
		return nil, s.wrap("listing", s.prefix, err)
	}
	sort.Strings(names)
	return names, nil
}

// ForceUnlock deletes the failback's lock if its run id is runID. It
// fences first (the document's version advances), so a holder still
// running cannot save what it loaded before; then deletes the lock on its
// exact tag (a renewal in between only changes the tag: the id is checked
// again); then records the unlock.
func (s *Store) ForceUnlock(ctx context.Context, failback, runID, actor, reason string) (*state.LockInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := state.CheckName(failback); err != nil {
		return nil, err
	}
	key := s.lockKey(failback)
	for attempt := range lockAttempts {
		held, tag, err := s.readLock(ctx, failback)
		if err != nil {
			return nil, err
		}
		if held == nil {
			return nil, fmt.Errorf("%s: %s: failback %q: %w", s.label, s.URL(key), failback, state.ErrNotLocked)
		}
		if held.RunID != runID {
			return nil, &state.LockIDError{Failback: failback, Want: runID, Holder: *held}
		}
		if attempt == 0 {
			if err := s.fence(ctx, failback); err != nil {
				return nil, err
			}
		}
		err = s.del(ctx, key, tag)
		if errors.Is(err, ErrPrecondition) || errors.Is(err, ErrNotFound) {
			continue // renewed or released meanwhile: read it again
		}
		if err != nil {
			return nil, s.wrap("deleting", key, err)
		}
		ev := state.Event{ID: state.NewEventID(), Time: s.now(), Failback: failback, Type: "unlock", Actor: actor,
			Reason: unlockReason(*held, reason)}
		if err := s.Append(ctx, failback, ev); err != nil {
			return held, fmt.Errorf("%s: the lock was removed, but recording it failed: %w", s.label, err)
		}
		return held, nil
	}
	return nil, fmt.Errorf("%s: %s kept changing while being unlocked; try again", s.label, s.URL(key))
}

// unlockReason is the history's account of a forced unlock.
func unlockReason(held state.LockInfo, reason string) string {
	r := fmt.Sprintf("lock of %s@%s pid %d (run %s) removed by hand", held.Owner, held.Host, held.PID, held.RunID)
	if reason != "" {
		r += ": " + reason
	}
	return r
}

// Import writes the failback's history, then its document, each object
// create-only. An object already there with the same bytes is a previous
// import's (an interrupted migration runs again to the end); any other is
// state.ErrExists. The document goes last: a failback whose document is
// in the store was imported whole, so its history must then be exactly
// these events. A document of Version 0 (a failback never saved in its
// old store, which had only a history) imports the events alone, and
// conflicts with a stored document. Everything is checked before the
// first write.
func (s *Store) Import(ctx context.Context, doc *state.Document, events []state.Event) error {
	if doc == nil {
		return fmt.Errorf("%s: Import of a nil document", s.label)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fb := doc.Failback
	if err := state.CheckName(fb); err != nil {
		return err
	}
	var docData []byte
	if doc.Version > 0 {
		data, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return fmt.Errorf("%s: encoding the document of failback %q: %w", s.label, fb, err)
		}
		docData = append(data, '\n')
		if _, err := state.DecodeDocument(s.URL(s.docKey(fb)), fb, docData); err != nil {
			return fmt.Errorf("%s: importing failback %q: %w", s.label, fb, err)
		}
	} else if doc.SchemaVersion != state.SchemaVersion {
		return fmt.Errorf("%s: importing failback %q: schema version %d; this build writes %d", s.label, fb, doc.SchemaVersion, state.SchemaVersion)
	}
	evData := make([][]byte, len(events))
	for i, ev := range events {
		data, err := json.Marshal(&ev)
		if err != nil {
			return fmt.Errorf("%s: encoding an event of failback %q: %w", s.label, fb, err)
		}
		if _, err := state.DecodeEvent(data, fb); err != nil {
			return fmt.Errorf("%s: importing failback %q: event %d: %w", s.label, fb, i+1, err)
		}
		evData[i] = data
	}
	// Refuse before writing anything when the store holds another
	// document, or a history that is not a prefix of this one (exactly
	// this one, when the document is there: it was imported whole).
	cur, _, found, err := s.get(ctx, s.docKey(fb), state.MaxDocumentSize)
	if err != nil {
		return err
	}
	if found && (docData == nil || !bytes.Equal(cur, docData)) {
		return fmt.Errorf("%w: %s holds another document", state.ErrExists, s.URL(s.docKey(fb)))
	}
	entries, err := s.listHistory(ctx, fb)
	if err != nil {
		return err
	}
	if len(entries) > len(events) || found && len(entries) != len(events) {
		return fmt.Errorf("%w: %s holds %d events, the source %d", state.ErrExists, s.URL(s.histDir(fb)), len(entries), len(events))
	}
	for i, e := range entries {
		if e.seq != uint64(i+1) {
			return fmt.Errorf("%w: %s is not event %d of an import", state.ErrExists, s.URL(e.key), i+1)
		}
		if data, _, ok, err := s.get(ctx, e.key, maxEventSize); err != nil {
			return err
		} else if !ok || !bytes.Equal(data, evData[i]) {
			return fmt.Errorf("%w: %s is another event than the source's %d", state.ErrExists, s.URL(e.key), i+1)
		}
	}
	for i := len(entries); i < len(events); i++ {
		if err := s.create(ctx, s.eventKey(fb, uint64(i+1)), evData[i]); err != nil {
			return err
		}
	}
	s.seqs.Delete(fb)
	if docData == nil {
		return nil
	}
	return s.create(ctx, s.docKey(fb), docData)
}

// create writes key only if absent; an object with the same bytes is
// success, another one state.ErrExists.
func (s *Store) create(ctx context.Context, key string, data []byte) error {
	_, err := s.put(ctx, key, data, "")
	if err == nil {
		return nil
	}
	if !conditionFailed(err) {
		return s.wrap("writing", key, err)
	}
	if _, ok := s.landed(ctx, key, data); ok {
		return nil
	}
	return fmt.Errorf("%w: %s holds other content", state.ErrExists, s.URL(key))
}
