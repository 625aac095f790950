package gcsstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	gcssim "github.com/fbctl/fbctl/internal/sim/gcs"
	"github.com/fbctl/fbctl/internal/state"
)

// The administration of the store (fbctl state list|unlock|migrate) on
// GCS: failbacks are the common prefixes of a delimited listing, paged; a
// forced unlock fences and deletes on the generation; an import is
// create-only and can be run again.
func TestAdministration(t *testing.T) {
	srv := gcssim.New(gcssim.Options{Buckets: []string{"state"}, PageSize: 2}) // listings come in pages of two
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	st := newStore(t, client(t, srv), "state")
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, fb := range []string{"web", "api", "db"} {
		if err := st.Save(ctx, state.NewDocument(fb, now)); err != nil {
			t.Fatal(err)
		}
	}
	srv.PutRaw("state", "p/README.txt", []byte("an object beside the failbacks"))
	srv.PutRaw("state", "p/Not A Name/state.json", []byte("{}"))
	names, err := st.Failbacks(ctx)
	if err != nil || strings.Join(names, ",") != "api,db,web" {
		t.Fatalf("Failbacks = %v, %v", names, err)
	}
	if n := srv.Calls()[gcssim.OpObjectsList]; n != 3 {
		t.Fatalf("%d list requests for 5 entries in pages of 2", n)
	}

	l, err := st.Lock(ctx, "web", state.LockInfo{RunID: "run-1", Owner: "o", Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := st.Load(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ForceUnlock(ctx, "web", "run-2", "ops", "test"); err == nil {
		t.Fatal("ForceUnlock of another run id succeeded")
	}
	held, err := st.ForceUnlock(ctx, "web", "run-1", "ops", "stuck run")
	if err != nil || held == nil || held.RunID != "run-1" {
		t.Fatalf("ForceUnlock = %v, %v", held, err)
	}
	if err := st.Save(ctx, doc); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("the old holder's Save after a forced unlock = %v, want a conflict", err)
	}
	_ = l.Unlock() // lost: the lock is gone or another's

	imp := state.NewDocument("imported", now)
	imp.Version = 7
	events := []state.Event{{Time: now, Type: "shift", Failback: "imported"}, {Time: now.Add(time.Minute), Type: "resume", Failback: "imported"}}
	for range 2 {
		if err := st.Import(ctx, imp, events); err != nil {
			t.Fatalf("Import: %v", err)
		}
	}
	got, err := st.Load(ctx, "imported")
	if err != nil || got.Version != 7 {
		t.Fatalf("imported document: %+v, %v", got, err)
	}
	for range 3 {
		if err := st.Append(ctx, "imported", state.Event{Type: "note"}); err != nil {
			t.Fatal(err)
		}
	}
	hist, err := st.History(ctx, "imported")
	if err != nil || len(hist) != 5 || hist[4].Type != "note" || hist[1].Type != "resume" {
		t.Fatalf("imported history: %d events, %v", len(hist), err)
	}
	other := state.NewDocument("imported", now)
	other.Version = 9
	if err := st.Import(ctx, other, nil); !errors.Is(err, state.ErrExists) {
		t.Fatalf("Import over other state = %v, want ErrExists", err)
	}
}
