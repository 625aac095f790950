//go:build unix

package state

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Failbacks reads names only: stray entries (guards, temp files, foreign
// files, directories with state-like names) do not break a listing, and a
// store whose directory does not exist lists nothing and creates nothing.
func TestFileFailbacksStrayEntries(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := openStore(t, dir, newClock())
	got, err := s.Failbacks(t.Context())
	if err != nil || len(got) != 0 {
		t.Fatalf("Failbacks of a missing directory = %q, %v; want none", got, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Failbacks created the directory: %v", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"only.guard", ".tmp-0123456789abcdef.web.json", "README", "notes.txt", ".json", ".history.jsonl",
		"bad name.json", "-x.lock", strings.Repeat("a", 64) + ".json", "web.jsonl", "web.history.json.bak",
		"dir.json/", "fifo.lock|", "link.history.jsonl@",
	} {
		path := filepath.Join(dir, strings.TrimRight(name, "/|@"))
		var err error
		switch {
		case strings.HasSuffix(name, "/"):
			err = os.Mkdir(path, 0o700)
		case strings.HasSuffix(name, "|"):
			err = syscall.Mkfifo(path, 0o600)
		case strings.HasSuffix(name, "@"):
			err = os.Symlink("/nonexistent", path)
		default:
			err = os.WriteFile(path, nil, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err = s.Failbacks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// A directory, a FIFO and a link under a state file's name are listed:
	// reading them is the error that names them, and a person must see it.
	want := []string{"dir", "fifo", "link"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Failbacks (-want +got):\n%s", d)
	}
	if _, err := s.Load(t.Context(), "fifo"); err != nil {
		t.Fatalf("Load of a failback with only a FIFO lock: %v", err)
	}
	if _, err := s.LockHolder(t.Context(), "fifo"); err == nil || !strings.Contains(err.Error(), "fifo.lock") {
		t.Fatalf("LockHolder of a FIFO lock = %v, want an error naming it", err)
	}
}

// A migration interrupted after the history and before the document is
// finished by the next Import; stray temp files of an Import that died are
// swept by the next write and never listed.
func TestFileImportInterrupted(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openStore(t, dir, clock)
	doc := fullDocument("web", clock.Now())
	doc.Version = 4
	events := []Event{{Time: clock.Now(), Type: "shift", Reason: "one"}, {Time: clock.Now().Add(time.Second), Type: "pause", Reason: "two"}}
	if err := s.Import(t.Context(), doc, events); err != nil {
		t.Fatal(err)
	}
	docBytes := readBytes(t, filepath.Join(dir, "web.json"))
	histBytes := readBytes(t, filepath.Join(dir, "web.history.jsonl"))
	// What an import that died after the history leaves.
	if err := os.Remove(filepath.Join(dir, "web.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".tmp-0123456789abcdef.web.history.jsonl"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, clock)
	if err := s.Import(t.Context(), doc, events); err != nil {
		t.Fatalf("Import after an interrupted one: %v", err)
	}
	if got := readBytes(t, filepath.Join(dir, "web.json")); string(got) != string(docBytes) {
		t.Fatalf("the document after the finished import differs:\n%s\nwant\n%s", got, docBytes)
	}
	if got := readBytes(t, filepath.Join(dir, "web.history.jsonl")); string(got) != string(histBytes) {
		t.Fatalf("the history after the finished import differs")
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Fatalf("temp files left: %v", tmp)
	}
	// The files are the store's own: mode 0600, and a Save and an Append
	// continue them.
	for _, name := range []string{"web.json", "web.history.jsonl"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	got, err := s.Load(t.Context(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(t.Context(), got); err != nil || got.Version != 5 {
		t.Fatalf("Save of the imported document: version %d, %v", got.Version, err)
	}
}

// Import never writes through a link or over a file that is not the
// store's: a symbolic link at the document's name is an error naming it,
// and nothing is created.
func TestFileImportRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openStore(t, dir, clock)
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Symlink(target, filepath.Join(dir, "web.json")); err != nil {
		t.Fatal(err)
	}
	doc := fullDocument("web", clock.Now())
	doc.Version = 2
	err := s.Import(t.Context(), doc, []Event{{Time: clock.Now(), Type: "shift"}})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "web.json")) {
		t.Fatalf("Import over a link = %v, want an error naming it", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Import wrote through the link: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "web.history.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused Import created the history: %v", err)
	}
}

// Import refuses a failback locked in the target store: a run is at work
// on it there.
func TestFileImportRefusesLocked(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openStore(t, dir, clock)
	l, err := s.Lock(t.Context(), "web", LockInfo{Owner: "bob", Host: "h", PID: 1, RunID: "r9", Expires: clock.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	doc := fullDocument("web", clock.Now())
	doc.Version = 2
	err = s.Import(t.Context(), doc, nil)
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "r9") {
		t.Fatalf("Import of a locked failback = %v, want ErrExists naming the holder's run", err)
	}
	names, _ := os.ReadDir(dir)
	for _, n := range names {
		if n.Name() == "web.json" {
			t.Fatal("a refused Import created the document")
		}
	}
}

// ForceUnlock of a failback whose document is corrupt changes nothing:
// the fence needs the document, and the event would record an unlock that
// did not happen.
func TestFileForceUnlockCorruptDocument(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	s := openStore(t, dir, clock)
	l, err := s.Lock(t.Context(), "web", LockInfo{Owner: "bob", Host: "h", PID: 1, RunID: "r9", Expires: clock.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if err := os.WriteFile(filepath.Join(dir, "web.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.ForceUnlock(t.Context(), "web", "r9", "alice", "")
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "web.json")) {
		t.Fatalf("ForceUnlock with a corrupt document = %v, want an error naming it", err)
	}
	if h, err := s.LockHolder(t.Context(), "web"); err != nil || h == nil || h.RunID != "r9" {
		t.Fatalf("the lock after a refused ForceUnlock = %v, %v; want r9's, intact", h, err)
	}
	hist, err := s.History(t.Context(), "web")
	if err != nil || len(hist) != 0 {
		t.Fatalf("history after a refused ForceUnlock = %v, %v", hist, err)
	}
	names, _ := s.Failbacks(t.Context())
	if !slices.Equal(names, []string{"web"}) {
		t.Fatalf("Failbacks = %q", names)
	}
}
