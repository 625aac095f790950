//go:build unix

package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// outside is a file outside the state directory that a hostile link points
// at; its bytes must never change.
type outside struct {
	dir, file, missing string
	bytes              []byte
}

func newOutside(t *testing.T) *outside {
	t.Helper()
	o := &outside{dir: t.TempDir(), bytes: []byte("precious, not fbctl's\n")}
	o.file = filepath.Join(o.dir, "precious")
	o.missing = filepath.Join(o.dir, "missing")
	if err := os.WriteFile(o.file, o.bytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return o
}

// check fails the test when anything outside the state directory changed:
// the file's bytes, or a dangling link's target that came to exist.
func (o *outside) check(t *testing.T) {
	t.Helper()
	if got := readBytes(t, o.file); !bytes.Equal(got, o.bytes) {
		t.Errorf("%s was written through a link: %q", o.file, got)
	}
	if _, err := os.Lstat(o.missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a dangling link's target %s was created (%v)", o.missing, err)
	}
	ents, err := os.ReadDir(o.dir)
	if err != nil || len(ents) != 1 {
		t.Errorf("outside directory now holds %v (%v)", ents, err)
	}
}

// hostileKinds put something other than a regular file at path.
var hostileKinds = map[string]func(t *testing.T, o *outside, path string){
	"symlink": func(t *testing.T, o *outside, path string) {
		if err := os.Symlink(o.file, path); err != nil {
			t.Fatal(err)
		}
	},
	"dangling symlink": func(t *testing.T, o *outside, path string) {
		if err := os.Symlink(o.missing, path); err != nil {
			t.Fatal(err)
		}
	},
	"symlink to /dev/null": func(t *testing.T, o *outside, path string) {
		if err := os.Symlink("/dev/null", path); err != nil {
			t.Fatal(err)
		}
	},
	"fifo": func(t *testing.T, o *outside, path string) {
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
	},
	"directory": func(t *testing.T, o *outside, path string) {
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
	},
	"char device": func(t *testing.T, o *outside, path string) {
		// The device of /dev/null (1, 3); only root may make one.
		if err := syscall.Mknod(path, syscall.S_IFCHR|0o600, 1<<8|3); err != nil {
			t.Skipf("mknod: %v", err)
		}
	},
}

// TestHostileStateDirectory puts a link, a FIFO, a device or a directory
// in place of each of a failback's files, and runs every store operation
// that opens it: each fails, promptly (a FIFO never blocks), with an error
// naming the file, and nothing outside the state directory is touched.
func TestHostileStateDirectory(t *testing.T) {
	ctx := context.Background()
	// Which operations open which file. Lock opens the history only to
	// record a takeover; the lock test below covers that.
	ops := map[string]func(s *FileStore, clock *fakeClock) error{
		"Load": func(s *FileStore, _ *fakeClock) error { _, err := s.Load(ctx, "web"); return err },
		"Save": func(s *FileStore, c *fakeClock) error { return s.Save(ctx, NewDocument("web", c.Now())) },
		"Lock": func(s *FileStore, c *fakeClock) error {
			l, err := s.Lock(ctx, "web", LockInfo{RunID: "r", Expires: c.Now().Add(time.Minute)})
			if err == nil {
				l.Unlock()
			}
			return err
		},
		"Append":  func(s *FileStore, _ *fakeClock) error { return s.Append(ctx, "web", Event{Type: "pause"}) },
		"History": func(s *FileStore, _ *fakeClock) error { _, err := s.History(ctx, "web"); return err },
	}
	files := map[string][]string{
		"web.json":          {"Load", "Save"},
		"web.history.jsonl": {"Append", "History"},
		"web.lock":          {"Lock"},
		"web.guard":         {"Save", "Lock", "Append"},
	}
	for file, opNames := range files {
		for kind, mk := range hostileKinds {
			for _, op := range opNames {
				t.Run(file+"/"+kind+"/"+op, func(t *testing.T) {
					o := newOutside(t)
					dir := t.TempDir()
					clock := newClock()
					s := openStore(t, dir, clock)
					path := filepath.Join(dir, file)
					mk(t, o, path)
					done := make(chan error, 1)
					go func() { done <- ops[op](s, clock) }()
					var err error
					select {
					case err = <-done:
					case <-time.After(10 * time.Second):
						t.Fatalf("%s blocked on a %s at %s", op, kind, path)
					}
					if err == nil || !strings.Contains(err.Error(), path) {
						t.Errorf("%s over a %s = %v, want an error naming %s", op, kind, err, path)
					}
					o.check(t)
					// The hostile file itself is left as it was.
					fi, lerr := os.Lstat(path)
					if lerr != nil || fi.Mode().IsRegular() {
						t.Errorf("%s: %v, %v: the hostile file was replaced", path, fi, lerr)
					}
				})
			}
		}
	}
}

// A state directory that is itself a link is the operator's choice, and
// followed; the refusal is for the files in it.
func TestStateDirectoryLinkIsFollowed(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "state")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, link, newClock())
	if err := s.Save(context.Background(), NewDocument("web", newClock().Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(real, "web.json")); err != nil {
		t.Error(err)
	}
}

// Every invariant of a stored document, broken one at a time: Load is an
// error naming the file and the field, and Save refuses to replace it.
func TestLoadRejectsInvalidValues(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		edit  func(m map[string]any)
		field string
	}{
		{"share above 100%", func(m map[string]any) { m["share"] = 10001 }, "share"},
		{"share 9999.99%", func(m map[string]any) { m["share"] = 999999 }, "share"},
		{"fractional share", func(m map[string]any) { m["share"] = 9999.99 }, "share"},
		{"negative share", func(m map[string]any) { m["share"] = -1 }, "share"},
		{"unknown phase", func(m map[string]any) { m["phase"] = "bogus" }, "phase"},
		{"empty phase", func(m map[string]any) { m["phase"] = "" }, "phase"},
		{"step below -1", func(m map[string]any) { m["step"] = -2 }, "step"},
		{"negative cycle", func(m map[string]any) { m["cycle"] = -1 }, "cycle"},
		{"phase_since in 9999", func(m map[string]any) { m["phase_since"] = "9999-12-31T00:00:00Z" }, "phase_since"},
		{"last_run in 1970", func(m map[string]any) { m["last_run"] = "1970-01-01T00:00:01Z" }, "last_run"},
		{"cooldown forever", func(m map[string]any) { m["cooldown_until"] = "9999-01-01T00:00:00Z" }, "cooldown_until"},
		{"observed above 100%", func(m map[string]any) { m["observed"].(map[string]any)["lb"] = 12000 }, `observed["lb"]`},
		{"negative successes", func(m map[string]any) { ev(m)["successes"] = -1 }, `evidence["primary-http"].successes`},
		{"negative failures", func(m map[string]any) { ev(m)["successes"] = 0; ev(m)["failures"] = -3 }, `evidence["primary-http"].failures`},
		{"both counters", func(m map[string]any) { ev(m)["failures"] = 2 }, `evidence["primary-http"].failures`},
		{"probe in 9999", func(m map[string]any) { ev(m)["last_probe"] = "9999-01-01T00:00:00Z" }, `evidence["primary-http"].last_probe`},
		{"intent to above 100%", func(m map[string]any) { sub(m, "intent")["to"] = 20000 }, "intent.to"},
		{"intent from negative", func(m map[string]any) { sub(m, "intent")["from"] = -5 }, "intent.from"},
		{"intent without run", func(m map[string]any) { sub(m, "intent")["run_id"] = "" }, "intent.run_id"},
		{"intent unknown phase", func(m map[string]any) { sub(m, "intent")["phase"] = "nowhere" }, "intent.phase"},
		{"approval above 100%", func(m map[string]any) { m["approvals"].([]any)[0].(map[string]any)["to"] = 10001 }, "approvals[0].to"},
		{"hold resumes nowhere", func(m map[string]any) { sub(m, "hold")["resume"] = "nowhere" }, "hold.resume"},
		{"version 0", func(m map[string]any) { m["version"] = 0 }, "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			dir := t.TempDir()
			s := openStore(t, dir, clock)
			good := fullDocument("web", clock.Now())
			if err := s.Save(ctx, good); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "web.json")
			var m map[string]any
			if err := json.Unmarshal(readBytes(t, path), &m); err != nil {
				t.Fatal(err)
			}
			tc.edit(m)
			bad, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = s.Load(ctx, "web")
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Load = %v, want an error naming %s and %s", err, path, tc.field)
			}
			if err := s.Save(ctx, good); err == nil {
				t.Error("Save replaced an invalid document")
			}
			if got := readBytes(t, path); !bytes.Equal(got, bad) {
				t.Errorf("the invalid document was rewritten:\n%s", got)
			}
		})
	}
}

func sub(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }

func ev(m map[string]any) map[string]any {
	return sub(m, "evidence")["primary-http"].(map[string]any)
}

// The history's lines are input too: only the torn beginning of one of our
// events is cut; anything else is an error naming the file, and the file is
// left as it was.
func TestForeignHistoryLines(t *testing.T) {
	ctx := context.Background()
	good := `{"time":"2026-01-02T03:04:05Z","failback":"web","type":"shift"}` + "\n"
	for _, tc := range []struct {
		name    string
		content string
		// torn: History ignores the last line and Append cuts it.
		torn bool
		line string // the line an error names, "" for the file only
	}{
		{"foreign JSON line", good + `{"hello":"world"}` + "\n" + good, false, ":2:"},
		{"not JSON", "hello world\n" + good, false, ":1:"},
		{"another failback's event", good + `{"time":"2026-01-02T03:04:05Z","failback":"api","type":"shift"}` + "\n", false, ":2:"},
		{"event without a type", `{"time":"2026-01-02T03:04:05Z","failback":"web"}` + "\n", false, ":1:"},
		{"event id too long", good + `{"id":"` + strings.Repeat("a", MaxEventIDLen+1) + `","time":"2026-01-02T03:04:05Z","failback":"web","type":"shift"}` + "\n", false, ":2:"},
		{"event id with a line break", `{"id":"ab\ncd","time":"2026-01-02T03:04:05Z","failback":"web","type":"shift"}` + "\n" + good, false, ":1:"},
		{"foreign unterminated last line", good + "# edited by hand", false, ""},
		{"foreign JSON unterminated", good + `{"hello":"wor`, false, ""},
		{"torn event", good + `{"time":"2026-01-02T03:04:05Z","failback":"w`, true, ""},
		{"torn event, first bytes", good + `{"ti`, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, newClock())
			path := filepath.Join(dir, "web.history.jsonl")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			evs, herr := s.History(ctx, "web")
			aerr := s.Append(ctx, "web", Event{Type: "pause"})
			if tc.torn {
				if herr != nil || len(evs) != 1 {
					t.Errorf("History = %v, %v; want the one complete event", evs, herr)
				}
				if aerr != nil {
					t.Fatalf("Append after a torn event: %v", aerr)
				}
				if evs, err := s.History(ctx, "web"); err != nil || len(evs) != 2 || evs[1].Type != "pause" {
					t.Errorf("History after the torn event was cut = %v, %v", evs, err)
				}
				return
			}
			if herr == nil || !strings.Contains(herr.Error(), path+tc.line) {
				t.Errorf("History = %v, want an error naming %s%s", herr, path, tc.line)
			}
			if tc.line == "" {
				// Append sees only the tail: it refuses a foreign one.
				if aerr == nil || !strings.Contains(aerr.Error(), path) {
					t.Errorf("Append = %v, want an error naming %s", aerr, path)
				}
				if got := readBytes(t, path); string(got) != tc.content {
					t.Errorf("the history was changed:\n%s", got)
				}
			}
		})
	}
}

// TestEventIDs: an event recorded before ids existed reads without one; an
// appended event keeps the id it was given, and the id is bounded.
func TestEventIDs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, newClock())
	old := `{"time":"2026-01-02T03:04:05Z","failback":"web","type":"shift"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "web.history.jsonl"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	id := NewEventID()
	if len(id) != 32 || id == NewEventID() {
		t.Fatalf("NewEventID = %q: want 32 hex digits, new each time", id)
	}
	if err := s.Append(ctx, "web", Event{ID: id, Type: "pause"}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.History(ctx, "web")
	if err != nil || len(evs) != 2 || evs[0].ID != "" || evs[1].ID != id {
		t.Fatalf("History = %+v, %v; want the old event without an id and the new one with %s", evs, err, id)
	}
	data, err := json.Marshal(evs[0])
	if err != nil || strings.Contains(string(data), `"id"`) {
		t.Errorf("an event without an id encodes as %s, %v; want no id field", data, err)
	}
}

// TestOversizedStateFiles: a document, lock or history larger than fbctl
// ever writes is refused with an error naming it, after reading at most
// its limit: reading it whole could exhaust memory.
func TestOversizedStateFiles(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		file  string
		limit int64
		op    func(s *FileStore, c *fakeClock) error
	}{
		{"web.json", MaxDocumentSize, func(s *FileStore, _ *fakeClock) error { _, err := s.Load(ctx, "web"); return err }},
		{"web.lock", MaxDocumentSize, func(s *FileStore, c *fakeClock) error {
			l, err := s.Lock(ctx, "web", LockInfo{RunID: "r", Expires: c.Now().Add(time.Minute)})
			if err == nil {
				l.Unlock()
			}
			return err
		}},
		{"web.history.jsonl", MaxHistorySize, func(s *FileStore, _ *fakeClock) error { _, err := s.History(ctx, "web"); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			dir := t.TempDir()
			clock := newClock()
			s := openStore(t, dir, clock)
			path := filepath.Join(dir, tc.file)
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			// Sparse: the test costs no disk.
			if err := f.Truncate(tc.limit + 1); err != nil {
				t.Fatal(err)
			}
			f.Close()
			err = tc.op(s, clock)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "larger than") {
				t.Errorf("over a file of %d bytes: %v, want an error naming %s and its size", tc.limit+1, err, path)
			}
			if fi, err := os.Stat(path); err != nil || fi.Size() != tc.limit+1 {
				t.Errorf("the oversized file was changed: %v, %v", fi, err)
			}
		})
	}
}
