package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/policy"
)

// Moving from a file store to S3: `state migrate` copies a directory's
// documents and histories into the bucket the policy names, again without
// changing anything, and list, show, history and unlock then work on the
// bucket as they did on the directory.
func TestStateMigrateIntoS3(t *testing.T) {
	srv, url := s3Bucket(t)
	e := newStateEnv(t)
	src0 := strings.Replace(statePolicy, `state "file" { path = "state" }`,
		fmt.Sprintf("state \"s3\" {\n  bucket = \"fbctl-state\"\n  prefix = \"prod\"\n  endpoint_url = %q\n}", url), 1)
	if err := os.WriteFile(e.file, []byte(src0), 0o600); err != nil {
		t.Fatal(err)
	}
	src := e.migrateSource()

	code, out, errOut, _ := e.run(OutputText, migrateCmd(src))
	wantCode(t, "migrate into S3", code, ExitOK, errOut)
	if want := "old (not in the policy): migrated: no document, 1 event\nweb: migrated: document version 1 and 2 events\n"; out != want {
		t.Errorf("migrate printed:\n%s\nwant:\n%s", out, want)
	}
	keys := srv.Keys("fbctl-state")
	code, out, errOut, _ = e.run(OutputText, migrateCmd(src))
	wantCode(t, "migrate again", code, ExitOK, errOut)
	if strings.Count(out, "already migrated") != 2 {
		t.Errorf("a second migration:\n%s", out)
	}
	if d := cmp.Diff(keys, srv.Keys("fbctl-state")); d != "" {
		t.Errorf("a second migration changed the bucket:\n%s", d)
	}

	// The bucket now answers as the directory did.
	code, out, errOut, _ = e.run(OutputJSON, showCmd("web"))
	wantCode(t, "show", code, ExitOK, errOut)
	var doc state.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Share != 5000 || doc.Version != 1 {
		t.Fatalf("show -o json from the bucket = %+v, %v\n%s", doc, err, out)
	}
	st, err := (&Global{Now: func() time.Time { return e.now }}).openStore(mustPolicyState(t, e))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Lock(context.Background(), "web", state.LockInfo{Owner: "bob", Host: "ci-7", PID: 4242, RunID: "r-ci7",
		Expires: e.now.Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut, _ = e.run(OutputText, listCmd)
	wantCode(t, "list", code, ExitOK, errOut)
	if !strings.Contains(out, "bob@ci-7") || !strings.Contains(out, "r-ci7") || !strings.Contains(out, "old") {
		t.Errorf("list from the bucket:\n%s", out)
	}
	code, _, errOut, _ = e.run(OutputText, unlockCmd("web", "r-other", "stuck"))
	wantCode(t, "unlock with another id", code, ExitLocked, errOut)
	code, _, errOut, _ = e.run(OutputText, unlockCmd("web", "r-ci7", "the CI runner was killed"))
	wantCode(t, "unlock", code, ExitOK, errOut)
	hist, err := st.History(context.Background(), "web")
	if err != nil || len(hist) != 3 || hist[2].Type != "unlock" || hist[2].Actor != "alice (CHG-7)" {
		t.Fatalf("history after the unlock = %+v, %v", hist, err)
	}
	if h, err := st.(state.LockReader).LockHolder(context.Background(), "web"); err != nil || h != nil {
		t.Fatalf("the lock after unlock: %+v, %v", h, err)
	}
	noSecret(t, out, errOut)
	for _, o := range []string{out, errOut} {
		if strings.Contains(o, testAWSSecret) {
			t.Fatalf("a credential was printed:\n%s", o)
		}
	}
}

// mustPolicyState loads the env's policy and returns its state block.
func mustPolicyState(t *testing.T, e *stateEnv) *policy.State {
	t.Helper()
	var g = e.global(OutputText)
	res := g.loadPolicy(IO{Out: &strings.Builder{}, ErrOut: &strings.Builder{}}, policy.ModeState)
	if res.diags.HasErrors() {
		t.Fatal(res.diags)
	}
	return res.policy.State
}
