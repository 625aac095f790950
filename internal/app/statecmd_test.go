package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// stateEnv is a policy with failbacks web and api over a file store in
// dir/state, and a fixed clock.
type stateEnv struct {
	t    *testing.T
	dir  string
	file string
	now  time.Time
	vars []string
}

const statePolicy = `
variable "key" {
  type      = string
  sensitive = true
  default   = "s3cr3t-Value-42"
}
state "file" { path = "state" }
failback "web" {
  primary   = "dc1"
  secondary = "dr"
  check "http" "dc1" { url = "http://127.0.0.1:1/healthz?token=${var.key}" }
  target "haproxy_backend" "lb" {
    runtime_api = "127.0.0.1:1"
    backend     = "web"
    primary     = ["primary"]
    secondary   = ["secondary"]
  }
}
failback "api" {
  primary   = "dc1"
  secondary = "dr"
  check "tcp" "dc1" { address = "127.0.0.1:1" }
  target "haproxy_backend" "lb" {
    runtime_api = "127.0.0.1:1"
    backend     = "api"
    primary     = ["primary"]
    secondary   = ["secondary"]
  }
}
`

const stateSecret = "s3cr3t-Value-42"

func newStateEnv(t *testing.T) *stateEnv {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "fbctl.hcl")
	if err := os.WriteFile(file, []byte(statePolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	return &stateEnv{t: t, dir: dir, file: file, now: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)}
}

func (e *stateEnv) stateDir() string { return filepath.Join(e.dir, "state") }

func (e *stateEnv) global(output string) *Global {
	return &Global{Policies: []string{e.file}, Output: output, Actor: "alice (CHG-7)", Vars: e.vars,
		LookupEnv: func(string) (string, bool) { return "", false },
		Now:       func() time.Time { return e.now }}
}

// run runs a command and returns its exit code, stdout and stderr.
func (e *stateEnv) run(output string, f func(ctx context.Context, s IO, g *Global) error) (ExitCode, string, string, error) {
	var out, errOut bytes.Buffer
	err := f(e.t.Context(), IO{Out: &out, ErrOut: &errOut}, e.global(output))
	if msg := Message(err); msg != "" {
		errOut.WriteString("Error: " + msg + "\n")
	}
	return CodeOf(err), out.String(), errOut.String(), err
}

func (e *stateEnv) store(dir string) *state.FileStore {
	e.t.Helper()
	s, err := state.OpenFile(dir, state.FileOptions{Now: func() time.Time { return e.now }})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// save stores a document for fb in the store in dir, at share pct.
func (e *stateEnv) save(dir, fb string, phase state.Phase, share providers.Share) *state.Document {
	e.t.Helper()
	s := e.store(dir)
	d := state.NewDocument(fb, e.now.Add(-time.Hour))
	d.Phase, d.Share, d.LastRun = phase, share, e.now.Add(-time.Minute)
	if share > 0 {
		d.Step = 0
		d.StepSince = e.now.Add(-time.Hour)
	}
	if err := s.Save(e.t.Context(), d); err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *stateEnv) appendEvent(dir, fb, typ, reason string) {
	e.t.Helper()
	if err := e.store(dir).Append(e.t.Context(), fb, state.Event{Time: e.now.Add(-30 * time.Minute), Type: typ, Reason: reason}); err != nil {
		e.t.Fatal(err)
	}
}

// lockFile writes the lock of another process: bob on ci-7, run runID,
// live for 10 more minutes, renewed now.
func (e *stateEnv) lockFile(dir, fb, runID string) {
	e.t.Helper()
	info := state.LockInfo{Owner: "bob", Host: "ci-7", PID: 4242, RunID: runID,
		Acquired: e.now.Add(-5 * time.Minute), Expires: e.now.Add(10 * time.Minute), Lease: 15 * time.Minute, Renewed: e.now.Add(-5 * time.Minute)}
	b, err := json.Marshal(info)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fb+".lock"), b, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func listCmd(ctx context.Context, s IO, g *Global) error {
	return StateList(ctx, s, StateListOptions{Global: g})
}

func showCmd(name string) func(ctx context.Context, s IO, g *Global) error {
	return func(ctx context.Context, s IO, g *Global) error {
		return StateShow(ctx, s, StateShowOptions{Global: g, Name: name})
	}
}

func unlockCmd(name, id, reason string) func(ctx context.Context, s IO, g *Global) error {
	return func(ctx context.Context, s IO, g *Global) error {
		return StateUnlock(ctx, s, StateUnlockOptions{Global: g, Name: name, LockID: id, Reason: reason})
	}
}

func migrateCmd(from string) func(ctx context.Context, s IO, g *Global) error {
	return func(ctx context.Context, s IO, g *Global) error {
		return StateMigrate(ctx, s, StateMigrateOptions{Global: g, From: from})
	}
}

func wantCode(t *testing.T, what string, got, want ExitCode, stderr string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: exit %d, want %d; stderr:\n%s", what, got, want, stderr)
	}
}

func noSecret(t *testing.T, outs ...string) {
	t.Helper()
	for _, o := range outs {
		if strings.Contains(o, stateSecret) {
			t.Fatalf("a sensitive value was printed:\n%s", o)
		}
	}
}

func TestStateList(t *testing.T) {
	e := newStateEnv(t)
	dir := e.stateDir()
	e.save(dir, "web", state.PhaseShifting, 2500)
	e.lockFile(dir, "web", "3f9c0a1b2c4d")
	e.appendEvent(dir, "old", "shift", "from an older policy")
	// A stray file in the store is no failback.
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hi"), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, errOut, _ := e.run(OutputText, listCmd)
	wantCode(t, "state list", code, ExitOK, errOut)
	want := []string{
		`^FAILBACK +PHASE +SHARE +VERSION +LOCK +NOTE$`,
		`^api +- +- +- +- +no state yet$`,
		`^old +- +- +- +- +not in the policy, no document$`,
		`^web +shifting +25% +1 +bob@ci-7 run 3f9c0a1b2c4d, until 03:10:00Z +-$`,
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("state list printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !matches(re, lines[i]) {
			t.Errorf("line %d = %q, want it to match %s", i+1, lines[i], re)
		}
	}

	code, out, errOut, _ = e.run(OutputJSON, listCmd)
	wantCode(t, "state list -o json", code, ExitOK, errOut)
	var doc stateListDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("state list -o json: %v\n%s", err, out)
	}
	if doc.FormatVersion != FormatVersion || doc.Store != dir || len(doc.Failbacks) != 3 {
		t.Fatalf("state list -o json = %+v", doc)
	}
	web := doc.Failbacks[2]
	if web.Name != "web" || !web.InPolicy || !web.InStore || web.Version != 1 || web.Phase != state.PhaseShifting ||
		web.Share == nil || *web.Share != 25 || web.Lock == nil || web.Lock.RunID != "3f9c0a1b2c4d" || web.Lock.Owner != "bob" || web.Lock.Stale != "" {
		t.Errorf("web = %+v, lock %+v", web, web.Lock)
	}
	if !strings.Contains(out, `"share": 25,`) {
		t.Errorf("the share is not in percent:\n%s", out)
	}
	if old := doc.Failbacks[1]; old.Name != "old" || old.InPolicy || !old.InStore || old.Version != 0 || old.Lock != nil {
		t.Errorf("old = %+v", old)
	}
	if api := doc.Failbacks[0]; api.Name != "api" || !api.InPolicy || api.InStore || api.Version != 0 {
		t.Errorf("api = %+v", api)
	}

	code, out, errOut, _ = e.run(OutputJSONL, listCmd)
	wantCode(t, "state list -o jsonl", code, ExitOK, errOut)
	if n := strings.Count(out, "\n"); n != 3 || strings.Count(out, `"format_version":"1.0"`) != 3 {
		t.Errorf("state list -o jsonl printed %d lines:\n%s", n, out)
	}

	// A stale lock says why the next run takes it over.
	e.now = e.now.Add(time.Hour)
	code, out, errOut, _ = e.run(OutputText, listCmd)
	wantCode(t, "state list, stale lock", code, ExitOK, errOut)
	if !strings.Contains(out, "bob@ci-7 run 3f9c0a1b2c4d, stale: expired at 2026-12-02T03:10:00Z") {
		t.Errorf("a stale lock is not said to be:\n%s", out)
	}
}

// A failback whose document (or lock) cannot be read is listed with the
// error naming the file; the others still are, and the command exits 1.
func TestStateListCorrupt(t *testing.T) {
	e := newStateEnv(t)
	dir := e.stateDir()
	e.save(dir, "web", state.PhaseSecondary, 0)
	if err := os.WriteFile(filepath.Join(dir, "api.json"), []byte(`{"schema_version": 1, "failback": "api", "version": 1, "phase": "sideways"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web.lock"), []byte("\x00not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, output := range []string{OutputText, OutputJSON} {
		code, out, errOut, err := e.run(output, listCmd)
		wantCode(t, "state list -o "+output, code, ExitFailure, errOut)
		if !strings.Contains(err.Error(), "the state of 2 failbacks could not be read") {
			t.Errorf("error = %v", err)
		}
		for _, name := range []string{filepath.Join(dir, "api.json"), filepath.Join(dir, "web.lock")} {
			if !strings.Contains(out, name) {
				t.Errorf("-o %s does not name %s:\n%s", output, name, out)
			}
		}
		if strings.Contains(out, "\x00") {
			t.Errorf("-o %s printed a NUL from the file:\n%q", output, out)
		}
	}
}

func TestStateShow(t *testing.T) {
	e := newStateEnv(t)
	dir := e.stateDir()
	e.save(dir, "web", state.PhaseShifting, 1000)
	// A hold whose reason quotes the sensitive value: show redacts it as
	// history does.
	s := e.store(dir)
	d, err := s.Load(t.Context(), "web")
	if err != nil {
		t.Fatal(err)
	}
	d.Phase = state.PhasePaused
	d.Hold = &state.Hold{By: "carol", At: e.now, Reason: "token " + stateSecret + " leaked", Resume: state.PhaseShifting}
	if err := s.Save(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	e.lockFile(dir, "web", "3f9c0a1b2c4d")

	code, out, errOut, _ := e.run(OutputText, showCmd("web"))
	wantCode(t, "state show web", code, ExitOK, errOut)
	for _, re := range []string{
		`(?m)^failback: +web$`, `(?m)^version: +2$`, `(?m)^phase: +paused since 2026-12-02T02:00:00Z$`,
		`(?m)^share: +10%$`, `(?m)^hold: +by carol at 2026-12-02T03:00:00Z: token \(sensitive value\) leaked$`,
		`(?m)^lock: +bob@ci-7 run 3f9c0a1b2c4d, until 03:10:00Z$`,
	} {
		if !matches(re, out) {
			t.Errorf("state show web does not match %s:\n%s", re, out)
		}
	}
	noSecret(t, out, errOut)

	code, out, errOut, _ = e.run(OutputJSON, showCmd("web"))
	wantCode(t, "state show web -o json", code, ExitOK, errOut)
	noSecret(t, out, errOut)
	var got state.Document
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("state show -o json: %v\n%s", err, out)
	}
	want, err := s.Load(t.Context(), "web")
	if err != nil {
		t.Fatal(err)
	}
	want.Hold.Reason = got.Hold.Reason
	if d := cmp.Diff(want, &got); d != "" {
		t.Errorf("state show -o json is not the stored document (-stored +printed):\n%s", d)
	}
	// The document's own JSON: its field names, shares in basis points.
	for _, field := range []string{`"schema_version": 1`, `"failback": "web"`, `"version": 2`, `"share": 1000`} {
		if !strings.Contains(out, field) {
			t.Errorf("state show -o json lacks %s:\n%s", field, out)
		}
	}
	// The stored document is the same as the printed one but for the
	// redaction: compare without the hold.
	raw, err := os.ReadFile(filepath.Join(dir, "web.json"))
	if err != nil {
		t.Fatal(err)
	}
	var stored map[string]any
	var printed map[string]any
	_ = json.Unmarshal(raw, &stored)
	_ = json.Unmarshal([]byte(out), &printed)
	delete(stored, "hold")
	delete(printed, "hold")
	if d := cmp.Diff(stored, printed); d != "" {
		t.Errorf("state show -o json differs from %s (-file +printed):\n%s", filepath.Join(dir, "web.json"), d)
	}

	// A policy failback without state, and one only in the store.
	code, out, errOut, _ = e.run(OutputText, showCmd("api"))
	wantCode(t, "state show api", code, ExitOK, errOut)
	if !matches(`(?m)^version: +0: no state yet`, out) || !matches(`(?m)^lock: +free$`, out) {
		t.Errorf("state show api:\n%s", out)
	}
	e.appendEvent(dir, "old", "shift", "")
	code, out, errOut, _ = e.run(OutputText, showCmd("old"))
	wantCode(t, "state show old", code, ExitOK, errOut)
	if !matches(`(?m)^failback: +old \(not in the policy\)$`, out) {
		t.Errorf("state show old:\n%s", out)
	}
}

func TestStateShowRefuses(t *testing.T) {
	e := newStateEnv(t)
	dir := e.stateDir()
	e.save(dir, "web", state.PhaseSecondary, 0)
	for _, tc := range []struct {
		name string
		code ExitCode
		want string
	}{
		{"nosuch", ExitInvalid, `no failback named "nosuch" in the policy or in the state store at ` + dir + `; known: api, web`},
		{"../web", ExitInvalid, `invalid failback name "../web"`},
		{"\x1b[2J", ExitInvalid, `invalid failback name "\x1b[2J"`},
		{"", ExitInvalid, `invalid failback name ""`},
	} {
		code, out, errOut, err := e.run(OutputText, showCmd(tc.name))
		wantCode(t, "state show "+tc.name, code, tc.code, errOut)
		if out != "" || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("state show %q: err %v, stdout %q; want %q", tc.name, err, out, tc.want)
		}
	}
	// A corrupt document: exit 1 naming the file.
	path := filepath.Join(dir, "web.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut, err := e.run(OutputJSON, showCmd("web"))
	wantCode(t, "state show of a corrupt document", code, ExitFailure, errOut)
	if out != "" || !strings.Contains(err.Error(), path) {
		t.Errorf("state show of a corrupt document: err %v, stdout %q", err, out)
	}
}

func TestStateUnlock(t *testing.T) {
	e := newStateEnv(t)
	dir := e.stateDir()
	e.save(dir, "web", state.PhaseSecondary, 0)
	e.lockFile(dir, "web", "3f9c0a1b2c4d")
	lockPath := filepath.Join(dir, "web.lock")
	before, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}

	// The wrong id: exit 4 naming the holder, nothing removed.
	code, out, errOut, err := e.run(OutputText, unlockCmd("web", "0123abcd", "stuck"))
	wantCode(t, "unlock with the wrong id", code, ExitLocked, errOut)
	if out != "" || !strings.Contains(err.Error(), "locked by bob@ci-7 (pid 4242, run 3f9c0a1b2c4d)") || !strings.Contains(err.Error(), "not by run 0123abcd; nothing was unlocked") {
		t.Errorf("unlock with the wrong id: err %v, stdout %q", err, out)
	}
	if after, _ := os.ReadFile(lockPath); !bytes.Equal(before, after) {
		t.Fatal("a refused unlock changed the lock file")
	}

	// The right id: removed, recorded, warned about (the lock was live).
	code, out, errOut, _ = e.run(OutputText, unlockCmd("web", "3f9c0a1b2c4d", "ci-7 died"))
	wantCode(t, "unlock", code, ExitOK, errOut)
	if out != "web: unlocked: removed the lock of bob@ci-7 (pid 4242, run 3f9c0a1b2c4d, since 2026-12-02T02:55:00Z); recorded in the history as an unlock by alice (CHG-7)\n" {
		t.Errorf("unlock printed %q", out)
	}
	if !strings.Contains(errOut, "Warning: the lock of run 3f9c0a1b2c4d had not expired") {
		t.Errorf("no warning about a live lock: %q", errOut)
	}
	if _, err := os.Stat(lockPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the lock file is still there: %v", err)
	}
	hist, err := e.store(dir).History(t.Context(), "web")
	if err != nil || len(hist) != 1 {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	if ev := hist[0]; ev.Type != "unlock" || ev.Actor != "alice (CHG-7)" || !strings.Contains(ev.Reason, "ci-7 died") || ev.RunID != "3f9c0a1b2c4d" {
		t.Errorf("unlock event = %+v", ev)
	}
	// The document was fenced: a holder still running cannot save.
	if d, err := e.store(dir).Load(t.Context(), "web"); err != nil || d.Version != 2 {
		t.Errorf("the document after the unlock: version %v, %v; want 2 (fenced)", d, err)
	}

	// Not locked any more: exit 7, and the JSON error says so.
	code, out, errOut, err = e.run(OutputJSON, unlockCmd("web", "3f9c0a1b2c4d", ""))
	wantCode(t, "unlock of no lock", code, ExitRefused, errOut)
	if out != "" || !strings.Contains(err.Error(), `failback "web" is not locked; nothing was unlocked`) {
		t.Errorf("unlock of no lock: err %v, stdout %q", err, out)
	}

	// -o json, for a failback only the store knows, with an expired lock.
	e.lockFile(dir, "old", "aaaabbbbcccc")
	e.now = e.now.Add(time.Hour)
	code, out, errOut, _ = e.run(OutputJSON, unlockCmd("old", "aaaabbbbcccc", ""))
	wantCode(t, "unlock -o json", code, ExitOK, errOut)
	var doc stateUnlockDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("unlock -o json: %v\n%s", err, out)
	}
	if doc.Command != "state unlock" || doc.Failback != "old" || doc.Live || doc.Unlocked == nil ||
		doc.Unlocked.RunID != "aaaabbbbcccc" || !strings.Contains(doc.Unlocked.Stale, "expired") || doc.Actor != "alice (CHG-7)" {
		t.Errorf("unlock -o json = %+v (%+v)", doc, doc.Unlocked)
	}
	if strings.Contains(errOut, "Warning") {
		t.Errorf("a warning about an expired lock: %q", errOut)
	}
}

func TestStateUnlockRefuses(t *testing.T) {
	e := newStateEnv(t)
	dir := e.stateDir()
	e.lockFile(dir, "web", "3f9c0a1b2c4d")
	for _, tc := range []struct {
		what, name, id, reason string
		want                   string
	}{
		{"an invalid name", "../web", "3f9c0a1b2c4d", "", `invalid failback name "../web"`},
		{"an empty id", "web", "", "", "invalid LOCK_ID: it is empty"},
		{"an id with an escape", "web", "\x1b[2Jx", "", "invalid LOCK_ID: character 1 is U+001B"},
		{"a long id", "web", strings.Repeat("a", MaxLockIDLen+1), "", "invalid LOCK_ID: it is 129 characters long"},
		{"a reason with a newline", "web", "3f9c0a1b2c4d", "a\nb", "invalid --reason: character 2 is U+000A"},
		{"a long reason", "web", "3f9c0a1b2c4d", strings.Repeat("r", MaxReasonLen+1), "invalid --reason: it is 1025 characters long"},
		{"invalid UTF-8", "web", "3f9c0a1b2c4d", "\xff", "invalid --reason: it is not valid UTF-8"},
	} {
		code, out, errOut, err := e.run(OutputText, unlockCmd(tc.name, tc.id, tc.reason))
		wantCode(t, tc.what, code, ExitInvalid, errOut)
		if out != "" || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\x1b") {
			t.Errorf("%s: err %q, stdout %q; want %q", tc.what, err, out, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "web.lock")); err != nil {
		t.Fatalf("the lock is gone after refused unlocks: %v", err)
	}
	// A corrupt lock is an error naming it, exit 1, and stays.
	path := filepath.Join(dir, "api.lock")
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut, err := e.run(OutputText, unlockCmd("api", "3f9c0a1b2c4d", ""))
	wantCode(t, "unlock of a corrupt lock", code, ExitFailure, errOut)
	if !strings.Contains(err.Error(), path) {
		t.Errorf("unlock of a corrupt lock: %v", err)
	}
}

// migrateSource makes a file store to migrate from: web with a document
// and a history, old (not in the policy) with only a history.
func (e *stateEnv) migrateSource() string {
	src := filepath.Join(e.dir, "old-state")
	e.save(src, "web", state.PhaseShifting, 5000)
	e.appendEvent(src, "web", "shift", "first")
	e.appendEvent(src, "web", "shift", "second")
	e.appendEvent(src, "old", "pause", "old one")
	return src
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if strings.HasSuffix(en.Name(), ".guard") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[en.Name()] = string(b)
	}
	return out
}

func TestStateMigrate(t *testing.T) {
	e := newStateEnv(t)
	src := e.migrateSource()
	srcBefore := snapshot(t, src)

	code, out, errOut, _ := e.run(OutputText, migrateCmd(src))
	wantCode(t, "migrate", code, ExitOK, errOut)
	want := "old (not in the policy): migrated: no document, 1 event\nweb: migrated: document version 1 and 2 events\n"
	if out != want {
		t.Errorf("migrate printed:\n%s\nwant:\n%s", out, want)
	}
	// The target holds what the source holds, byte for byte; the source
	// is as it was (its lock was taken and released).
	dst := snapshot(t, e.stateDir())
	if d := cmp.Diff(srcBefore, dst); d != "" {
		t.Errorf("target differs from the source (-source +target):\n%s", d)
	}
	if d := cmp.Diff(srcBefore, snapshot(t, src)); d != "" {
		t.Errorf("the source changed (-before +after):\n%s", d)
	}

	// Again: already migrated, nothing changed.
	code, out, errOut, _ = e.run(OutputJSON, migrateCmd(src))
	wantCode(t, "migrate again", code, ExitOK, errOut)
	var doc stateMigrateDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("migrate -o json: %v\n%s", err, out)
	}
	if doc.Command != "state migrate" || doc.From != src || doc.To != e.stateDir() || doc.ExitCode != 0 || len(doc.Failbacks) != 2 {
		t.Fatalf("migrate -o json = %+v", doc)
	}
	for _, m := range doc.Failbacks {
		if m.Outcome != migrateAlready || m.ExitCode != 0 {
			t.Errorf("second migration of %s: %+v, want already_migrated", m.Name, m)
		}
	}
	if d := cmp.Diff(dst, snapshot(t, e.stateDir())); d != "" {
		t.Errorf("a second migration changed the target:\n%s", d)
	}

	// An interrupted migration (the history copied, not the document) is
	// finished.
	if err := os.Remove(filepath.Join(e.stateDir(), "web.json")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut, _ = e.run(OutputText, migrateCmd(src))
	wantCode(t, "migrate after an interruption", code, ExitOK, errOut)
	if !strings.Contains(out, "web: migrated: document version 1 and 2 events") || !strings.Contains(out, "old (not in the policy): already migrated") {
		t.Errorf("migrate after an interruption:\n%s", out)
	}
	if d := cmp.Diff(dst, snapshot(t, e.stateDir())); d != "" {
		t.Errorf("the finished migration differs:\n%s", d)
	}
}

func TestStateMigrateConflictAndLocked(t *testing.T) {
	e := newStateEnv(t)
	src := e.migrateSource()
	e.save(src, "api", state.PhaseSecondary, 0)
	e.lockFile(src, "api", "3f9c0a1b2c4d")
	// The target already has another web.
	e.save(e.stateDir(), "web", state.PhasePrimary, 10000)
	dstBefore := snapshot(t, e.stateDir())

	code, out, errOut, err := e.run(OutputText, migrateCmd(src))
	// 7 (refused) ranks above 4 (locked).
	wantCode(t, "migrate with a conflict and a lock", code, ExitRefused, errOut)
	for _, re := range []string{
		`(?m)^api: locked: failback "api" is locked by bob@ci-7 \(pid 4242, run 3f9c0a1b2c4d\).*a run is at work on it`,
		`(?m)^old \(not in the policy\): migrated: no document, 1 event$`,
		`(?m)^web: refused: the target already holds other state for web \(0 events, document version 1\).*` + regexpQuote(filepath.Join(e.stateDir(), "web.json")),
	} {
		if !matches(re, out) {
			t.Errorf("migrate output does not match %s:\n%s", re, out)
		}
	}
	if !strings.Contains(err.Error(), "2 failbacks of 3 not migrated") {
		t.Errorf("error = %v", err)
	}
	after := snapshot(t, e.stateDir())
	if after["web.json"] != dstBefore["web.json"] {
		t.Error("a refused migration changed the target's web.json")
	}
	if _, ok := after["web.history.jsonl"]; ok {
		t.Error("a refused migration wrote web's history")
	}
	if _, ok := after["api.json"]; ok {
		t.Error("a locked failback was migrated")
	}
	// The source's lock is still the holder's.
	if b, err := os.ReadFile(filepath.Join(src, "api.lock")); err != nil || !strings.Contains(string(b), "3f9c0a1b2c4d") {
		t.Errorf("the source's lock after the migration: %s, %v", b, err)
	}

	code, out, errOut, _ = e.run(OutputJSON, migrateCmd(src))
	wantCode(t, "migrate -o json with a conflict", code, ExitRefused, errOut)
	var doc stateMigrateDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]string{}
	for _, m := range doc.Failbacks {
		got[m.Name] = m.Outcome
	}
	if d := cmp.Diff(map[string]string{"api": migrateLocked, "old": migrateAlready, "web": migrateRefused}, got); d != "" || doc.ExitCode != ExitRefused {
		t.Errorf("outcomes (-want +got):\n%s (exit %d)", d, doc.ExitCode)
	}
}

func TestStateMigrateRefuses(t *testing.T) {
	e := newStateEnv(t)
	empty := filepath.Join(e.dir, "empty")
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "README"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.save(e.stateDir(), "web", state.PhaseSecondary, 0)
	for _, tc := range []struct {
		from string
		want string
	}{
		{"", "state migrate needs --from DIR"},
		{filepath.Join(e.dir, "nope"), "invalid --from: " + filepath.Join(e.dir, "nope") + " does not exist"},
		{e.file, "invalid --from: " + e.file + " is not a directory"},
		{e.stateDir(), "is the policy's state store itself"},
		{empty, "invalid --from: " + empty + " holds no fbctl state"},
	} {
		code, out, errOut, err := e.run(OutputText, migrateCmd(tc.from))
		wantCode(t, "migrate --from "+tc.from, code, ExitInvalid, errOut)
		if out != "" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("migrate --from %q: err %v, stdout %q; want %q", tc.from, err, out, tc.want)
		}
	}

	// A corrupt source document: exit 1 naming it, nothing of it copied,
	// the others copied.
	src := e.migrateSource()
	bad := filepath.Join(src, "api.json")
	if err := os.WriteFile(bad, []byte(`{"schema_version": 9}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(e.stateDir(), "web.json")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut, _ := e.run(OutputText, migrateCmd(src))
	wantCode(t, "migrate of a corrupt source", code, ExitFailure, errOut)
	if !matches(`(?m)^api: error: state: `+regexpQuote(bad)+` has unknown schema version 9`, out) || !strings.Contains(out, "web: migrated") {
		t.Errorf("migrate of a corrupt source:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(e.stateDir(), "api.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a corrupt source document was copied: %v", err)
	}
}

func matches(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

func regexpQuote(s string) string { return regexp.QuoteMeta(s) }
