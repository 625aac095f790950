package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fbctl/fbctl/internal/state"
)

func TestResolveActor(t *testing.T) {
	env := func(v string, ok bool) func(string) (string, bool) {
		return func(k string) (string, bool) {
			if k == ActorEnv {
				return v, ok
			}
			return "", false
		}
	}
	for _, tc := range []struct {
		name    string
		flag    string
		given   bool
		env     func(string) (string, bool)
		want    string // "" with wantErr
		wantErr string
	}{
		{name: "flag wins over the variable", flag: "gitlab:pipeline/123 job/456", given: true, env: env("ci-bot", true), want: "gitlab:pipeline/123 job/456"},
		{name: "the variable", env: env("ci-bot", true), want: "ci-bot"},
		{name: "an empty variable is unset", env: env("", true), want: osUser()},
		{name: "neither: the OS user", env: env("", false), want: osUser()},
		{name: "unicode is printable", flag: "José Müller", given: true, want: "José Müller"},
		{name: "128 characters", flag: strings.Repeat("é", 128), given: true, want: strings.Repeat("é", 128)},
		{name: "empty flag", flag: "", given: true, wantErr: "invalid --actor: it is empty"},
		{name: "newline", flag: "a\nb", given: true, wantErr: "invalid --actor: character 2 is U+000A, which is not printable"},
		{name: "carriage return in the variable", env: env("a\rb", true), wantErr: "invalid FBCTL_ACTOR: character 2 is U+000D"},
		{name: "escape", flag: "\x1b[2J", given: true, wantErr: "character 1 is U+001B"},
		{name: "bidi override", flag: "me\u202Eevil", given: true, wantErr: "character 3 is U+202E"},
		{name: "invalid UTF-8", flag: "a\xffb", given: true, wantErr: "invalid --actor: it is not valid UTF-8"},
		{name: "129 characters", flag: strings.Repeat("a", 129), given: true, wantErr: "invalid --actor: it is 129 characters long; the limit is 128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &Global{LookupEnv: tc.env}
			err := g.ResolveActor(tc.flag, tc.given)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || CodeOf(err) != ExitInvalid {
					t.Fatalf("err = %v (exit %d), want exit 3 containing %q", err, CodeOf(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.Actor != tc.want {
				t.Errorf("actor = %q, want %q", g.Actor, tc.want)
			}
		})
	}
}

// TestActorOwnsTheLock: the actor is the lock's owner while a command
// holds it, as well as the actor of the event it records.
func TestActorOwnsTheLock(t *testing.T) {
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "fbctl.hcl")
	if err := os.WriteFile(policyFile, []byte(`
state "file" { path = "state" }
failback "web" {
  primary   = "dc1"
  secondary = "dr"
  check "tcp" "dc1" { address = "127.0.0.1:1" }
  target "haproxy_backend" "lb" {
    runtime_api = "127.0.0.1:1"
    backend     = "web"
    primary     = ["primary"]
    secondary   = ["secondary"]
  }
  rollout { steps = [25, 50, 100] }
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	const actor = "gitlab:pipeline/123 job/456"
	var owner string
	g := &Global{Policies: []string{policyFile}, Output: OutputText, Actor: actor,
		LookupEnv: func(string) (string, bool) { return "", false },
		BeforeSave: func() {
			var lock state.LockInfo
			b, err := os.ReadFile(filepath.Join(dir, "state", "web.lock"))
			if err == nil {
				err = json.Unmarshal(b, &lock)
			}
			if err != nil {
				t.Errorf("reading the lock while it is held: %v", err)
			}
			owner = lock.Owner
		}}
	var out, errOut bytes.Buffer
	streams := IO{Out: &out, ErrOut: &errOut}
	if err := Pause(context.Background(), streams, ControlOptions{Global: g, Name: "web"}); err != nil {
		t.Fatalf("pause: %v\n%s", err, errOut.String())
	}
	if owner != actor {
		t.Errorf("lock owner = %q, want %q", owner, actor)
	}
	store, err := state.OpenFile(filepath.Join(dir, "state"), state.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := store.History(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Actor != actor {
		t.Errorf("events = %+v, want one by %q", evs, actor)
	}
}
