// The file backend: the default Store, one directory of plain files.
//
// Layout, for a failback NAME under the store directory:
//
//	NAME.json           the Document (indented JSON), only ever replaced whole
//	NAME.history.jsonl  the history: one JSON Event per line, append-only
//	NAME.lock           the lock holder (JSON LockInfo); present while held
//	NAME.guard          empty; flock'd around every check-then-write
//	.tmp-<16 hex>.NAME.json, .tmp-<16 hex>.NAME.lock,
//	.tmp-<16 hex>.NAME.history.jsonl (Import only)
//	                    a write in progress, or one a crash interrupted
//
// The four suffixes end differently, so no two names map to the same file,
// and temp files start with a dot, which no failback name can, so a temp
// file is never read as state. Files are 0600 and directories 0700: a
// failback's state says where production traffic goes and who moves it.
//
// Guarantees, and how they are kept:
//   - Atomic documents: a document is written to a temp file in the same
//     directory, fsync'd, renamed over NAME.json, and the directory is
//     fsync'd. rename(2) replaces the name in one step, so a reader (or a
//     run after a crash at any point) sees the whole old or the whole new
//     file. Readers take no lock for that reason.
//   - Compare-and-swap: Save reads the stored version and renames the new
//     file while holding an exclusive flock(2) on NAME.guard, so no other
//     goroutine or process can save in between. The kernel drops a flock
//     when its holder dies, so a crash never leaves the guard stuck. The
//     guard file is never removed: removing it would let two processes
//     hold locks on two different inodes of the "same" file.
//   - Locks: a lock is the NAME.lock file, not the flock, so a run that
//     crashes keeps its lock until it expires or is proven dead; nobody
//     can act on the failback in the meantime. Creating, renewing, taking
//     over and removing the lock file happens under the guard, so exactly
//     one of any number of concurrent Lock calls wins. The holder renews
//     the lock (Renewed, Expires) at a third of its lease from a goroutine
//     until Unlock, so a long run never loses it. A lock is stale at its
//     expiry (LockInfo.Expiry), or at once when its holder is provably
//     gone: same boot id and PID namespace as the reader, and its pid not
//     running, a zombie, or a process started at another time.
//   - History: each event is one write(2) of one line to a file opened
//     O_APPEND, under the guard, then fsync'd. A crash can at worst leave
//     an unterminated last line, an event whose Append never returned;
//     History ignores it and the next Append cuts it off, so it cannot
//     glue itself to the next event. Only the beginning of an event of
//     ours (`{"time":"...`) is taken for that; any other unterminated or
//     foreign line is an error naming the file and line.
//   - The directory is input, and may be hostile: every file read, written
//     or created in it is opened with O_NOFOLLOW|O_NONBLOCK and fstat'd,
//     and anything but a regular file (a symbolic link, dangling or not, a
//     FIFO, a device, a directory) is an error naming it; nothing is ever
//     written through a link or blocks on a FIFO. A document is checked
//     against its invariants when read (decodeDoc); a bad one is an error
//     naming the file and the field, and Save refuses to replace it.
//   - Stray temp files (from a crash) are ignored by every read and removed
//     by the next write of the same failback, under the guard: every temp
//     file is created under the guard, so one that exists while we hold the
//     guard belongs to nobody.

package state

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/providers"
)

// FileOptions configures OpenFile.
type FileOptions struct {
	// Now is the clock for new documents, lock expiry and event times;
	// nil means time.Now. Tests inject their own.
	Now func() time.Time
	// Ticker starts the ticks of a held lock's renewal, every d, and
	// returns them and a stop function; nil means a time.Ticker. Tests
	// inject their own to renew on demand.
	Ticker func(d time.Duration) (ticks <-chan time.Time, stop func())
}

// errNotRegular is wrapped by the errors about a file in the state
// directory that is not a regular file.
var errNotRegular = errors.New("fbctl opens only regular files, never links, FIFOs or devices, in its state directory")

func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// FileStore is the file backend, the default Store: one directory holding,
// per failback NAME, NAME.json (the document), NAME.history.jsonl (the
// history, JSON lines), NAME.lock (the lock holder) and NAME.guard (a file
// only ever flock'd). Documents are replaced atomically (temp file, fsync,
// rename, fsync of the directory) under a cross-process flock, which makes
// the compare-and-swap of Save and the check-then-write of Lock race-free
// between goroutines and processes alike. See the comment at the top of
// file.go for the details.
type FileStore struct {
	// swept records the failbacks whose leftover temp files were removed;
	// orphans maps the temp files this store created and has not yet
	// renamed or removed to their target's base name.
	swept   sync.Map
	orphans sync.Map
	// temps is the directory's temp files as first listed (listTemps).
	tempsOnce sync.Once
	temps     map[string][]string

	dir    string
	now    func() time.Time
	ticker func(time.Duration) (<-chan time.Time, func())
}

var _ Store = (*FileStore)(nil)
var _ LockReader = (*FileStore)(nil)
var _ Lister = (*FileStore)(nil)
var _ Unlocker = (*FileStore)(nil)
var _ Importer = (*FileStore)(nil)

// afterStep, when set (by tests only), is called after each step of an
// atomic write: "temp-created", "written", "synced", "renamed". A test
// panics from it to simulate a crash at that point.
var afterStep func(step string)

func step(name string) {
	if afterStep != nil {
		afterStep(name)
	}
}

// nameRE is what a failback name may be in a file name: no separators, no
// leading dot (so no "..", no hidden files, no clash with temp files), and
// short enough for any file system with our suffixes. The policy language
// uses the same rule.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

func checkName(failback string) error {
	if !nameRE.MatchString(failback) {
		return fmt.Errorf("state: invalid failback name %q: want a letter or digit, then up to 62 letters, digits, '_', '.' or '-'", failback)
	}
	return nil
}

// OpenFile opens the file store in dir. The directory (mode 0700, with any
// missing parents) is created by the first write, not here: reading the
// state (plan, status) must leave the disk as it was.
func OpenFile(dir string, opts FileOptions) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("state: empty directory for the file store")
	}
	// Absolute, so that the paths in errors and the store itself do not
	// depend on a later change of working directory.
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("state: %s: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("state: %s is not a directory", abs)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("state: %w", err)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	ticker := opts.Ticker
	if ticker == nil {
		ticker = realTicker
	}
	return &FileStore{dir: abs, now: now, ticker: ticker}, nil
}

// Dir returns the store's directory (absolute).
func (s *FileStore) Dir() string { return s.dir }

func (s *FileStore) docPath(fb string) string     { return filepath.Join(s.dir, fb+".json") }
func (s *FileStore) historyPath(fb string) string { return filepath.Join(s.dir, fb+".history.jsonl") }
func (s *FileStore) lockPath(fb string) string    { return filepath.Join(s.dir, fb+".lock") }
func (s *FileStore) guardPath(fb string) string   { return filepath.Join(s.dir, fb+".guard") }

// Load returns the failback's document, or NewDocument (Version 0) when it
// has none. It takes no lock: documents are only ever replaced by rename,
// so the file read is always one whole document.
func (s *FileStore) Load(ctx context.Context, failback string) (*Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkName(failback); err != nil {
		return nil, err
	}
	doc, err := s.readDoc(failback)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return NewDocument(failback, s.now()), nil
	}
	return doc, nil
}

// readDoc reads and checks NAME.json; (nil, nil) when it does not exist.
func (s *FileStore) readDoc(failback string) (*Document, error) {
	path := s.docPath(failback)
	data, err := readRegular(path, MaxDocumentSize)
	if err != nil || data == nil {
		return nil, err
	}
	return decodeDoc(path, failback, data)
}

// The largest state files fbctl reads. A document or a lock is a few
// hundred bytes; a history gains a line of a few hundred bytes per change,
// so 64 MiB is some hundred thousand changes. A file beyond its limit was
// not written by fbctl, and reading it whole could exhaust memory.
const (
	MaxDocumentSize = 1 << 20
	MaxHistorySize  = 64 << 20
)

// readRegular reads the regular file path (see openRegular), refusing one
// larger than limit bytes; nil, nil when it does not exist.
func readRegular(path string, limit int64) ([]byte, error) {
	f, err := openRegular(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("state: reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("state: %s is larger than %d bytes, more than fbctl ever writes there; move it aside after checking what it is", path, limit)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// decodeDoc checks everything that would make a stored document unsafe to
// act on. Every failure names the file: the fix is a person's, and nothing
// here resets a document.
func decodeDoc(path, failback string, data []byte) (*Document, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("state: %s is empty, not a state document (remove it only if this failback's state is really lost)", path)
	}
	// The schema version first, on its own: a document of another version
	// may not even decode into this build's Document.
	var head struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("state: %s is corrupt: invalid JSON: %w", path, err)
	}
	if head.SchemaVersion == nil {
		return nil, fmt.Errorf("state: %s has no schema_version; it is not a state document", path)
	}
	if *head.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("state: %s has unknown schema version %d (this build of fbctl reads version %d)", path, *head.SchemaVersion, SchemaVersion)
	}
	doc := new(Document)
	if err := json.Unmarshal(data, doc); err != nil {
		return nil, fmt.Errorf("state: %s is corrupt: %w", path, err)
	}
	if doc.Failback != failback {
		return nil, fmt.Errorf("state: %s holds the state of failback %q, not %q", path, doc.Failback, failback)
	}
	if doc.Version < 1 {
		// Save never stores a version below 1, and 0 means "never saved"
		// to the compare-and-swap.
		return nil, fmt.Errorf("state: %s is corrupt: version %d is not positive", path, doc.Version)
	}
	if err := checkDoc(doc); err != nil {
		return nil, fmt.Errorf("state: %s is invalid: %w; fbctl leaves it as it is: correct or remove it by hand", path, err)
	}
	if doc.Evidence == nil {
		doc.Evidence = map[string]health.Evidence{}
	}
	if doc.Observed == nil {
		doc.Observed = map[string]providers.Share{}
	}
	return doc, nil
}

// Save stores doc if the stored version is still doc.Version (0: nothing
// stored yet), as Version+1, and sets doc.Version. Otherwise it returns an
// error matching ErrConflict and stores nothing.
func (s *FileStore) Save(ctx context.Context, doc *Document) error {
	if doc == nil {
		return errors.New("state: Save of a nil document")
	}
	if err := checkName(doc.Failback); err != nil {
		return err
	}
	if doc.SchemaVersion != SchemaVersion {
		return fmt.Errorf("state: document of failback %q has schema version %d; this build writes %d", doc.Failback, doc.SchemaVersion, SchemaVersion)
	}
	if doc.Version < 0 {
		return fmt.Errorf("state: document of failback %q has negative version %d", doc.Failback, doc.Version)
	}
	g, err := s.guard(ctx, doc.Failback)
	if err != nil {
		return err
	}
	defer g.unlock()
	s.removeTemps(doc.Failback)

	// The compare of the compare-and-swap. A corrupt stored document is an
	// error, not version 0: overwriting it would be a silent reset.
	var stored int64
	cur, err := s.readDoc(doc.Failback)
	if err != nil {
		return err
	}
	if cur != nil {
		stored = cur.Version
	}
	if stored != doc.Version {
		if doc.Version == 0 {
			return fmt.Errorf("%w: %s was created (version %d) since this document was made", ErrConflict, s.docPath(doc.Failback), stored)
		}
		return fmt.Errorf("%w: %s is at version %d, this document was loaded at version %d", ErrConflict, s.docPath(doc.Failback), stored, doc.Version)
	}

	// Encode a copy, so that doc changes only once the new file is in place.
	next := *doc
	next.Version = doc.Version + 1
	data, err := json.MarshalIndent(&next, "", "  ")
	if err != nil {
		return fmt.Errorf("state: encoding the document of failback %q: %w", doc.Failback, err)
	}
	data = append(data, '\n')
	if err := s.writeAtomic(s.docPath(doc.Failback), data); err != nil {
		return err
	}
	doc.Version = next.Version
	return nil
}

// writeAtomic replaces path with data: temp file in the same directory
// (rename is only atomic within one file system), write, fsync (so the
// rename can never expose a file whose data is not on disk yet), rename,
// fsync of the directory (so the rename itself survives a power loss).
// The caller holds the guard. On a failure before the rename the temp file
// is removed and the old file is untouched; a crash leaves a temp file that
// the next write removes.
func (s *FileStore) writeAtomic(path string, data []byte) (err error) {
	tmp, f, err := s.createTemp(filepath.Base(path))
	if err != nil {
		return err
	}
	s.orphans.Store(tmp, filepath.Base(path))
	// Closing twice is harmless; this one covers errors and (in tests)
	// simulated crashes. The temp file itself is removed on errors only:
	// a simulated crash must leave it behind, like a real one.
	defer f.Close()
	step("temp-created")
	if _, err := f.Write(data); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("state: writing %s: %w", tmp, err)
	}
	step("written")
	if err := f.Sync(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("state: syncing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("state: closing %s: %w", tmp, err)
	}
	step("synced")
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("state: replacing %s: %w", path, err)
	}
	s.orphans.Delete(tmp)
	step("renamed")
	return s.syncDir()
}

// createTemp creates .tmp-<16 hex>.BASE, mode 0600. The fixed-length
// random part lets removeTemps match one failback's temp files exactly
// (the temp files of "a" and of "x.a" cannot be confused).
func (s *FileStore) createTemp(base string) (string, *os.File, error) {
	for range 10 {
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			return "", nil, fmt.Errorf("state: %w", err)
		}
		path := filepath.Join(s.dir, ".tmp-"+hex.EncodeToString(r[:])+"."+base)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("state: creating a temp file in %s: %w", s.dir, err)
		}
		return path, f, nil
	}
	return "", nil, fmt.Errorf("state: could not create a unique temp file in %s", s.dir)
}

// removeTemps removes the temp files a crashed write of failback left. The
// caller holds the guard, so no live write of this failback owns one.
// Failures are ignored: a stray temp file is untidy, never wrong.
func (s *FileStore) removeTemps(failback string) {
	// Leftover temp files come from a process that died mid-write, so one
	// sweep per failback per store is enough; sweeping on every write made
	// a round over many failbacks quadratic (each sweep lists the directory).
	if _, done := s.swept.LoadOrStore(failback, true); done {
		// Temp files this store created and never renamed (a write cut
		// short inside this process) are known without a listing.
		for _, suffix := range []string{".json", ".lock"} {
			s.orphans.Range(func(k, v any) bool {
				if v.(string) == failback+suffix {
					os.Remove(k.(string))
					s.orphans.Delete(k)
				}
				return true
			})
		}
		return
	}
	// The first sweep of the store lists the directory once for every
	// failback (a glob per failback made a round over many failbacks
	// quadratic); each failback's own leftovers are removed under its
	// guard. Import's temp files end in .history.jsonl too.
	temps := s.listTemps()
	for _, suffix := range []string{".json", ".lock", ".history.jsonl"} {
		for _, m := range temps[failback+suffix] {
			os.Remove(m)
		}
	}
}

// listTemps lists the directory's temp files once per store, by the base
// name they were to replace. A temp file another process leaves after the
// listing is swept by the next process's store.
func (s *FileStore) listTemps() map[string][]string {
	s.tempsOnce.Do(func() {
		s.temps = map[string][]string{}
		d, err := os.Open(s.dir)
		if err != nil {
			return
		}
		defer d.Close()
		names, _ := d.Readdirnames(-1)
		for _, n := range names {
			// .tmp-<16 hex>.BASE
			if len(n) < 22 || n[:5] != ".tmp-" || n[21] != '.' {
				continue
			}
			if _, err := hex.DecodeString(n[5:21]); err != nil {
				continue
			}
			s.temps[n[22:]] = append(s.temps[n[22:]], filepath.Join(s.dir, n))
		}
	})
	return s.temps
}

func (s *FileStore) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("state: opening %s to sync it: %w", s.dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("state: syncing %s: %w", s.dir, err)
	}
	return nil
}

// Lock takes the failback's lock for info's holder. info.Expires must be in
// the future (a lock is meant to be taken over after a crash, so it must
// expire); a zero info.Acquired or info.Renewed is set to now, a zero
// info.Lease to Expires-Acquired (at most MaxLease). When info.PID is this
// process, Lock records its boot id, PID namespace and start time, so that
// a reader can prove it gone after a crash.
//
// While another holder's lock is live, Lock returns a *LockedError. A lock
// past its expiry (LockInfo.Expiry), or whose holder is provably gone, is
// taken over, and a "lock_takeover" event saying why is appended to the
// history first, so that no takeover goes unrecorded.
//
// The returned lock (a RenewedLock) is renewed at a third of its lease
// until Unlock.
func (s *FileStore) Lock(ctx context.Context, failback string, info LockInfo) (Lock, error) {
	if err := checkName(failback); err != nil {
		return nil, err
	}
	now := s.now()
	info, err := PrepareLock(failback, info, now)
	if err != nil {
		return nil, err
	}
	g, err := s.guard(ctx, failback)
	if err != nil {
		return nil, err
	}
	defer g.unlock()
	s.removeTemps(failback)

	held, err := s.readLock(failback)
	if err != nil {
		return nil, err
	}
	if held != nil {
		// Checked under the guard with the time read before it: waiting
		// for the guard can only make a lock look younger, never stale.
		why := staleReason(*held, now)
		if why == "" {
			return nil, &LockedError{Failback: failback, Holder: *held}
		}
		ev := Event{
			ID:       NewEventID(),
			Time:     now,
			RunID:    info.RunID,
			Failback: failback,
			Type:     "lock_takeover",
			Actor:    info.Owner,
			Reason: fmt.Sprintf("lock of %s@%s pid %d (run %s) %s",
				held.Owner, held.Host, held.PID, held.RunID, why),
		}
		if err := s.appendLocked(failback, ev); err != nil {
			return nil, fmt.Errorf("state: recording the takeover of a stale lock: %w", err)
		}
		if err := s.fence(failback); err != nil {
			return nil, err
		}
	}
	if err := s.writeLock(failback, &info); err != nil {
		return nil, err
	}
	l := &fileLock{s: s, failback: failback, runID: info.RunID, lease: info.Lease,
		stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}
	l.deadline.Store(info.Renewed.Add(info.Lease).UnixNano())
	ticks, stop := s.ticker(max(info.Lease/3, time.Millisecond))
	go l.renew(ticks, stop)
	return l, nil
}

// PrepareLock checks and completes the LockInfo of a Lock call at now, as
// every store does: a run id is required and Expires must be after now; a
// zero Acquired or Renewed becomes now, a zero Lease Expires-Acquired (at
// most MaxLease); when PID is this process, its boot id, PID namespace and
// start time are recorded so that a reader can prove it gone after a crash.
func PrepareLock(failback string, info LockInfo, now time.Time) (LockInfo, error) {
	if err := checkName(failback); err != nil {
		return info, err
	}
	if info.RunID == "" {
		return info, errors.New("state: a lock needs a run id: Unlock uses it to tell its own lock from a successor's")
	}
	if info.Acquired.IsZero() {
		info.Acquired = now
	}
	if info.Renewed.IsZero() {
		info.Renewed = now
	}
	if !info.Expires.After(now) {
		return info, fmt.Errorf("state: lock of failback %q would expire at %s, not after now (%s)",
			failback, info.Expires.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano))
	}
	if info.Lease <= 0 {
		info.Lease = info.Expires.Sub(info.Acquired)
		if info.Lease <= 0 {
			info.Lease = info.Expires.Sub(now)
		}
	}
	if info.Lease > MaxLease {
		return info, fmt.Errorf("state: lock of failback %q: a lease of %s is longer than %s; the lock is renewed while the run lasts, so a long lease is never needed",
			failback, info.Lease, MaxLease)
	}
	if info.PID == os.Getpid() && info.BootID == "" && info.PIDNS == "" && info.StartTime == 0 {
		id := hostIdentity()
		if start, _, err := procStart(info.PID); err == nil && id.boot != "" && id.pidNS != "" {
			info.BootID, info.PIDNS, info.StartTime = id.boot, id.pidNS, start
		}
	}
	return info, nil
}

// fence advances the stored document's version on a takeover, under the
// guard, so that the old holder's next Save, of a document it loaded
// before, fails with ErrConflict however late it comes. No document, no
// fence: the old holder's Save of a new one would conflict with ours too.
func (s *FileStore) fence(failback string) error {
	cur, err := s.readDoc(failback)
	if err != nil || cur == nil {
		return err
	}
	cur.Version++
	data, err := json.MarshalIndent(cur, "", "  ")
	if err != nil {
		return fmt.Errorf("state: encoding the document of failback %q: %w", failback, err)
	}
	return s.writeAtomic(s.docPath(failback), append(data, '\n'))
}

// StaleReason says why the lock held is stale at now ("" while live): its
// expiry passed, or its holder is provably gone. Every store takes a lock
// over on the same grounds.
func StaleReason(held LockInfo, now time.Time) string { return staleReason(held, now) }

// staleReason says why the lock held is stale at now ("" while live): its
// expiry passed, or its holder is provably gone.
func staleReason(held LockInfo, now time.Time) string {
	if exp := held.Expiry(); !now.Before(exp) {
		return "expired at " + exp.UTC().Format(time.RFC3339)
	}
	return holderGone(held)
}

// holderGone says why the holder of a lock is provably gone, or "" when it
// may be alive. Only a holder in this boot and PID namespace can be judged
// (a container sharing the host name is not this host): it is gone when
// its pid is not running, is a zombie, or runs a process started at
// another time than the holder (a reused pid).
func holderGone(held LockInfo) string {
	if held.BootID == "" || held.PIDNS == "" || held.StartTime == 0 || held.PID <= 0 {
		return ""
	}
	id := hostIdentity()
	if held.BootID != id.boot || held.PIDNS != id.pidNS {
		return ""
	}
	start, zombie, err := procStart(held.PID)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("is stale: pid %d is not running on this host (boot %s)", held.PID, held.BootID)
	case err != nil:
		return "" // cannot tell: wait for the expiry
	case start != held.StartTime:
		return fmt.Sprintf("is stale: pid %d is another process now (started at tick %d, the holder at tick %d)", held.PID, start, held.StartTime)
	case zombie:
		return fmt.Sprintf("is stale: pid %d has exited", held.PID)
	}
	return ""
}

// writeLock replaces NAME.lock with info; the caller holds the guard.
func (s *FileStore) writeLock(failback string, info *LockInfo) error {
	data, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("state: encoding the lock of failback %q: %w", failback, err)
	}
	// Atomic too: a reader must never see half a lock file and take it for
	// a corrupt one. The rename replaces a link or FIFO of that name
	// without following it, but readLock has refused those already.
	return s.writeAtomic(s.lockPath(failback), append(data, '\n'))
}

// readLock reads NAME.lock; (nil, nil) when there is none. A lock file that
// does not decode, or lacks what every lock has, is an error: taking it
// over would ignore a holder that may well be alive.
func (s *FileStore) readLock(failback string) (*LockInfo, error) {
	path := s.lockPath(failback)
	data, err := readRegular(path, MaxDocumentSize)
	if err != nil || data == nil {
		return nil, err
	}
	return DecodeLock(path, data)
}

// DecodeLock decodes a stored lock named name (a path, an object's URL).
// A lock that does not decode, or lacks what every lock has, is an error:
// taking it over would ignore a holder that may well be alive.
func DecodeLock(name string, data []byte) (*LockInfo, error) {
	var info LockInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("state: lock %s is corrupt (%v); remove it only if no fbctl run holds the lock", name, err)
	}
	bad := ""
	switch {
	case info.RunID == "":
		bad = "field run_id: empty"
	case info.Acquired.IsZero():
		bad = "field acquired: missing"
	case info.Expires.IsZero():
		bad = "field expires: missing"
	case info.Lease < 0:
		bad = "field lease: negative"
	}
	if bad != "" {
		return nil, fmt.Errorf("state: lock %s is invalid (%s); remove it only if no fbctl run holds the lock", name, bad)
	}
	return &info, nil
}

// fileLock is a lock held through a FileStore, renewed by its goroutine
// (renew) until Unlock.
type fileLock struct {
	s        *FileStore
	failback string
	runID    string
	lease    time.Duration

	stopOnce sync.Once
	stop     chan struct{} // closed by Unlock
	done     chan struct{} // closed when renew returns
	lost     chan struct{} // closed when a renewal finds the lock taken over
	lostOnce sync.Once
	// deadline is Deadline in Unix nanoseconds: read by the run while
	// the renewal goroutine writes it.
	deadline atomic.Int64
}

var _ RenewedLock = (*fileLock)(nil)

// Lost is closed when a renewal finds that another run took the lock over.
func (l *fileLock) Lost() <-chan struct{} { return l.lost }

// Deadline is the lease's end as of the last renewal that landed.
func (l *fileLock) Deadline() time.Time { return time.Unix(0, l.deadline.Load()) }

func (l *fileLock) markLost() { l.lostOnce.Do(func() { close(l.lost) }) }

// renew renews the lock on each tick until Unlock or until it is lost. A
// failed renewal is retried at the next tick: two more come before the
// lease runs out.
func (l *fileLock) renew(ticks <-chan time.Time, stop func()) {
	defer close(l.done)
	defer stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ticks:
		}
		if kept, _ := l.renewOnce(); !kept {
			l.markLost()
			return
		}
	}
}

// renewOnce moves the lock's renewal to now, if this run still holds it.
// kept is false only when the lock is provably someone else's (or gone).
func (l *fileLock) renewOnce() (kept bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), l.lease/3)
	defer cancel()
	g, err := l.s.guard(ctx, l.failback)
	if err != nil {
		return true, err
	}
	defer g.unlock()
	held, err := l.s.readLock(l.failback)
	if err != nil {
		return true, err
	}
	if held == nil || held.RunID != l.runID {
		return false, nil
	}
	now := l.s.now()
	held.Renewed = now
	if held.Lease <= 0 {
		held.Lease = l.lease
	}
	held.Expires = now.Add(held.Lease)
	if err := l.s.writeLock(l.failback, held); err != nil {
		return true, err
	}
	l.deadline.Store(held.Expires.UnixNano())
	return true, nil
}

// Unlock stops the renewal and removes the lock file if it still names
// this holder's run. When another run took the lock over, the file is the
// new holder's and is left alone, and Unlock returns an error matching
// ErrLockLost. Unlock is idempotent.
func (l *fileLock) Unlock() error {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
	g, err := l.s.guard(context.Background(), l.failback)
	if err != nil {
		return err
	}
	defer g.unlock()
	held, err := l.s.readLock(l.failback)
	if err != nil {
		return err
	}
	if held == nil {
		return nil
	}
	if held.RunID != l.runID {
		return fmt.Errorf("state: %s: %w: run %s holds it now", l.s.lockPath(l.failback), ErrLockLost, held.RunID)
	}
	path := l.s.lockPath(l.failback)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("state: removing %s: %w", path, err)
	}
	return l.s.syncDir()
}

// Append adds ev to the failback's history. An empty ev.Failback is set to
// failback (another one is an error); a zero ev.Time is set to now.
func (s *FileStore) Append(ctx context.Context, failback string, ev Event) error {
	if err := checkName(failback); err != nil {
		return err
	}
	if ev.Failback == "" {
		ev.Failback = failback
	} else if ev.Failback != failback {
		return fmt.Errorf("state: event of failback %q appended to the history of %q", ev.Failback, failback)
	}
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	// The guard serialises appends (however long a line is) and lets the
	// torn-tail repair below run without a concurrent writer.
	g, err := s.guard(ctx, failback)
	if err != nil {
		return err
	}
	defer g.unlock()
	return s.appendLocked(failback, ev)
}

// appendLocked appends one line; the caller holds the guard.
func (s *FileStore) appendLocked(failback string, ev Event) error {
	line, err := json.Marshal(&ev)
	if err != nil {
		return fmt.Errorf("state: encoding an event of failback %q: %w", failback, err)
	}
	line = append(line, '\n')
	path := s.historyPath(failback)
	// Read and write: the torn-tail repair reads the tail (pread ignores
	// O_APPEND's offset).
	f, err := openRegular(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := cutTornTail(f, failback); err != nil {
		return fmt.Errorf("state: %s: %w", path, err)
	}
	// One write: with O_APPEND the line lands whole at the end.
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("state: appending to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("state: syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("state: closing %s: %w", path, err)
	}
	// The file may have just been created: make its name durable too.
	return s.syncDir()
}

// eventPrefix is how every line Append writes begins: Event's first field
// is its time, and Append always sets it.
const eventPrefix = `{"time":"`

// tornEvent reports whether an unterminated last line is the beginning of
// one of our events, cut short by a crash in the middle of its write.
func tornEvent(line []byte) bool {
	return bytes.HasPrefix(line, []byte(eventPrefix)) || bytes.HasPrefix([]byte(eventPrefix), line)
}

// decodeEvent decodes one history line of failback: a line that is valid
// JSON but not an event of this failback (no time, no type, another
// failback) is foreign. Unknown fields are allowed: a later fbctl may add
// some.
func decodeEvent(line []byte, failback string) (Event, error) {
	var ev Event
	if err := json.Unmarshal(line, &ev); err != nil {
		return ev, err
	}
	switch {
	case ev.Time.IsZero():
		return ev, errors.New("not an fbctl event: no time")
	case ev.Type == "":
		return ev, errors.New("not an fbctl event: no type")
	case ev.Failback != failback:
		return ev, fmt.Errorf("not an event of failback %q (failback %q)", failback, ev.Failback)
	}
	if err := checkEventID(ev.ID); err != nil {
		return ev, fmt.Errorf("not an fbctl event: %w", err)
	}
	return ev, nil
}

// cutTornTail truncates an unterminated last line, the remains of an Append
// that crashed mid-write and so never returned, that History already
// ignores. Left in place, it would merge with the next line into one
// corrupt line. A complete event missing only its newline (a file edited
// by hand), which History does return, is terminated instead of cut; any
// other unterminated line is not ours to cut, and is an error.
func cutTornTail(f *os.File, failback string) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size == 0 {
		return nil
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], size-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	// Find the start of the last line, reading backwards in chunks.
	start := int64(0)
	buf := make([]byte, 4096)
	for end := size; end > 0; {
		n := min(int64(len(buf)), end)
		chunk := buf[:n]
		if _, err := f.ReadAt(chunk, end-n); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			start = end - n + int64(i) + 1
			break
		}
		end -= n
	}
	tail := make([]byte, size-start)
	if _, err := f.ReadAt(tail, start); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if _, err := decodeEvent(tail, failback); err == nil {
		_, err := f.Write([]byte{'\n'})
		return err
	}
	if !tornEvent(tail) {
		return fmt.Errorf("the unterminated last line (at byte %d) is not the beginning of an fbctl event; fbctl cuts only its own torn events", start)
	}
	return f.Truncate(start)
}

// History returns the failback's events in the order they were appended;
// none when it has no history. A line that is not an event of this
// failback is an error naming the file and the line number, except an
// unterminated last line that begins like one of our events: that is a
// crashed Append, an event never recorded.
func (s *FileStore) History(ctx context.Context, failback string) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkName(failback); err != nil {
		return nil, err
	}
	path := s.historyPath(failback)
	data, err := readRegular(path, MaxHistorySize)
	if err != nil {
		return nil, err
	}
	events := []Event{}
	for n := 1; len(data) > 0; n++ {
		line, rest, terminated := bytes.Cut(data, []byte{'\n'})
		data = rest
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		ev, err := decodeEvent(line, failback)
		if err != nil {
			if !terminated && tornEvent(line) {
				break
			}
			return nil, fmt.Errorf("state: %s:%d: corrupt or foreign history line: %w", path, n, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// guard takes the exclusive flock on NAME.guard, waiting for it while ctx
// allows. The guard is held only for a read and a write of small files.
func (s *FileStore) guard(ctx context.Context, failback string) (*guardLock, error) {
	// Every write takes the guard first, so this is where the directory
	// comes to exist.
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("state: creating the state directory: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := s.guardPath(failback)
	f, err := openRegular(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flockExclusive(ctx, f); err != nil {
		f.Close()
		return nil, fmt.Errorf("state: locking %s: %w", path, err)
	}
	return &guardLock{f: f}, nil
}

type guardLock struct{ f *os.File }

// unlock releases the guard: closing the descriptor drops the flock (as the
// death of the process would).
func (g *guardLock) unlock() { g.f.Close() }

// LockHolder reads who holds the failback's lock, for status: nil when the
// lock is free. It takes neither the lock nor its guard and changes
// nothing: NAME.lock is only ever replaced by rename, so the file read is
// one whole holder. A holder past its expiry, or provably gone, is
// returned with Stale saying why: the next run takes that lock over.
func (s *FileStore) LockHolder(ctx context.Context, failback string) (*Holder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkName(failback); err != nil {
		return nil, err
	}
	info, err := s.readLock(failback)
	if err != nil || info == nil {
		return nil, err
	}
	return &Holder{LockInfo: *info, Stale: staleReason(*info, s.now())}, nil
}

// MaxListEntries bounds the directory entries Failbacks reads: a state
// directory holds four files per failback, so this is a quarter of a
// million failbacks. A directory larger than that was not filled by fbctl,
// and listing it whole could exhaust memory.
const MaxListEntries = 1 << 20

// Failbacks returns the names of the failbacks with a document
// (NAME.json), a lock (NAME.lock) or a history (NAME.history.jsonl) in the
// directory, sorted; none when the directory does not exist yet. Any other
// entry (a guard file, a temp file, a stray file whose name is not a
// failback name) is skipped. The entries are not opened: a NAME.json that
// is a link or a FIFO is listed, and reading it is the error that names it.
func (s *FileStore) Failbacks(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, err := os.Open(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: listing %s: %w", s.dir, err)
	}
	defer d.Close()
	seen := map[string]bool{}
	read := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		names, err := d.Readdirnames(4096)
		read += len(names)
		if read > MaxListEntries {
			return nil, fmt.Errorf("state: %s holds more than %d entries, more than fbctl ever writes there; it is not only a state directory", s.dir, MaxListEntries)
		}
		for _, n := range names {
			if fb, ok := failbackOfFile(n); ok {
				seen[fb] = true
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(names) == 0) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("state: listing %s: %w", s.dir, err)
		}
	}
	out := make([]string, 0, len(seen))
	for fb := range seen {
		out = append(out, fb)
	}
	sort.Strings(out)
	return out, nil
}

// failbackOfFile returns the failback a state file name belongs to: NAME
// of NAME.json, NAME.lock or NAME.history.jsonl, when NAME is a valid
// failback name. The history's suffix is tried first: "x.history.jsonl"
// is x's history, never a document.
func failbackOfFile(name string) (string, bool) {
	for _, suffix := range []string{".history.jsonl", ".json", ".lock"} {
		if fb, ok := strings.CutSuffix(name, suffix); ok {
			return fb, checkName(fb) == nil
		}
	}
	return "", false
}

// ForceUnlock removes the failback's lock if its holder's run id is runID
// (Terraform's force-unlock), under the guard, so that no Lock, renewal or
// Unlock comes in between. Before the lock file is removed, an "unlock"
// event naming actor and reason is appended to the history, and the
// stored document's version is advanced, as a takeover does: a holder
// still running fails its next Save with ErrConflict, and its next renewal
// finds the lock gone and closes Lost. A lock held by another run is a
// *LockIDError and stays; no lock is ErrNotLocked. A corrupt lock or
// document is an error naming the file, and nothing is changed.
func (s *FileStore) ForceUnlock(ctx context.Context, failback, runID, actor, reason string) (*LockInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkName(failback); err != nil {
		return nil, err
	}
	if runID == "" {
		return nil, fmt.Errorf("state: unlocking failback %q: no lock id given", failback)
	}
	// Without a lock file there is nothing to do, and nothing (not even
	// the directory or the guard file) is created to find that out.
	if held, err := s.readLock(failback); err != nil {
		return nil, err
	} else if held == nil {
		return nil, fmt.Errorf("state: failback %q: %w", failback, ErrNotLocked)
	}
	g, err := s.guard(ctx, failback)
	if err != nil {
		return nil, err
	}
	defer g.unlock()
	s.removeTemps(failback)
	held, err := s.readLock(failback)
	if err != nil {
		return nil, err
	}
	if held == nil {
		return nil, fmt.Errorf("state: failback %q: %w", failback, ErrNotLocked)
	}
	if held.RunID != runID {
		return nil, &LockIDError{Failback: failback, Want: runID, Holder: *held}
	}
	// The document must be readable for the fence: find out before the
	// event is recorded.
	if _, err := s.readDoc(failback); err != nil {
		return nil, err
	}
	why := fmt.Sprintf("lock of %s@%s pid %d (run %s) removed by hand", held.Owner, held.Host, held.PID, held.RunID)
	if reason != "" {
		why += ": " + reason
	}
	ev := Event{ID: NewEventID(), Time: s.now(), RunID: held.RunID, Failback: failback, Type: "unlock", Actor: actor, Reason: why}
	if err := s.appendLocked(failback, ev); err != nil {
		return nil, fmt.Errorf("state: recording the unlock: %w", err)
	}
	if err := s.fence(failback); err != nil {
		return nil, err
	}
	path := s.lockPath(failback)
	if err := os.Remove(path); err != nil {
		return nil, fmt.Errorf("state: removing %s: %w", path, err)
	}
	return held, s.syncDir()
}

// Import stores doc and events as the failback's document and history,
// never overwriting: under the guard it first compares what the directory
// holds, then creates the history and then the document, each through a
// temp file that is fsync'd and linked into place (link(2) fails when the
// name exists, so even a writer that ignored the guard is never
// overwritten), and fsyncs the directory. A file already there with
// exactly the bytes Import would write is kept: importing again changes
// nothing, and an import interrupted between the history and the document
// is finished by the next. Anything else already there (another document,
// other events, a lock, a corrupt file) is an error matching ErrExists,
// or naming the file, and nothing is written.
//
// A doc of Version 0 is a failback never saved (what Load returns when
// there is no document): only its events are imported, and a document
// already in the store is a conflict.
func (s *FileStore) Import(ctx context.Context, doc *Document, events []Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	docData, histData, err := encodeImport(doc, events)
	if err != nil {
		return err
	}
	fb := doc.Failback
	g, err := s.guard(ctx, fb)
	if err != nil {
		return err
	}
	defer g.unlock()
	s.removeTemps(fb)

	if held, err := s.readLock(fb); err != nil {
		return err
	} else if held != nil {
		return fmt.Errorf("state: %s: %w: the failback is locked by %s@%s (run %s)", s.lockPath(fb), ErrExists, held.Owner, held.Host, held.RunID)
	}
	writeHist, err := s.importable(s.historyPath(fb), histData, MaxHistorySize)
	if err != nil {
		return err
	}
	writeDoc, err := s.importable(s.docPath(fb), docData, MaxDocumentSize)
	if err != nil {
		return err
	}
	if writeHist {
		if err := s.createFile(s.historyPath(fb), histData); err != nil {
			return err
		}
	}
	if writeDoc {
		if err := s.createFile(s.docPath(fb), docData); err != nil {
			return err
		}
	}
	return nil
}

// encodeImport checks what Import is given and encodes it as the file
// store writes it: the document as Save does (nil for a Version 0 one),
// the history as Append does, one line per event.
func encodeImport(doc *Document, events []Event) (docData, histData []byte, err error) {
	if doc == nil {
		return nil, nil, errors.New("state: Import of a nil document")
	}
	fb := doc.Failback
	if err := checkName(fb); err != nil {
		return nil, nil, err
	}
	if doc.SchemaVersion != SchemaVersion {
		return nil, nil, fmt.Errorf("state: document of failback %q has schema version %d; this build writes %d", fb, doc.SchemaVersion, SchemaVersion)
	}
	if doc.Version < 0 {
		return nil, nil, fmt.Errorf("state: document of failback %q has negative version %d", fb, doc.Version)
	}
	if doc.Version > 0 {
		if err := checkDoc(doc); err != nil {
			return nil, nil, fmt.Errorf("state: document of failback %q is invalid: %w", fb, err)
		}
		docData, err = json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return nil, nil, fmt.Errorf("state: encoding the document of failback %q: %w", fb, err)
		}
		docData = append(docData, '\n')
		if len(docData) > MaxDocumentSize {
			return nil, nil, fmt.Errorf("state: the document of failback %q is larger than %d bytes", fb, MaxDocumentSize)
		}
	}
	for i, ev := range events {
		if ev.Failback == "" {
			ev.Failback = fb
		}
		switch {
		case ev.Failback != fb:
			return nil, nil, fmt.Errorf("state: event %d of the import of failback %q is of failback %q", i+1, fb, ev.Failback)
		case ev.Time.IsZero():
			return nil, nil, fmt.Errorf("state: event %d of the import of failback %q has no time", i+1, fb)
		case ev.Type == "":
			return nil, nil, fmt.Errorf("state: event %d of the import of failback %q has no type", i+1, fb)
		}
		line, err := json.Marshal(&ev)
		if err != nil {
			return nil, nil, fmt.Errorf("state: encoding event %d of failback %q: %w", i+1, fb, err)
		}
		histData = append(append(histData, line...), '\n')
		if len(histData) > MaxHistorySize {
			return nil, nil, fmt.Errorf("state: the history of failback %q is larger than %d bytes", fb, MaxHistorySize)
		}
	}
	return docData, histData, nil
}

// importable says whether Import must create path with data (nil data: it
// must not exist, or be an empty history): false when path already
// holds exactly data, an error matching ErrExists when it holds anything
// else. The caller holds the guard.
func (s *FileStore) importable(path string, data []byte, limit int64) (bool, error) {
	have, err := readRegular(path, limit)
	if err != nil {
		return false, err
	}
	switch {
	case have == nil:
		return data != nil, nil
	case bytes.Equal(have, data):
		return false, nil
	case len(have) == 0 && data == nil && strings.HasSuffix(path, ".history.jsonl"):
		// An empty history holds no events.
		return false, nil
	}
	return false, fmt.Errorf("state: %s: %w, which is not what is being imported; nothing was overwritten", path, ErrExists)
}

// createFile creates path with data, durably, failing if it exists: temp
// file, write, fsync, link to path, remove the temp file, fsync of the
// directory. The caller holds the guard.
func (s *FileStore) createFile(path string, data []byte) error {
	tmp, f, err := s.createTemp(filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("state: writing %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("state: syncing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("state: closing %s: %w", tmp, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("state: %s: %w: it appeared while importing; nothing was overwritten", path, ErrExists)
		}
		return fmt.Errorf("state: creating %s: %w", path, err)
	}
	if err := os.Remove(tmp); err != nil {
		return fmt.Errorf("state: removing %s: %w", tmp, err)
	}
	return s.syncDir()
}
