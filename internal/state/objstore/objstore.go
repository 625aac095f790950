// Package objstore is the state store on object storage (state "s3",
// state "gcs"): fbctl's state in a bucket, shared by every host and CI
// runner that reaches it, with every write conditional so that the
// service itself arbitrates races. It keeps the contract of state.Store
// (see internal/state), as the conformance suite (internal/state/storetest)
// checks on each bucket kind; the kinds differ only in their Bucket
// (internal/state/s3store, internal/state/gcsstore).
//
// Layout, for a failback NAME under the prefix P:
//
//	P/NAME/state.json                 the Document
//	P/NAME/lock.json                  the lock holder (state.LockInfo); present while held
//	P/NAME/history/<20 digits>.json   one event per object, by sequence number
//
// How the contract is kept, with a tag being S3's ETag or GCS's
// generation:
//
//   - Save is a compare-and-swap on the tag read: a new document is
//     written create-only, a loaded one on the tag Load saw. A failed
//     condition is state.ErrConflict, as in the file store. The version
//     inside the document only grows, so a tag (an ETag is the MD5 of the
//     content) never comes back: no ABA.
//
//   - The lock object is created only if absent. An expired lock is taken
//     over by a write conditioned on its exact tag, then the takeover is
//     recorded in the history; renewals are writes on the holder's own
//     tag; Unlock deletes on that tag, so it never removes a successor's
//     lock.
//
//   - History events are create-only objects keyed by a per-failback
//     sequence number, not by time (hosts' clocks differ), so listing
//     order is append order; two appenders racing for one number get one
//     winner, and the loser takes the next.
//
//   - Everything read is input: objects are read with a size limit
//     (state.MaxDocumentSize for documents and locks, maxEventSize per
//     event, state.MaxHistorySize per history), decoded by the same checks
//     as the file store's, and an object fbctl did not write is an error
//     naming it (s3://BUCKET/KEY, gs://BUCKET/KEY).
//
//   - A takeover, and a person's `fbctl state unlock`, fence the old
//     holder: the document's version is advanced with a CAS, so the old
//     holder's next Save fails.
package objstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fbctl/fbctl/internal/state"
)

// Options configures New.
type Options struct {
	Bucket Bucket
	// Label starts every error: "state s3", "state gcs".
	Label string
	// Prefix is the key prefix of every object ("" for the bucket's
	// root); a missing trailing slash is added.
	Prefix string
	// Now is the clock of new documents, lock expiry and event times; nil
	// means time.Now.
	Now func() time.Time
	// Ticker starts a held lock's renewal ticks (as state.FileOptions);
	// nil means a time.Ticker.
	Ticker func(d time.Duration) (ticks <-chan time.Time, stop func())
}

// maxEventSize bounds one history object: an event is a few hundred
// bytes; anything far larger was not written by fbctl.
const maxEventSize = 64 << 10

// maxHistoryEvents bounds the objects of one history, empty ones included,
// as state.MaxHistorySize bounds their bytes: a listing is input too.
const maxHistoryEvents = 1 << 20

// Store is the object store. Safe for concurrent use.
type Store struct {
	b      Bucket
	label  string // "state s3": the start of every error
	prefix string
	now    func() time.Time
	ticker func(time.Duration) (<-chan time.Time, func())

	// etags remembers, per failback, the ETag of the document version
	// last loaded or saved here, for the If-Match of the next Save.
	etags sync.Map // failback -> docTag
	// seqs remembers, per failback, the next history sequence number to
	// try, so that a long-lived store does not list before each Append.
	seqs sync.Map // failback -> uint64
}

type docTag struct {
	version int64
	etag    string
}

var (
	_ state.Store      = (*Store)(nil)
	_ state.LockReader = (*Store)(nil)
)

// New returns the store. It makes no request: a missing bucket or
// missing permissions show in the first call.
func New(opts Options) (*Store, error) {
	label := opts.Label
	if label == "" {
		label = "state"
	}
	if opts.Bucket == nil {
		return nil, errors.New(label + ": no bucket")
	}
	prefix := strings.TrimPrefix(opts.Prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	ticker := opts.Ticker
	if ticker == nil {
		ticker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	return &Store{b: opts.Bucket, label: label, prefix: prefix, now: now, ticker: ticker}, nil
}

func (s *Store) docKey(fb string) string  { return s.prefix + fb + "/state.json" }
func (s *Store) lockKey(fb string) string { return s.prefix + fb + "/lock.json" }
func (s *Store) histDir(fb string) string { return s.prefix + fb + "/history/" }
func (s *Store) eventKey(fb string, seq uint64) string {
	return fmt.Sprintf("%s%020d.json", s.histDir(fb), seq)
}

// URL names an object in errors: s3://BUCKET/KEY.
func (s *Store) URL(key string) string { return s.b.URL(key) }

// conditionFailed: the object changed (or appeared, or went) since it was
// read.
func conditionFailed(err error) bool { return errors.Is(err, ErrPrecondition) }

// wrap names the object in an error of the bucket's API. Credentials
// never appear: the SDKs' errors carry codes, messages and request ids
// only.
func (s *Store) wrap(op, key string, err error) error {
	return fmt.Errorf("%s: %s %s: %w", s.label, op, s.URL(key), err)
}

// get reads key, at most limit bytes; found is false when there is none.
func (s *Store) get(ctx context.Context, key string, limit int64) (data []byte, tag string, found bool, err error) {
	data, tag, found, err = s.b.Get(ctx, key, limit)
	if err != nil {
		return nil, "", false, s.wrap("reading", key, err)
	}
	if !found {
		return nil, "", false, nil
	}
	if int64(len(data)) > limit {
		return nil, "", false, fmt.Errorf("%s: %s is larger than %d bytes, more than fbctl ever writes there; move it aside after checking what it is", s.label, s.URL(key), limit)
	}
	if tag == "" {
		// Without a tag no write can be conditioned on this read.
		return nil, "", false, fmt.Errorf("%s: reading %s: the answer has no version tag (ETag, generation); fbctl needs a store that returns them for its conditional writes", s.label, s.URL(key))
	}
	return data, tag, true, nil
}

// put writes key, on a condition: ifMatch a tag, or create-only when
// ifMatch is "". It returns the new tag.
func (s *Store) put(ctx context.Context, key string, data []byte, ifMatch string) (string, error) {
	return s.b.Put(ctx, key, data, ifMatch)
}

// del deletes key if its tag is still tag.
func (s *Store) del(ctx context.Context, key, tag string) error { return s.b.Delete(ctx, key, tag) }

// landed reports whether key holds exactly data, with its ETag: whether a
// conditional write that failed was in fact our own earlier attempt. The
// SDK retries a request whose answer was lost (a 5xx, a reset
// connection); when the first attempt landed, the retry fails its own
// condition. Our data is unique (a run id, a version, a time), so equal
// bytes are our write.
func (s *Store) landed(ctx context.Context, key string, data []byte) (string, bool) {
	cur, etag, found, err := s.get(ctx, key, int64(len(data)))
	if err != nil || !found || !bytes.Equal(cur, data) {
		return "", false
	}
	return etag, true
}

// Load returns the failback's document, or a new one (Version 0) when the
// bucket has none.
func (s *Store) Load(ctx context.Context, failback string) (*state.Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := state.CheckName(failback); err != nil {
		return nil, err
	}
	doc, etag, err := s.readDoc(ctx, failback)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return state.NewDocument(failback, s.now()), nil
	}
	s.etags.Store(failback, docTag{doc.Version, etag})
	return doc, nil
}

func (s *Store) readDoc(ctx context.Context, failback string) (*state.Document, string, error) {
	key := s.docKey(failback)
	data, etag, found, err := s.get(ctx, key, state.MaxDocumentSize)
	if err != nil || !found {
		return nil, "", err
	}
	doc, err := state.DecodeDocument(s.URL(key), failback, data)
	if err != nil {
		return nil, "", err
	}
	return doc, etag, nil
}

// Save stores doc if the stored document is still the one doc was loaded
// from (none, for Version 0), as Version+1, and sets doc.Version; else it
// returns an error matching state.ErrConflict and stores nothing.
func (s *Store) Save(ctx context.Context, doc *state.Document) error {
	if doc == nil {
		return errors.New(s.label + ": Save of a nil document")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := state.CheckName(doc.Failback); err != nil {
		return err
	}
	if doc.SchemaVersion != state.SchemaVersion {
		return fmt.Errorf("%s: document of failback %q has schema version %d; this build writes %d", s.label, doc.Failback, doc.SchemaVersion, state.SchemaVersion)
	}
	if doc.Version < 0 {
		return fmt.Errorf("%s: document of failback %q has negative version %d", s.label, doc.Failback, doc.Version)
	}
	key := s.docKey(doc.Failback)
	ifMatch := ""
	if doc.Version > 0 {
		tag, ok := s.etags.Load(doc.Failback)
		if t, _ := tag.(docTag); ok && t.version == doc.Version {
			ifMatch = t.etag
		} else {
			// Loaded elsewhere (another Store value): read the ETag now;
			// the write is still conditioned on the version compared.
			cur, etag, err := s.readDoc(ctx, doc.Failback)
			if err != nil {
				return err
			}
			if cur == nil {
				return fmt.Errorf("%w: %s was removed since version %d was loaded", state.ErrConflict, s.URL(key), doc.Version)
			}
			if cur.Version != doc.Version {
				return fmt.Errorf("%w: %s is at version %d, this document was loaded at version %d", state.ErrConflict, s.URL(key), cur.Version, doc.Version)
			}
			ifMatch = etag
		}
	}
	next := *doc
	next.Version = doc.Version + 1
	data, err := json.MarshalIndent(&next, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: encoding the document of failback %q: %w", s.label, doc.Failback, err)
	}
	data = append(data, '\n')
	etag, err := s.put(ctx, key, data, ifMatch)
	if conditionFailed(err) {
		if e, ok := s.landed(ctx, key, data); ok {
			etag, err = e, nil
		}
	}
	switch {
	case err == nil:
	case conditionFailed(err) && doc.Version == 0:
		return fmt.Errorf("%w: %s was created since this document was made", state.ErrConflict, s.URL(key))
	case conditionFailed(err):
		return fmt.Errorf("%w: %s changed since version %d was loaded", state.ErrConflict, s.URL(key), doc.Version)
	default:
		return s.wrap("writing", key, err)
	}
	s.etags.Store(doc.Failback, docTag{next.Version, etag})
	doc.Version = next.Version
	return nil
}

// lockAttempts bounds Lock's re-reads after losing a conditional write: a
// loss means someone else's write landed, which the next read sees.
const lockAttempts = 4

// Lock takes the failback's lock for info's holder (see
// state.PrepareLock for how info is completed). A live lock of another
// holder is a *state.LockedError; an expired one is taken over by a write
// conditioned on its ETag, and the takeover is recorded in the history.
// The returned lock (a state.RenewedLock) is renewed at a third of its
// lease until Unlock.
func (s *Store) Lock(ctx context.Context, failback string, info state.LockInfo) (state.Lock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	info, err := state.PrepareLock(failback, info, now)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(&info)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the lock of failback %q: %w", s.label, failback, err)
	}
	key := s.lockKey(failback)
	// The first attempt writes without reading: a free lock, the common
	// case, costs one request. Only a lost write reads who holds it.
	var held *state.LockInfo
	etag, why := "", ""
	for attempt := range lockAttempts {
		if attempt > 0 {
			raw, tag, found, err := s.get(ctx, key, state.MaxDocumentSize)
			if err != nil {
				return nil, err
			}
			if found && bytes.Equal(raw, data) {
				// Our own write, whose answer was lost and whose retry
				// by the SDK failed its condition: the lock is ours.
				return s.locked(ctx, failback, info, tag, held, why)
			}
			held, etag, why = nil, "", ""
			if found {
				if held, err = state.DecodeLock(s.URL(key), raw); err != nil {
					return nil, err
				}
				etag = tag
				if why = state.StaleReason(*held, now); why == "" {
					return nil, &state.LockedError{Failback: failback, Holder: *held}
				}
			}
		}
		newTag, err := s.put(ctx, key, data, etag)
		if conditionFailed(err) {
			continue // another write landed first: read it
		}
		if err != nil {
			return nil, s.wrap("writing", key, err)
		}
		return s.locked(ctx, failback, info, newTag, held, why)
	}
	// Every attempt lost a race: someone holds it now.
	held, _, err = s.readLock(ctx, failback)
	if err != nil {
		return nil, err
	}
	if held == nil {
		return nil, fmt.Errorf("%s: %s: the lock kept changing under %d attempts; try again", s.label, s.URL(key), lockAttempts)
	}
	return nil, &state.LockedError{Failback: failback, Holder: *held}
}

// locked completes a Lock whose write of the lock object (ETag etag)
// landed: it records a takeover of held, and starts the renewal.
func (s *Store) locked(ctx context.Context, failback string, info state.LockInfo, etag string, held *state.LockInfo, why string) (state.Lock, error) {
	newTag := etag
	key := s.lockKey(failback)
	l := &objLock{s: s, failback: failback, info: info, etag: newTag,
		stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}
	l.deadline.Store(info.Renewed.Add(info.Lease).UnixNano())
	if held != nil {
		// Recorded once the takeover is ours: a lost race records
		// nothing. A takeover that cannot be recorded is undone.
		// The fence comes first: it reads the document's version, which
		// orders the takeover's event after every event of the old
		// holder (see Append).
		if err := s.fence(ctx, failback); err != nil {
			s.del(context.WithoutCancel(ctx), key, newTag) //nolint:errcheck // best effort: it expires anyway
			return nil, err
		}
		ev := state.Event{ID: state.NewEventID(), Time: s.now(), RunID: info.RunID, Failback: failback, Type: "lock_takeover", Actor: info.Owner,
			Reason: fmt.Sprintf("lock of %s@%s pid %d (run %s) %s", held.Owner, held.Host, held.PID, held.RunID, why)}
		if err := s.Append(ctx, failback, ev); err != nil {
			s.del(context.WithoutCancel(ctx), key, newTag) //nolint:errcheck // best effort: it expires anyway
			return nil, fmt.Errorf("%s: recording the takeover of a stale lock: %w", s.label, err)
		}
	}
	ticks, stop := s.ticker(max(info.Lease/3, time.Millisecond))
	go l.renew(ticks, stop)
	return l, nil
}

// fence advances the stored document's version after a takeover, with a
// CAS on its ETag, so that the old holder's next Save (conditioned on the
// ETag it read before) fails with state.ErrConflict, however late it
// comes. A save of the old holder's that lands first is fenced by the
// next attempt.
func (s *Store) fence(ctx context.Context, failback string) error {
	key := s.docKey(failback)
	for range lockAttempts {
		cur, etag, err := s.readDoc(ctx, failback)
		if err != nil {
			return err
		}
		if cur == nil {
			s.etags.Delete(failback) // no version to order events by
			return nil
		}
		cur.Version++
		data, err := json.MarshalIndent(cur, "", "  ")
		if err != nil {
			return fmt.Errorf("%s: encoding the document of failback %q: %w", s.label, failback, err)
		}
		newTag, err := s.put(ctx, key, append(data, '\n'), etag)
		if conditionFailed(err) {
			continue
		}
		if err != nil {
			return s.wrap("fencing", key, err)
		}
		s.etags.Store(failback, docTag{cur.Version, newTag})
		return nil
	}
	return fmt.Errorf("%s: %s kept changing while the takeover fenced it; try again", s.label, s.URL(key))
}

// readLock reads the lock object and its ETag; nil when there is none.
func (s *Store) readLock(ctx context.Context, failback string) (*state.LockInfo, string, error) {
	key := s.lockKey(failback)
	data, etag, found, err := s.get(ctx, key, state.MaxDocumentSize)
	if err != nil || !found {
		return nil, "", err
	}
	info, err := state.DecodeLock(s.URL(key), data)
	if err != nil {
		return nil, "", err
	}
	return info, etag, nil
}

// LockHolder reads who holds the failback's lock, changing nothing; nil
// when it is free. Stale says why the next run would take it over.
func (s *Store) LockHolder(ctx context.Context, failback string) (*state.Holder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := state.CheckName(failback); err != nil {
		return nil, err
	}
	info, _, err := s.readLock(ctx, failback)
	if err != nil || info == nil {
		return nil, err
	}
	return &state.Holder{LockInfo: *info, Stale: state.StaleReason(*info, s.now())}, nil
}

// objLock is a held lock, renewed by its goroutine until Unlock.
type objLock struct {
	s        *Store
	failback string

	mu   sync.Mutex
	info state.LockInfo
	etag string // of our last write of the lock object

	stopOnce   sync.Once
	stop, done chan struct{}
	lost       chan struct{}
	lostOnce   sync.Once
	// deadline is Deadline in Unix nanoseconds: read by the run while
	// the renewal goroutine writes it.
	deadline   atomic.Int64
	unlockOnce sync.Once
	unlockErr  error
}

var _ state.RenewedLock = (*objLock)(nil)

func (l *objLock) Lost() <-chan struct{} { return l.lost }

// Deadline is the lease's end as of the last renewal that landed.
func (l *objLock) Deadline() time.Time { return time.Unix(0, l.deadline.Load()) }

func (l *objLock) renew(ticks <-chan time.Time, stop func()) {
	defer close(l.done)
	defer stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ticks:
		}
		if !l.renewOnce() {
			l.lostOnce.Do(func() { close(l.lost) })
			return
		}
	}
}

// renewOnce moves the lease to now with a write on our own ETag. It
// reports false only when the lock is provably someone else's or gone; a
// failed request is retried at the next tick (two come before the lease
// runs out).
func (l *objLock) renewOnce() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), max(l.info.Lease/3, time.Second))
	defer cancel()
	next := l.info
	now := l.s.now()
	next.Renewed = now
	next.Expires = now.Add(next.Lease)
	data, err := json.Marshal(&next)
	if err != nil {
		return true
	}
	key := l.s.lockKey(l.failback)
	etag, err := l.s.put(ctx, key, data, l.etag)
	if err == nil {
		l.info, l.etag = next, etag
		l.deadline.Store(now.Add(next.Lease).UnixNano())
		return true
	}
	if !conditionFailed(err) {
		return true
	}
	// Our write may have landed with its answer lost: the object is still
	// ours if it names our run.
	held, cur, err := l.s.readLock(ctx, l.failback)
	if err != nil {
		return true
	}
	if held == nil || held.RunID != l.info.RunID {
		return false
	}
	l.etag = cur
	return true
}

// Unlock stops the renewal and deletes the lock object if it is still
// ours (If-Match on our ETag). When another run took it over, its lock is
// left alone and Unlock returns an error matching state.ErrLockLost.
// Unlock is idempotent.
func (l *objLock) Unlock() error {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
	l.unlockOnce.Do(func() { l.unlockErr = l.unlock() })
	return l.unlockErr
}

func (l *objLock) unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx := context.Background()
	key := l.s.lockKey(l.failback)
	for range lockAttempts {
		err := l.s.del(ctx, key, l.etag)
		if err == nil || errors.Is(err, ErrNotFound) {
			return nil
		}
		if !conditionFailed(err) {
			return l.s.wrap("deleting", key, err)
		}
		held, cur, err := l.s.readLock(ctx, l.failback)
		if err != nil {
			return err
		}
		if held == nil {
			return nil
		}
		if held.RunID != l.info.RunID {
			return fmt.Errorf("%s: %s: %w: run %s holds it now", l.s.label, l.s.URL(key), state.ErrLockLost, held.RunID)
		}
		l.etag = cur // our renewal landed with its answer lost
	}
	return fmt.Errorf("%s: %s: the lock kept changing while being released", l.s.label, l.s.URL(key))
}

// appendAttempts bounds the sequence numbers one Append tries: each loss
// means another event took the number, so the listing moves on.
const appendAttempts = 32

// Append adds ev to the failback's history as a new object with the next
// sequence number. An empty ev.Failback is set to failback (another one is
// an error); a zero ev.Time is set to now.
func (s *Store) Append(ctx context.Context, failback string, ev state.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := state.CheckName(failback); err != nil {
		return err
	}
	if ev.Failback == "" {
		ev.Failback = failback
	} else if ev.Failback != failback {
		return fmt.Errorf("%s: event of failback %q appended to the history of %q", s.label, ev.Failback, failback)
	}
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	data, err := json.Marshal(&ev)
	if err != nil {
		return fmt.Errorf("%s: encoding an event of failback %q: %w", s.label, failback, err)
	}
	seq, ok := s.firstSeq(failback)
	if !ok {
		if seq, err = s.nextSeq(ctx, failback); err != nil {
			return err
		}
	}
	for range appendAttempts {
		key := s.eventKey(failback, seq)
		_, err := s.put(ctx, key, data, "")
		if conditionFailed(err) {
			if _, ok := s.landed(ctx, key, data); ok {
				err = nil
			}
		}
		if err == nil {
			s.seqs.Store(failback, seq+1)
			return nil
		}
		if !conditionFailed(err) {
			return s.wrap("writing", key, err)
		}
		if seq, err = s.nextSeq(ctx, failback); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s: appending to %s: %d sequence numbers were taken by concurrent appends; try again", s.label, s.URL(s.histDir(failback)), appendAttempts)
}

// versionStride spaces the sequence numbers of the events appended after
// each version of the document: the events recorded after saving version
// V are numbered from V x versionStride. A history has at most
// maxHistoryEvents (about a million) events, fewer than a stride.
const versionStride = 1_000_000_000

// maxStridedVersion keeps V x versionStride within 20 digits.
const maxStridedVersion = 10_000_000_000

// firstSeq is the sequence number to try first for the failback's next
// event, without listing the history: past the block of the document
// version this store last loaded, saved or fenced, and past its own last
// event. Events are appended by the lock holder right after it saved (or
// fenced) the document, so that version is the latest, and its block is
// after every event recorded before it; the numbers of histories written
// one by one (1, 2, 3, ...) are below every block. ok is false when the
// version is not known here (no document, or none read yet): the history
// is then listed.
func (s *Store) firstSeq(failback string) (seq uint64, ok bool) {
	tag, found := s.etags.Load(failback)
	if !found {
		return 0, false
	}
	v := tag.(docTag).version
	if v <= 0 || v >= maxStridedVersion {
		return 0, false
	}
	seq = uint64(v) * versionStride
	if next, found := s.seqs.Load(failback); found && next.(uint64) > seq {
		seq = next.(uint64)
	}
	return seq, true
}

// nextSeq lists the history and returns one past its last number (1 for
// none). A key fbctl did not write is an error naming it.
func (s *Store) nextSeq(ctx context.Context, failback string) (uint64, error) {
	entries, err := s.listHistory(ctx, failback)
	if err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		return 1, nil
	}
	return entries[len(entries)-1].seq + 1, nil
}

// listRefusal carries the store's own verdict on a listed entry out of
// Bucket.List, told apart from the bucket's errors.
type listRefusal struct{ err error }

func (r *listRefusal) Error() string { return r.err.Error() }

func refuse(err error) error { return &listRefusal{err} }

var eventKeyRE = regexp.MustCompile(`^[0-9]{20}\.json$`)

type histEntry struct {
	key  string
	seq  uint64
	size int64
}

// listHistory lists the history objects in sequence order, refusing a
// foreign key and a history larger than state.MaxHistorySize in total.
func (s *Store) listHistory(ctx context.Context, failback string) ([]histEntry, error) {
	dir := s.histDir(failback)
	var out []histEntry
	var total int64
	err := s.b.List(ctx, dir, "", func(o Entry) error {
		name := strings.TrimPrefix(o.Key, dir)
		if o.Dir || !eventKeyRE.MatchString(name) {
			return refuse(fmt.Errorf("%s: %s is not an fbctl history object (want %s<20 digits>.json); move it aside", s.label, s.URL(o.Key), s.URL(dir)))
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, ".json"), 10, 64)
		if err != nil {
			return refuse(fmt.Errorf("%s: %s: sequence number out of range", s.label, s.URL(o.Key)))
		}
		if o.Size > maxEventSize {
			return refuse(fmt.Errorf("%s: %s is larger than %d bytes, more than an fbctl event; move it aside after checking what it is", s.label, s.URL(o.Key), maxEventSize))
		}
		if total += o.Size; total > state.MaxHistorySize || len(out) >= maxHistoryEvents {
			return refuse(fmt.Errorf("%s: the history under %s is larger than %d bytes or %d events; archive old events", s.label, s.URL(dir), state.MaxHistorySize, maxHistoryEvents))
		}
		out = append(out, histEntry{key: o.Key, seq: seq, size: o.Size})
		return nil
	})
	var refused *listRefusal
	if errors.As(err, &refused) {
		return nil, refused.err
	}
	if err != nil {
		return nil, s.wrap("listing", dir, err)
	}
	// Buckets list in byte order, which for fixed-width digits is
	// numeric order; a listing that breaks it is refused.
	for i := 1; i < len(out); i++ {
		if out[i].seq <= out[i-1].seq {
			return nil, fmt.Errorf("%s: the listing of %s is out of order at %s", s.label, s.URL(dir), s.URL(out[i].key))
		}
	}
	return out, nil
}

// historyReaders bounds the concurrent reads of one History call.
const historyReaders = 8

// History returns the failback's events in sequence order; none when it
// has no history. An object that is not an event of this failback is an
// error naming it.
func (s *Store) History(ctx context.Context, failback string) ([]state.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := state.CheckName(failback); err != nil {
		return nil, err
	}
	entries, err := s.listHistory(ctx, failback)
	if err != nil {
		return nil, err
	}
	events := make([]state.Event, len(entries))
	errs := make([]error, len(entries))
	sem := make(chan struct{}, historyReaders)
	var wg sync.WaitGroup
	for i, e := range entries {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			data, _, found, err := s.get(ctx, e.key, maxEventSize)
			switch {
			case err != nil:
				errs[i] = err
			case !found:
				errs[i] = fmt.Errorf("%s: %s was listed but is gone: history objects are never deleted by fbctl", s.label, s.URL(e.key))
			default:
				ev, err := state.DecodeEvent(data, failback)
				if err != nil {
					errs[i] = fmt.Errorf("%s: %s: corrupt or foreign history object: %w", s.label, s.URL(e.key), err)
				}
				events[i] = ev
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The first failure in sequence order: the one a person fixes first.
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return events, nil
}
