package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"

	gcssim "github.com/fbctl/fbctl/internal/sim/gcs"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/state/gcsstore"
)

// TestGCSStateSharedByTwoHosts: two fbctl "hosts" (two working
// directories, two policy files) share one GCS bucket (the emulator) on a
// real HAProxy. The operator's shift on host B is seen by host A's next
// reconciles, which hold until B resumes; a third host's lock shows in A's
// status and refuses A's reconcile (exit 4); of 8 concurrent reconciles
// across A and B exactly one applies the due step; nothing is kept on
// either host's disk.
func TestGCSStateSharedByTwoHosts(t *testing.T) {
	srv := gcssim.New(gcssim.Options{Buckets: []string{"fbctl-state"}})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)

	e := newE2E(t, `bake = "1m"
    primary_healthy_for = "1m"`)
	e.stateBlock = fmt.Sprintf(`state "gcs" {
  bucket       = "fbctl-state"
  prefix       = "prod"
  endpoint_url = %q
}`, url)
	e.writePolicy(`bake = "1m"
    primary_healthy_for = "1m"`, e.hap.SocketPath, "primary")
	hostA := e.policy
	src, err := os.ReadFile(hostA)
	if err != nil {
		t.Fatal(err)
	}
	hostB := filepath.Join(t.TempDir(), "fbctl.hcl")
	if err := os.WriteFile(hostB, src, 0o644); err != nil {
		t.Fatal(err)
	}
	on := func(policy string, f func(g *Global, s IO) error) (ExitCode, string) {
		t.Helper()
		e.policy = policy
		defer func() { e.policy = hostA }()
		return e.run(f)
	}

	e.reconcile() // host A: first evidence
	e.advance(10 * time.Second)
	code, out := on(hostB, func(g *Global, s IO) error {
		return Shift(context.Background(), s, ShiftOptions{Global: g, Name: "web", Percent: "25", Reason: "cutover"})
	})
	if code != ExitOK {
		t.Fatalf("shift on host B exited %d: %s", code, out)
	}
	for range 3 {
		e.advance(time.Minute)
		e.reconcile()
		if fb := e.lastJSON.Failbacks[0]; fb.Writes || fb.After.Phase != "manual" {
			t.Fatalf("host A moved host B's manual share: %+v", fb)
		}
	}
	if f := e.primaryFraction(); f < 20 || f > 30 {
		t.Fatalf("after host A's reconciles: primary at %.1f%%", f)
	}
	if code, out := on(hostB, func(g *Global, s IO) error {
		return Resume(context.Background(), s, ControlOptions{Global: g, Name: "web"})
	}); code != ExitOK {
		t.Fatalf("resume on host B exited %d: %s", code, out)
	}

	// A third host's run holds the lock.
	svc, err := storage.NewService(context.Background(), option.WithEndpoint(srv.Endpoint()), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	hostC, err := gcsstore.New(gcsstore.Options{Service: svc, Bucket: "fbctl-state", Prefix: "prod", Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	l, err := hostC.Lock(context.Background(), "web", state.LockInfo{Owner: "carol", Host: "ops3", PID: 4242, RunID: "run-c", Expires: e.clock().Add(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if j := e.statusWeb(); j.Lock == nil || j.Lock.RunID != "run-c" || j.Lock.Stale != "" {
		t.Fatalf("host A's status: lock %+v, want host C's live lock", j.Lock)
	}
	if code, out := e.run(func(g *Global, s IO) error {
		return Reconcile(context.Background(), s, ReconcileOptions{Global: g})
	}); code != ExitLocked || !strings.Contains(out, "carol@ops3") {
		t.Fatalf("host A's reconcile while host C holds the lock exited %d: %s", code, out)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}

	// Concurrent reconciles on both hosts when a step is due: one applies it.
	e.advance(2 * time.Minute)
	type result struct {
		code ExitCode
		doc  runsDoc
		out  string
	}
	const n = 8
	results := make(chan result, n)
	for i := range n {
		policy := []string{hostA, hostB}[i%2]
		go func() {
			var stdout, stderr bytes.Buffer
			g := &Global{Policies: []string{policy}, Output: OutputJSON, Now: e.clock,
				LookupEnv: func(string) (string, bool) { return "", false }}
			err := Reconcile(context.Background(), IO{Out: &stdout, ErrOut: &stderr}, ReconcileOptions{Global: g})
			var doc runsDoc
			_ = json.Unmarshal(stdout.Bytes(), &doc)
			results <- result{CodeOf(err), doc, stdout.String() + stderr.String() + Message(err)}
		}()
	}
	applied := 0
	for range n {
		r := <-results
		switch {
		case r.code == ExitLocked:
		case r.code == ExitOK && len(r.doc.Failbacks) == 1:
			if fb := r.doc.Failbacks[0]; fb.Writes {
				applied++
			}
		default:
			t.Errorf("a concurrent reconcile exited %d: %s", r.code, r.out)
		}
	}
	if applied != 1 {
		t.Fatalf("%d of %d concurrent reconciles applied the step, want exactly 1", applied, n)
	}
	for _, dir := range []string{filepath.Dir(hostA), filepath.Dir(hostB)} {
		for _, name := range []string{"state", ".fbctl"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				t.Fatalf("%s/%s exists: with state \"gcs\" nothing is kept on disk", dir, name)
			}
		}
	}
	names := srv.Names("fbctl-state")
	if len(names) == 0 || !strings.HasPrefix(names[0], "prod/web/") {
		t.Fatalf("bucket names = %v, want the failback's objects under prod/web/", names)
	}
	t.Logf("bucket: %v; requests: %v", names, srv.Calls())
}
