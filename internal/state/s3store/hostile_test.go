package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	s3sim "github.com/fbctl/fbctl/internal/sim/s3"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/state/s3store"
)

func emulator(t *testing.T) (*s3sim.Server, string) {
	t.Helper()
	srv := s3sim.New(s3sim.Options{Buckets: []string{"state"}})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, url
}

func newStore(t *testing.T, c s3store.Client) *s3store.Store {
	t.Helper()
	st, err := s3store.New(s3store.Options{Client: c, Bucket: "state", Prefix: "p"})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Objects fbctl did not write, or larger than it writes, are errors naming
// them, read with a bound.
func TestHostileObjects(t *testing.T) {
	srv, url := emulator(t)
	st := newStore(t, client(url))
	ctx := t.Context()

	srv.PutRaw("state", "p/big/state.json", bytes.Repeat([]byte(" "), state.MaxDocumentSize+1))
	if _, err := st.Load(ctx, "big"); err == nil || !strings.Contains(err.Error(), "s3://state/p/big/state.json is larger than") {
		t.Fatalf("Load of an oversized document = %v", err)
	}
	srv.PutRaw("state", "p/big/lock.json", bytes.Repeat([]byte(" "), state.MaxDocumentSize+1))
	if _, err := st.Lock(ctx, "big", state.LockInfo{RunID: "r", Expires: time.Now().Add(time.Minute)}); err == nil ||
		!strings.Contains(err.Error(), "s3://state/p/big/lock.json is larger than") {
		t.Fatalf("Lock over an oversized lock = %v", err)
	}

	srv.PutRaw("state", "p/foreign/history/00000000000000000001.json", []byte(`{"time":"2026-01-01T00:00:00Z","type":"shift","failback":"foreign"}`))
	srv.PutRaw("state", "p/foreign/history/notes.txt", []byte("hello"))
	for _, call := range []func() error{
		func() error { _, err := st.History(ctx, "foreign"); return err },
		func() error { return st.Append(ctx, "foreign", state.Event{Type: "shift"}) },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "s3://state/p/foreign/history/notes.txt is not an fbctl history object") {
			t.Fatalf("a foreign key in the history = %v", err)
		}
	}

	srv.PutRaw("state", "p/huge/history/00000000000000000001.json", bytes.Repeat([]byte(" "), 64<<10+1))
	if _, err := st.History(ctx, "huge"); err == nil || !strings.Contains(err.Error(), "s3://state/p/huge/history/00000000000000000001.json is larger than") {
		t.Fatalf("History with an oversized event = %v", err)
	}

	srv.PutRaw("state", "p/other/history/00000000000000000001.json", []byte(`{"time":"2026-01-01T00:00:00Z","type":"shift","failback":"web"}`))
	if _, err := st.History(ctx, "other"); err == nil || !strings.Contains(err.Error(), "s3://state/p/other/history/00000000000000000001.json: corrupt or foreign") {
		t.Fatalf("History with another failback's event = %v", err)
	}
}

// landedTwice stands for the SDK retrying a write whose first attempt
// landed but whose answer was lost: every PutObject is sent twice and the
// second answer returned.
type landedTwice struct{ *s3.Client }

func (c landedTwice) PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	data, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	first := *in
	first.Body = bytes.NewReader(data)
	if _, err := c.Client.PutObject(ctx, &first, optFns...); err != nil {
		return nil, err
	}
	in.Body = bytes.NewReader(data)
	return c.Client.PutObject(ctx, in, optFns...)
}

// A conditional write that failed only because its own first attempt had
// landed is a success: no false conflict, no lock refused to its own
// holder, no event recorded twice.
func TestRetriedWriteThatLanded(t *testing.T) {
	srv, url := emulator(t)
	st := newStore(t, landedTwice{client(url)})
	ctx := t.Context()

	doc := state.NewDocument("web", time.Now())
	if err := st.Save(ctx, doc); err != nil {
		t.Fatalf("Save: %v", err)
	}
	doc.Cycle = 3
	if err := st.Save(ctx, doc); err != nil || doc.Version != 2 {
		t.Fatalf("second Save: %v (version %d)", err, doc.Version)
	}
	l, err := st.Lock(ctx, "web", state.LockInfo{RunID: "r1", Owner: "o", Expires: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if err := st.Append(ctx, "web", state.Event{Type: "shift"}); err != nil {
		t.Fatalf("Append: %v", err)
	}
	hist, err := st.History(ctx, "web")
	if err != nil || len(hist) != 1 {
		t.Fatalf("History = %d events, %v; want 1", len(hist), err)
	}
	if keys := srv.Keys("state"); len(keys) != 2 {
		t.Fatalf("keys = %v, want the document and one event", keys)
	}
}

// Errors of the S3 API name the object and never carry the credentials.
func TestErrorsHoldNoCredentials(t *testing.T) {
	_, url := emulator(t)
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSECRETTEST", "very-secret-key", "session-token-x")})
	st, err := s3store.New(s3store.Options{Client: c, Bucket: "missing-bucket"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Load(t.Context(), "web")
	if err == nil || !strings.Contains(err.Error(), "s3://missing-bucket/web/state.json") || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Fatalf("Load from a missing bucket = %v", err)
	}
	for _, secret := range []string{"AKIDSECRETTEST", "very-secret-key", "session-token-x"} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("the error holds a credential: %v", err)
		}
	}
	var cancelled context.Context
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.History(cancelled, "web"); !errors.Is(err, context.Canceled) {
		t.Fatalf("History with a cancelled context = %v", err)
	}
}

// A cron run in a fresh process costs six requests: lock, load, the
// intent's save, the result's save, one history object (its number comes
// from the saved version: no listing), unlock. The events of later runs
// come after it, and so does a takeover's.
func TestRequestsOfAFreshRun(t *testing.T) {
	srv, url := emulator(t)
	ctx := t.Context()
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	run := func(reason string) map[string]int {
		t.Helper()
		st, err := s3store.New(s3store.Options{Client: client(url), Bucket: "state", Prefix: "p", Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		srv.ResetCalls()
		l, err := st.Lock(ctx, "web", state.LockInfo{RunID: "r-" + reason, Owner: "o", Expires: now.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := st.Load(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := st.Save(ctx, doc); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Append(ctx, "web", state.Event{Type: "shift", Reason: reason}); err != nil {
			t.Fatal(err)
		}
		if err := l.Unlock(); err != nil {
			t.Fatal(err)
		}
		return srv.Calls()
	}
	for _, reason := range []string{"first", "second", "third"} {
		calls := run(reason)
		total := 0
		for _, n := range calls {
			total += n
		}
		if total != 6 || calls[s3sim.OpListObjectsV2] != 0 {
			t.Fatalf("run %s: %d requests %v, want 6 and no listing", reason, total, calls)
		}
	}
	// A takeover of an expired lock is recorded after them.
	st, err := s3store.New(s3store.Options{Client: client(url), Bucket: "state", Prefix: "p", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Lock(ctx, "web", state.LockInfo{RunID: "dead", Owner: "o", Expires: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	st2, err := s3store.New(s3store.Options{Client: client(url), Bucket: "state", Prefix: "p", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st2.Lock(ctx, "web", state.LockInfo{RunID: "next", Owner: "o", Expires: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	hist, err := st2.History(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range hist {
		got = append(got, ev.Type+":"+ev.Reason)
	}
	if len(got) != 4 || got[0] != "shift:first" || got[1] != "shift:second" || got[2] != "shift:third" || !strings.HasPrefix(got[3], "lock_takeover:") {
		t.Fatalf("history order = %v", got)
	}
}
