// Package gcsstore is the Google Cloud Storage state store (state "gcs"):
// the object store of internal/state/objstore on a GCS bucket (or an
// emulator of the JSON API). This package only adapts the JSON API client
// (google.golang.org/api/storage/v1) to objstore.Bucket; the layout and
// the contract are objstore's.
//
// A tag is an object's generation, in decimal. GCS's preconditions are what
// the store's compare-and-swaps, locks and fences rest on:
//
//   - create-only: objects.insert with ifGenerationMatch=0;
//   - replace: objects.insert with ifGenerationMatch=<the generation read>;
//   - delete: objects.delete with ifGenerationMatch=<the generation read>.
//
// A 412 (conditionNotMet) is objstore.ErrPrecondition; a 404 on a read is
// "no object", on a delete objstore.ErrNotFound. Generations only grow, so
// a tag never comes back: no ABA.
//
// Everything read is input: a media download is read with the caller's
// bound, and an answer without a well-formed X-Goog-Generation header is
// refused (nothing could be conditioned on it). Requests that failed with
// 429 or 5xx, or on the transport, are retried a few times: every write
// is conditional, so a retry of a write that landed fails its own
// condition, which the store recognises (objstore's "landed").
package gcsstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/googleapi"
	storage "google.golang.org/api/storage/v1"

	"github.com/fbctl/fbctl/internal/state/objstore"
)

// Store is the GCS store: an objstore.Store on a Bucket.
type Store = objstore.Store

// Options configures New.
type Options struct {
	// Service is the JSON API client (NewClient builds one).
	Service *storage.Service
	Bucket  string
	// Prefix is the name prefix of every object ("" for the bucket's
	// root); a missing trailing slash is added.
	Prefix string
	// Now is the clock of new documents, lock expiry and event times; nil
	// means time.Now.
	Now func() time.Time
	// Ticker starts a held lock's renewal ticks (as state.FileOptions);
	// nil means a time.Ticker.
	Ticker func(d time.Duration) (ticks <-chan time.Time, stop func())
	// Backoff is the wait before retry n (1-based) of a request that
	// failed with 429, 5xx or on the transport; nil means 1s·2^(n-1), as
	// GCS asks (it allows about one write per second to one object name,
	// and answers faster ones 429). Tests set it to return 0.
	Backoff func(n int) time.Duration
}

// New returns the store. It makes no request: a missing bucket or
// missing permissions show in the first call.
func New(opts Options) (*Store, error) {
	b, err := NewBucket(opts.Service, opts.Bucket)
	if err != nil {
		return nil, err
	}
	if opts.Backoff != nil {
		b.backoff = opts.Backoff
	}
	return objstore.New(objstore.Options{Bucket: b, Label: "state gcs",
		Prefix: opts.Prefix, Now: opts.Now, Ticker: opts.Ticker})
}

// attempts bounds the tries of one request (the first and the retries).
const attempts = 3

// Bucket is a GCS bucket as an objstore.Bucket.
type Bucket struct {
	svc     *storage.Service
	name    string
	backoff func(n int) time.Duration
}

var _ objstore.Bucket = (*Bucket)(nil)

// NewBucket adapts svc's bucket name.
func NewBucket(svc *storage.Service, name string) (*Bucket, error) {
	if svc == nil {
		return nil, errors.New("state gcs: no client")
	}
	if name == "" {
		return nil, errors.New("state gcs: empty bucket")
	}
	return &Bucket{svc: svc, name: name, backoff: func(n int) time.Duration {
		return time.Second << (n - 1)
	}}, nil
}

// URL names an object: gs://BUCKET/KEY.
func (b *Bucket) URL(key string) string { return "gs://" + b.name + "/" + key }

func apiCode(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

// noBucket reports whether a 404 is about the bucket, not the object: GCS
// answers both with 404 notFound, and only the message tells them apart
// ("The specified bucket does not exist."). A missing bucket must not
// read as a missing document.
func noBucket(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return false
	}
	return strings.Contains(strings.ToLower(ge.Message+" "+ge.Body), "bucket does not exist")
}

// retryable: throttling, a server error, or a transport failure (no
// answer at all). A 4xx other than 429 is the answer.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	code := apiCode(err)
	if code == 0 {
		var ue *url.Error
		return errors.As(err, &ue)
	}
	return code == http.StatusTooManyRequests || code >= 500
}

// do runs call up to attempts times while it fails retryably.
func (b *Bucket) do(ctx context.Context, call func() error) error {
	var err error
	for n := range attempts {
		if n > 0 {
			t := time.NewTimer(b.backoff(n))
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		if err = call(); !retryable(err) {
			return err
		}
	}
	return err
}

// parseTag reads a tag: a generation, a positive decimal number.
func parseTag(tag string) (int64, error) {
	gen, err := strconv.ParseInt(tag, 10, 64)
	if err != nil || gen <= 0 {
		return 0, fmt.Errorf("%q is not a GCS generation", truncate(tag))
	}
	return gen, nil
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}

// Get downloads key, at most limit+1 bytes, with its generation (the
// X-Goog-Generation header). A 404 is found=false.
func (b *Bucket) Get(ctx context.Context, key string, limit int64) ([]byte, string, bool, error) {
	var (
		data  []byte
		tag   string
		found bool
	)
	err := b.do(ctx, func() error {
		res, err := b.svc.Objects.Get(b.name, key).Context(ctx).Download()
		if apiCode(err) == http.StatusNotFound && !noBucket(err) {
			found = false
			return nil
		}
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if data, err = io.ReadAll(io.LimitReader(res.Body, limit+1)); err != nil {
			return err
		}
		found = true
		tag = res.Header.Get("X-Goog-Generation")
		if tag == "" {
			return nil // objstore refuses an answer without a tag, naming the object
		}
		if _, err := parseTag(tag); err != nil {
			return fmt.Errorf("the answer's X-Goog-Generation: %w", err)
		}
		return nil
	})
	if err != nil || !found {
		return nil, "", false, err
	}
	return data, tag, true, nil
}

// Put inserts key with ifGenerationMatch: the generation ifMatch, or 0
// (create-only) when ifMatch is "". A 412 is objstore.ErrPrecondition.
func (b *Bucket) Put(ctx context.Context, key string, data []byte, ifMatch string) (string, error) {
	var gen int64
	if ifMatch != "" {
		var err error
		if gen, err = parseTag(ifMatch); err != nil {
			return "", err
		}
	}
	var obj *storage.Object
	err := b.do(ctx, func() error {
		var err error
		obj, err = b.svc.Objects.Insert(b.name, &storage.Object{Name: key, ContentType: "application/json"}).
			Media(bytes.NewReader(data), googleapi.ContentType("application/json"), googleapi.ChunkSize(0)).
			IfGenerationMatch(gen).Context(ctx).Do()
		return err
	})
	if apiCode(err) == http.StatusPreconditionFailed {
		return "", fmt.Errorf("%w: %w", objstore.ErrPrecondition, err)
	}
	if err != nil {
		return "", err
	}
	if obj == nil || obj.Generation <= 0 {
		return "", errors.New("the answer names no generation for the object written")
	}
	return strconv.FormatInt(obj.Generation, 10), nil
}

// Delete deletes key with ifGenerationMatch: ifMatch.
func (b *Bucket) Delete(ctx context.Context, key, ifMatch string) error {
	gen, err := parseTag(ifMatch)
	if err != nil {
		return err
	}
	err = b.do(ctx, func() error {
		return b.svc.Objects.Delete(b.name, key).IfGenerationMatch(gen).Context(ctx).Do()
	})
	switch apiCode(err) {
	case 0:
		return err
	case http.StatusNotFound:
		return fmt.Errorf("%w: %w", objstore.ErrNotFound, err)
	case http.StatusPreconditionFailed:
		return fmt.Errorf("%w: %w", objstore.ErrPrecondition, err)
	}
	return err
}

// maxListPages bounds one listing: a thousand entries a page, so a
// billion entries, far past any history objstore accepts; a server that
// keeps answering with page tokens is refused.
const maxListPages = 1 << 20

// List lists with objects.list, page by page: a page's objects, then its
// prefixes. Only the names and sizes are asked for.
func (b *Bucket) List(ctx context.Context, prefix, delimiter string, fn func(objstore.Entry) error) error {
	token := ""
	for range maxListPages {
		call := b.svc.Objects.List(b.name).Prefix(prefix).Fields("items(name,size)", "prefixes", "nextPageToken").Context(ctx)
		if delimiter != "" {
			call = call.Delimiter(delimiter)
		}
		if token != "" {
			call = call.PageToken(token)
		}
		var page *storage.Objects
		err := b.do(ctx, func() error {
			var err error
			page, err = call.Do()
			return err
		})
		if err != nil {
			return err
		}
		for _, o := range page.Items {
			if o == nil {
				continue
			}
			if err := fn(objstore.Entry{Key: o.Name, Size: int64(min(o.Size, uint64(1<<62)))}); err != nil {
				return err
			}
		}
		for _, p := range page.Prefixes {
			if err := fn(objstore.Entry{Key: p, Dir: true}); err != nil {
				return err
			}
		}
		if page.NextPageToken == "" {
			return nil
		}
		if page.NextPageToken == token {
			return fmt.Errorf("the listing of %s repeats its page token", b.URL(prefix))
		}
		token = page.NextPageToken
	}
	return fmt.Errorf("the listing of %s went on for more than %d pages", b.URL(prefix), maxListPages)
}
