package gcssim_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"

	gcssim "github.com/fbctl/fbctl/internal/sim/gcs"
)

// start serves an emulator with bucket "b" and returns it with a client
// of the generated storage/v1 package pointed at it.
func start(t *testing.T, opts gcssim.Options) (*gcssim.Server, *storage.Service) {
	t.Helper()
	if opts.Buckets == nil {
		opts.Buckets = []string{"b"}
	}
	srv := gcssim.New(opts)
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	svc, err := storage.NewService(context.Background(), option.WithEndpoint(srv.Endpoint()), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return srv, svc
}

func insert(svc *storage.Service, name, data string, ifGen *int64) (*storage.Object, error) {
	call := svc.Objects.Insert("b", &storage.Object{Name: name, ContentType: "application/json"}).
		Media(strings.NewReader(data), googleapi.ContentType("application/json"))
	if ifGen != nil {
		call = call.IfGenerationMatch(*ifGen)
	}
	return call.Context(context.Background()).Do()
}

func reason(err error) (int, string) {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return 0, ""
	}
	r := ""
	if len(ge.Errors) > 0 {
		r = ge.Errors[0].Reason
	}
	return ge.Code, r
}

func ptr(n int64) *int64 { return &n }

func TestObjectLifecycle(t *testing.T) {
	srv, svc := start(t, gcssim.Options{})
	ctx := context.Background()
	name := "p/fb 1/state+x%.json" // a slash, a space, a plus and a percent: encoded on the wire

	o1, err := insert(svc, name, `{"v":1}`, ptr(0))
	if err != nil {
		t.Fatalf("create-only insert: %v", err)
	}
	if o1.Name != name || o1.Generation <= 0 || o1.Size != 7 {
		t.Fatalf("inserted %+v", o1)
	}
	if got := srv.Names("b"); len(got) != 1 || got[0] != name {
		t.Fatalf("names = %q, want the decoded name", got)
	}
	if _, err := insert(svc, name, `{"v":1}`, ptr(0)); !isCode(err, 412, "conditionNotMet") {
		t.Fatalf("second create-only insert: %v, want 412 conditionNotMet", err)
	}

	// Media download: body and the generation headers.
	res, err := svc.Objects.Get("b", name).Context(ctx).Download()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != `{"v":1}` || res.Header.Get("X-Goog-Generation") != strconv.FormatInt(o1.Generation, 10) ||
		res.Header.Get("X-Goog-Metageneration") != "1" {
		t.Fatalf("download: %q, headers %v", body, res.Header)
	}
	meta, err := svc.Objects.Get("b", name).Context(ctx).Do()
	if err != nil || meta.Generation != o1.Generation || meta.Metageneration != 1 {
		t.Fatalf("metadata get: %+v, %v", meta, err)
	}
	// ifGenerationNotMatch on get: 304 when it is the current one.
	if _, err := svc.Objects.Get("b", name).IfGenerationNotMatch(o1.Generation).Context(ctx).Do(); !googleapi.IsNotModified(err) {
		t.Fatalf("get ifGenerationNotMatch=current: %v, want 304", err)
	}
	if _, err := svc.Objects.Get("b", name).IfGenerationMatch(o1.Generation + 1).Context(ctx).Download(); !isCode(err, 412, "") {
		t.Fatalf("download with a stale generation: %v, want 412", err)
	}

	// Overwrite on the generation read; a stale one loses.
	o2, err := insert(svc, name, `{"v":2}`, ptr(o1.Generation))
	if err != nil {
		t.Fatalf("conditional overwrite: %v", err)
	}
	if o2.Generation <= o1.Generation {
		t.Fatalf("generation went from %d to %d", o1.Generation, o2.Generation)
	}
	if _, err := insert(svc, name, `{"v":3}`, ptr(o1.Generation)); !isCode(err, 412, "conditionNotMet") {
		t.Fatalf("overwrite on a stale generation: %v", err)
	}
	if _, err := insert(svc, "absent", `x`, ptr(o1.Generation)); !isCode(err, 412, "conditionNotMet") {
		t.Fatalf("overwrite of a missing object: %v, want 412", err)
	}

	// Delete: a stale generation is 412, the current one removes it, then 404.
	if err := svc.Objects.Delete("b", name).IfGenerationMatch(o1.Generation).Context(ctx).Do(); !isCode(err, 412, "conditionNotMet") {
		t.Fatalf("delete on a stale generation: %v", err)
	}
	if err := svc.Objects.Delete("b", name).IfGenerationMatch(o2.Generation).Context(ctx).Do(); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if err := svc.Objects.Delete("b", name).IfGenerationMatch(o2.Generation).Context(ctx).Do(); !isCode(err, 404, "notFound") {
		t.Fatalf("delete of a missing object: %v, want 404", err)
	}
	if _, err := svc.Objects.Get("b", name).Context(ctx).Download(); !isCode(err, 404, "") {
		t.Fatalf("download of a missing object: %v, want 404", err)
	}
	if _, err := svc.Objects.Get("nobucket", "x").Context(ctx).Do(); !isCode(err, 404, "notFound") {
		t.Fatalf("get in a missing bucket: %v", err)
	}
	calls := srv.Calls()
	if calls[gcssim.OpObjectsInsert] != 5 || calls[gcssim.OpObjectsDelete] != 3 || calls[gcssim.OpObjectsGet] != 6 {
		t.Fatalf("calls = %v", calls)
	}
	srv.ResetCalls()
	if len(srv.Calls()) != 0 {
		t.Fatal("ResetCalls left counts")
	}
}

func isCode(err error, code int, why string) bool {
	c, r := reason(err)
	return c == code && (why == "" || r == why)
}

func TestGenerationsIncreaseUnderAFrozenClock(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	_, svc := start(t, gcssim.Options{Now: func() time.Time { return now }})
	var last int64
	for i := range 5 {
		o, err := insert(svc, "k", strconv.Itoa(i), nil)
		if err != nil {
			t.Fatal(err)
		}
		if o.Generation <= last {
			t.Fatalf("generation %d after %d", o.Generation, last)
		}
		last = o.Generation
	}
}

func TestList(t *testing.T) {
	srv, svc := start(t, gcssim.Options{})
	for _, k := range []string{"p/a/1", "p/a/2", "p/b", "p/c/1", "p/d", "q/x"} {
		srv.PutRaw("b", k, []byte(k))
	}
	ctx := context.Background()
	// Paging one entry at a time, with a delimiter: a prefix is one entry.
	var got []string
	err := svc.Objects.List("b").Prefix("p/").Delimiter("/").MaxResults(1).Pages(ctx, func(l *storage.Objects) error {
		if len(l.Items)+len(l.Prefixes) > 1 {
			t.Errorf("page of %d entries with maxResults 1", len(l.Items)+len(l.Prefixes))
		}
		for _, p := range l.Prefixes {
			got = append(got, p+"(dir)")
		}
		for _, o := range l.Items {
			got = append(got, o.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "p/a/(dir) p/b p/c/(dir) p/d"; strings.Join(got, " ") != want {
		t.Fatalf("listing = %q, want %q", got, want)
	}
	got = nil
	err = svc.Objects.List("b").Prefix("p/").MaxResults(2).Pages(ctx, func(l *storage.Objects) error {
		for _, o := range l.Items {
			got = append(got, o.Name+":"+strconv.FormatUint(o.Size, 10))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "p/a/1:5 p/a/2:5 p/b:3 p/c/1:5 p/d:3"; strings.Join(got, " ") != want {
		t.Fatalf("listing = %q, want %q", got, want)
	}
	if _, err := svc.Objects.List("b").PageToken("!!").Context(ctx).Do(); !isCode(err, 400, "invalid") {
		t.Fatalf("bad page token: %v", err)
	}
}

func TestBodyBound(t *testing.T) {
	_, svc := start(t, gcssim.Options{MaxObjectSize: 16})
	if _, err := insert(svc, "k", strings.Repeat("x", 17), nil); !isCode(err, 413, "") {
		t.Fatalf("oversize upload: %v, want 413", err)
	}
	if _, err := insert(svc, "k", strings.Repeat("x", 16), nil); err != nil {
		t.Fatalf("upload at the bound: %v", err)
	}
}

// TestRaceCreateOnly: 16 concurrent create-only uploads of one name get
// exactly one winner, the others 412, over several rounds.
func TestRaceCreateOnly(t *testing.T) {
	srv, svc := start(t, gcssim.Options{})
	for round := range 20 {
		name := "race/" + strconv.Itoa(round)
		var wins, losses int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := insert(svc, name, strconv.Itoa(i), ptr(0))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case isCode(err, 412, "conditionNotMet"):
					losses++
				default:
					t.Errorf("insert: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || losses != 15 {
			t.Fatalf("round %d: %d winners, %d losers", round, wins, losses)
		}
	}
	if n := srv.Calls()[gcssim.OpObjectsInsert]; n != 20*16 {
		t.Fatalf("%d inserts counted", n)
	}
}

func TestRawRequests(t *testing.T) {
	srv, _ := start(t, gcssim.Options{})
	gen := srv.PutRaw("b", "a/b", []byte("data"))
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/storage/v1/b/b/o/a%2Fb?alt=media", 200},
		{"GET", "/download/storage/v1/b/b/o/a%2Fb?alt=media", 200},
		{"GET", "/storage/v1/b/b/o/a%2Fb?ifGenerationMatch=x", 400},
		{"GET", "/storage/v1/b/b/o/a%2Fb?generation=" + strconv.FormatInt(gen+1, 10), 404},
		{"GET", "/storage/v1/b/b", 200},
		{"GET", "/storage/v1/b/zz", 404},
		{"PUT", "/storage/v1/b/b/o/a", 501},
		{"POST", "/upload/storage/v1/b/b/o?uploadType=resumable&name=x", 501},
		{"POST", "/upload/storage/v1/b/b/o?uploadType=media", 400}, // no name
		{"GET", "/elsewhere", 404},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL()+tc.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
		}
	}
}
