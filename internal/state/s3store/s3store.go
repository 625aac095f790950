// Package s3store is the S3 state store (state "s3"): the object store of
// internal/state/objstore on an S3 bucket (or an S3-compatible one: MinIO,
// an emulator). This package only adapts the SDK to objstore.Bucket: S3's
// conditional writes (If-None-Match: * to create, If-Match: ETAG to
// replace or delete) are what the store's compare-and-swaps, locks and
// fences rest on; the layout and the contract are objstore's.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/fbctl/fbctl/internal/state/objstore"
)

// Client is the subset of the S3 API the store uses, with the SDK's own
// signatures (*s3.Client implements it).
type Client interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// Store is the S3 store: an objstore.Store on a Bucket.
type Store = objstore.Store

// Options configures New.
type Options struct {
	Client Client
	Bucket string
	// Prefix is the key prefix of every object ("" for the bucket's
	// root); a missing trailing slash is added.
	Prefix string
	// Now is the clock of new documents, lock expiry and event times; nil
	// means time.Now.
	Now func() time.Time
	// Ticker starts a held lock's renewal ticks (as state.FileOptions);
	// nil means a time.Ticker.
	Ticker func(d time.Duration) (ticks <-chan time.Time, stop func())
}

// New returns the store. It makes no request: a missing bucket or
// missing permissions show in the first call.
func New(opts Options) (*Store, error) {
	if opts.Client == nil {
		return nil, errors.New("state s3: no client")
	}
	if opts.Bucket == "" {
		return nil, errors.New("state s3: empty bucket")
	}
	return objstore.New(objstore.Options{Bucket: &Bucket{c: opts.Client, name: opts.Bucket}, Label: "state s3",
		Prefix: opts.Prefix, Now: opts.Now, Ticker: opts.Ticker})
}

// Bucket is an S3 bucket as an objstore.Bucket.
type Bucket struct {
	c    Client
	name string
}

var _ objstore.Bucket = (*Bucket)(nil)

// URL names an object: s3://BUCKET/KEY.
func (b *Bucket) URL(key string) string { return "s3://" + b.name + "/" + key }

// errorCode is the S3 error code of err, "" when it has none.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// conditionFailed: the object changed (or appeared) since it was read.
// 409 ConditionalRequestConflict is S3's answer to racing conditional
// writes: the same meaning, re-read before anything else.
func conditionFailed(err error) bool {
	switch errorCode(err) {
	case "PreconditionFailed", "ConditionalRequestConflict":
		return true
	}
	st := httpStatus(err)
	return st == http.StatusPreconditionFailed || st == http.StatusConflict
}

func notFound(err error) bool {
	switch errorCode(err) {
	case "NoSuchKey", "NotFound":
		return true
	}
	return false
}

// Get reads key, at most limit+1 bytes, with its ETag.
func (b *Bucket) Get(ctx context.Context, key string, limit int64) ([]byte, string, bool, error) {
	out, err := b.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.name, Key: &key})
	if notFound(err) {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return nil, "", false, err
	}
	return data, aws.ToString(out.ETag), true, nil
}

// Put writes key with If-Match: ifMatch, or If-None-Match: * when ifMatch
// is "". A 412, a 409 ConditionalRequestConflict, or a 404 (the object
// replaced is gone) is objstore.ErrPrecondition.
func (b *Bucket) Put(ctx context.Context, key string, data []byte, ifMatch string) (string, error) {
	in := &s3.PutObjectInput{Bucket: &b.name, Key: &key, Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String("application/json")}
	if ifMatch == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(ifMatch)
	}
	out, err := b.c.PutObject(ctx, in)
	if conditionFailed(err) || (ifMatch != "" && notFound(err)) {
		return "", fmt.Errorf("%w: %w", objstore.ErrPrecondition, err)
	}
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// Delete deletes key with If-Match: ifMatch.
func (b *Bucket) Delete(ctx context.Context, key, ifMatch string) error {
	_, err := b.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.name, Key: &key, IfMatch: aws.String(ifMatch)})
	switch {
	case err == nil:
		return nil
	case notFound(err):
		return fmt.Errorf("%w: %w", objstore.ErrNotFound, err)
	case conditionFailed(err):
		return fmt.Errorf("%w: %w", objstore.ErrPrecondition, err)
	}
	return err
}

// List lists with ListObjectsV2, page by page: a page's objects, then its
// common prefixes.
func (b *Bucket) List(ctx context.Context, prefix, delimiter string, fn func(objstore.Entry) error) error {
	in := &s3.ListObjectsV2Input{Bucket: &b.name, Prefix: &prefix}
	if delimiter != "" {
		in.Delimiter = &delimiter
	}
	p := s3.NewListObjectsV2Paginator(b.c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			if err := fn(objstore.Entry{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size)}); err != nil {
				return err
			}
		}
		for _, cp := range page.CommonPrefixes {
			if err := fn(objstore.Entry{Key: aws.ToString(cp.Prefix), Dir: true}); err != nil {
				return err
			}
		}
	}
	return nil
}
