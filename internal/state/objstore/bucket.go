package objstore

import (
	"context"
	"errors"
)

// Bucket is the conditional object API the store needs: what S3 and GCS
// both offer (internal/state/s3store and gcsstore adapt their SDKs to it).
// Every condition is enforced by the service, atomically; the store never
// checks and then writes.
type Bucket interface {
	// Get reads key, at most limit+1 bytes of it (so the caller sees an
	// object larger than limit), with its tag (S3's ETag, GCS's
	// generation). found is false when there is no object.
	Get(ctx context.Context, key string, limit int64) (data []byte, tag string, found bool, err error)
	// Put writes data at key only if the object's tag is ifMatch or, when
	// ifMatch is "", only if there is no object. A failed condition (the
	// object changed, appeared or is gone) is an error matching
	// ErrPrecondition. It returns the new object's tag.
	Put(ctx context.Context, key string, data []byte, ifMatch string) (tag string, err error)
	// Delete removes key only if its tag is ifMatch: an error matching
	// ErrPrecondition when it has another, ErrNotFound when there is none.
	Delete(ctx context.Context, key, ifMatch string) error
	// List calls fn for each entry under prefix, paging as needed; the
	// objects come in byte order of their keys. With a delimiter, the keys
	// below the next delimiter are one Entry with Dir set (a common
	// prefix, its Key ending in the delimiter).
	List(ctx context.Context, prefix, delimiter string, fn func(Entry) error) error
	// URL names key in errors: s3://BUCKET/KEY, gs://BUCKET/KEY.
	URL(key string) string
}

// Entry is one result of Bucket.List.
type Entry struct {
	Key  string
	Size int64
	Dir  bool
}

// ErrPrecondition is matched by a Put or Delete whose condition failed.
var ErrPrecondition = errors.New("precondition failed")

// ErrNotFound is matched by a Delete of an object that is not there.
var ErrNotFound = errors.New("no such object")
