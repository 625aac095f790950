package gcsstore_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"

	"github.com/fbctl/fbctl/internal/sim/fault"
	gcssim "github.com/fbctl/fbctl/internal/sim/gcs"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/state/gcsstore"
)

func newStore(t *testing.T, svc *storage.Service, bucket string) *gcsstore.Store {
	t.Helper()
	st, err := gcsstore.New(gcsstore.Options{Service: svc, Bucket: bucket, Prefix: "p", Backoff: noBackoff})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Objects fbctl did not write, or larger than it writes, are errors naming
// them (gs://...), read with a bound.
func TestHostileObjects(t *testing.T) {
	srv := emulator(t)
	st := newStore(t, client(t, srv), "state")
	ctx := t.Context()

	srv.PutRaw("state", "p/big/state.json", bytes.Repeat([]byte(" "), state.MaxDocumentSize+1))
	if _, err := st.Load(ctx, "big"); err == nil || !strings.Contains(err.Error(), "gs://state/p/big/state.json is larger than") {
		t.Fatalf("Load of an oversized document = %v", err)
	}
	srv.PutRaw("state", "p/big/lock.json", bytes.Repeat([]byte(" "), state.MaxDocumentSize+1))
	if _, err := st.Lock(ctx, "big", state.LockInfo{RunID: "r", Expires: time.Now().Add(time.Minute)}); err == nil ||
		!strings.Contains(err.Error(), "gs://state/p/big/lock.json is larger than") {
		t.Fatalf("Lock over an oversized lock = %v", err)
	}

	srv.PutRaw("state", "p/foreign/history/00000000000000000001.json", []byte(`{"time":"2026-01-01T00:00:00Z","type":"shift","failback":"foreign"}`))
	srv.PutRaw("state", "p/foreign/history/notes.txt", []byte("hello"))
	for _, call := range []func() error{
		func() error { _, err := st.History(ctx, "foreign"); return err },
		func() error { return st.Append(ctx, "foreign", state.Event{Type: "shift"}) },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "gs://state/p/foreign/history/notes.txt is not an fbctl history object") {
			t.Fatalf("a foreign key in the history = %v", err)
		}
	}

	srv.PutRaw("state", "p/huge/history/00000000000000000001.json", bytes.Repeat([]byte(" "), 64<<10+1))
	if _, err := st.History(ctx, "huge"); err == nil || !strings.Contains(err.Error(), "gs://state/p/huge/history/00000000000000000001.json is larger than") {
		t.Fatalf("History with an oversized event = %v", err)
	}

	srv.PutRaw("state", "p/other/history/00000000000000000001.json", []byte(`{"time":"2026-01-01T00:00:00Z","type":"shift","failback":"web"}`))
	if _, err := st.History(ctx, "other"); err == nil || !strings.Contains(err.Error(), "gs://state/p/other/history/00000000000000000001.json: corrupt or foreign") {
		t.Fatalf("History with another failback's event = %v", err)
	}

	srv.PutRaw("state", "p/junk/state.json", []byte(`{"schema_version": 1, "failback": `))
	if _, err := st.Load(ctx, "junk"); err == nil || !strings.Contains(err.Error(), "gs://state/p/junk/state.json") {
		t.Fatalf("Load of corrupt JSON = %v", err)
	}
}

// hostile serves the emulator behind a handler that rewrites the answers
// of downloads: tamper gets the header to change.
func hostile(t *testing.T, srv *gcssim.Server, tamper func(h http.Header)) *storage.Service {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("alt") == "media" {
			tw := &tamperWriter{ResponseWriter: w, tamper: tamper}
			srv.ServeHTTP(tw, r)
			return
		}
		srv.ServeHTTP(w, r)
	})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	svc, err := storage.NewService(context.Background(), option.WithEndpoint(ts.URL+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

type tamperWriter struct {
	http.ResponseWriter
	tamper func(http.Header)
}

func (w *tamperWriter) WriteHeader(code int) {
	w.tamper(w.Header())
	w.ResponseWriter.WriteHeader(code)
}

// A download without a generation, or with one that is not a number, is
// refused, naming the object: no write could be conditioned on it.
func TestAnswersWithoutAGeneration(t *testing.T) {
	srv := emulator(t)
	srv.PutRaw("state", "p/web/state.json", []byte(`{}`))
	for name, tamper := range map[string]func(http.Header){
		"none":    func(h http.Header) { h.Del("X-Goog-Generation") },
		"garbage": func(h http.Header) { h.Set("X-Goog-Generation", "12abc"+strings.Repeat("x", 100)) },
		"zero":    func(h http.Header) { h.Set("X-Goog-Generation", "0") },
	} {
		st := newStore(t, hostile(t, srv, tamper), "state")
		_, err := st.Load(t.Context(), "web")
		if err == nil || !strings.Contains(err.Error(), "gs://state/p/web/state.json") {
			t.Fatalf("%s: Load = %v", name, err)
		}
		if strings.Contains(err.Error(), strings.Repeat("x", 40)) {
			t.Fatalf("%s: the error quotes the whole header: %v", name, err)
		}
	}
}

// Throttling and server errors are retried (the writes are conditional,
// so a retry is safe); a refusal is not.
func TestRetries(t *testing.T) {
	srv := emulator(t)
	st := newStore(t, client(t, srv), "state")
	srv.Faults().Add(fault.Rule{Op: gcssim.OpObjectsInsert, Kind: fault.ServerError, Nth: 1})
	srv.Faults().Add(fault.Rule{Op: gcssim.OpObjectsGet, Kind: fault.Throttle, Nth: 1})
	doc := state.NewDocument("web", time.Now())
	if err := st.Save(t.Context(), doc); err != nil {
		t.Fatalf("Save through a 503: %v", err)
	}
	if _, err := st.Load(t.Context(), "web"); err != nil {
		t.Fatalf("Load through a 429: %v", err)
	}
	if c := srv.Calls(); c[gcssim.OpObjectsInsert] != 2 || c[gcssim.OpObjectsGet] != 2 {
		t.Fatalf("calls = %v, want one retry each", c)
	}
	srv.Faults().Add(fault.Rule{Op: gcssim.OpObjectsGet, Kind: fault.ServerError, Rate: 1})
	srv.ResetCalls()
	if _, err := st.Load(t.Context(), "web"); err == nil || !strings.Contains(err.Error(), "gs://state/p/web/state.json") {
		t.Fatalf("Load through endless 503s = %v", err)
	}
	if n := srv.Calls()[gcssim.OpObjectsGet]; n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
}

// Request counts of the common path, as a budget: a free lock costs one
// insert, a load one get, a save one insert, an append after a save one
// insert (no listing: its number comes from the saved version), an unlock
// one delete.
func TestRequestCounts(t *testing.T) {
	srv := emulator(t)
	st := newStore(t, client(t, srv), "state")
	ctx := t.Context()
	l, err := st.Lock(ctx, "web", state.LockInfo{RunID: "r1", Owner: "o", Expires: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := st.Load(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Save(ctx, doc); err != nil {
		t.Fatal(err)
	}
	if err := st.Append(ctx, "web", state.Event{Type: "shift"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	got := srv.Calls()
	want := map[string]int{gcssim.OpObjectsInsert: 3, gcssim.OpObjectsGet: 1, gcssim.OpObjectsList: 0, gcssim.OpObjectsDelete: 1}
	for op, n := range want {
		if got[op] != n {
			t.Fatalf("calls = %v, want %v", got, want)
		}
	}
	t.Logf("lock, load, save, append, unlock: %v", got)
}

// Errors of the API name the object and never carry credentials; a
// credentials file is read bounded and its content never quoted.
func TestErrorsHoldNoCredentials(t *testing.T) {
	srv := emulator(t)
	st := newStore(t, client(t, srv), "missing-bucket")
	_, err := st.Load(t.Context(), "web")
	if err == nil || !strings.Contains(err.Error(), "gs://missing-bucket/p/web/state.json") {
		t.Fatalf("Load from a missing bucket = %v", err)
	}
	_, err = st.Lock(t.Context(), "web", state.LockInfo{RunID: "r", Expires: time.Now().Add(time.Minute)})
	if err == nil || !strings.Contains(err.Error(), "gs://missing-bucket/p/web/lock.json") || !strings.Contains(err.Error(), "404") {
		t.Fatalf("Lock in a missing bucket = %v", err)
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.History(cancelled, "web"); !errors.Is(err, context.Canceled) {
		t.Fatalf("History with a cancelled context = %v", err)
	}

	dir := t.TempDir()
	secret := "-----BEGIN PRIVATE KEY-----very-secret-key"
	for name, content := range map[string]string{
		"wrong-type.json": `{"type":"` + secret + `","private_key":"` + secret + `"}`,
		"not-json.json":   secret,
		"huge.json":       `{"type":"service_account","private_key":"` + secret + strings.Repeat("x", 1<<20) + `"}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := gcsstore.NewClient(t.Context(), gcsstore.Config{Bucket: "b", CredentialsFile: path})
		if err == nil || !strings.Contains(err.Error(), "credentials_file") {
			t.Fatalf("%s: NewClient = %v", name, err)
		}
		if strings.Contains(err.Error(), "very-secret-key") {
			t.Fatalf("%s: the error holds the credential: %v", name, err)
		}
	}
	if _, err := gcsstore.NewClient(t.Context(), gcsstore.Config{Bucket: "b", CredentialsFile: "/dev/zero"}); err == nil {
		t.Fatal("a device as credentials_file was read")
	}
}

func TestEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:4443":          "http://127.0.0.1:4443/storage/v1/",
		"http://127.0.0.1:4443/":         "http://127.0.0.1:4443/storage/v1/",
		"https://gcs.example/storage/v1": "https://gcs.example/storage/v1/",
		" http://h:1/storage/v1/ ":       "http://h:1/storage/v1/",
		"ftp://h":                        "",
		"http://user:pw@h/":              "",
		"h:80":                           "",
		"http://h/?token=x":              "",
		"":                               "",
	} {
		got, err := gcsstore.Endpoint(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("Endpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// Open with an endpoint_url talks to the emulator without credentials.
func TestOpenWithEndpoint(t *testing.T) {
	srv := emulator(t)
	st, err := gcsstore.Open(t.Context(), gcsstore.Config{Bucket: "state", Prefix: "x", EndpointURL: srv.URL()}, gcsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Save(t.Context(), state.NewDocument("web", time.Now())); err != nil {
		t.Fatal(err)
	}
	if names := srv.Names("state"); len(names) != 1 || names[0] != "x/web/state.json" {
		t.Fatalf("names = %q", names)
	}
}

// An answer of endless bytes (an error body, a listing) is cut at the
// transport's bound, never read whole.
func TestEndlessAnswers(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusNotFound, http.StatusInternalServerError} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write([]byte(`{"items":[{"name":"`)) //nolint:errcheck
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for range 20 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}))
		st, err := gcsstore.Open(t.Context(), gcsstore.Config{Bucket: "state", EndpointURL: ts.URL}, gcsstore.Options{Backoff: noBackoff})
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.History(t.Context(), "web")
		if err == nil || !strings.Contains(err.Error(), "gs://state/web/history/") || len(err.Error()) > 64<<10 {
			t.Fatalf("status %d: History = %.300v (%d bytes)", status, err, len(err.Error()))
		}
		ts.Close()
	}
}

// lostAnswers serves the emulator but, for every other insert, applies
// it and then answers 503 as if the answer had been lost: the adapter's
// retry then fails its own precondition.
func lostAnswers(t *testing.T, srv *gcssim.Server) *storage.Service {
	t.Helper()
	var mu sync.Mutex
	n := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/upload/") {
			mu.Lock()
			n++
			lose := n%2 == 1
			mu.Unlock()
			if lose {
				srv.ServeHTTP(httptest.NewRecorder(), r)
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	svc, err := storage.NewService(context.Background(), option.WithEndpoint(ts.URL+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// A conditional write whose answer was lost and whose retry failed its own
// condition is a success: no false conflict, no lock refused to its own
// holder, no event recorded twice.
func TestRetriedWriteThatLanded(t *testing.T) {
	srv := emulator(t)
	st := newStore(t, lostAnswers(t, srv), "state")
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
	for range 2 {
		if err := st.Append(ctx, "web", state.Event{Type: "shift"}); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	hist, err := st.History(ctx, "web")
	if err != nil || len(hist) != 2 {
		t.Fatalf("History = %d events, %v; want 2", len(hist), err)
	}
	if names := srv.Names("state"); len(names) != 3 {
		t.Fatalf("names = %v, want the document and two events", names)
	}
}
