package gcsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"
	htransport "google.golang.org/api/transport/http"

	"github.com/fbctl/fbctl/internal/gcpauth"
)

// Config is what a policy's `state "gcs"` block says about the client.
type Config struct {
	Bucket string
	Prefix string
	// EndpointURL points the client at an emulator of the JSON API
	// (http://HOST:PORT, or with the /storage/v1/ path); requests then go
	// without credentials, as the gcp provider's do with an endpoint_url.
	EndpointURL string
	// CredentialsFile is a credentials JSON file (service_account,
	// authorized_user, external_account, impersonated_service_account);
	// "" means Application Default Credentials.
	CredentialsFile string
	// ImpersonateServiceAccount is a service account email whose
	// short-lived tokens the credentials above obtain and use.
	ImpersonateServiceAccount string
}

// Endpoint returns the JSON API base path of an endpoint_url: the URL with
// /storage/v1/ appended when it names no path. An invalid URL is an error.
func Endpoint(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("endpoint_url must be an http or https URL without credentials, query or fragment")
	}
	p := strings.TrimRight(u.Path, "/")
	if p == "" {
		p = "/storage/v1"
	}
	u.Path, u.RawPath = p+"/", ""
	return u.String(), nil
}

// NewClient builds the JSON API client with the gcp provider's rule: an
// endpoint_url (an emulator) without authentication; else the
// credentials file (its type checked first) or Application Default
// Credentials, impersonating ImpersonateServiceAccount when set. No
// credential is ever put in an error: only the file's path and type.
func NewClient(ctx context.Context, cfg Config) (*storage.Service, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("state gcs: empty bucket")
	}
	// Token sources keep this context and refresh tokens with it later:
	// a short timeout of the caller's must not end them.
	ctx = context.WithoutCancel(ctx)
	opts, err := clientOptions(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("state gcs: %w", err)
	}
	svc, err := storage.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("state gcs: creating the Cloud Storage client: %w", err)
	}
	return svc, nil
}

// maxAnswer bounds the body of every answer: the client library reads
// error bodies and decodes JSON answers whole, so a hostile or broken
// server could otherwise make it hold any amount. The largest honest
// answer is a document (state.MaxDocumentSize) or a listing page of a
// thousand names.
const maxAnswer = 16 << 20

// boundedTransport cuts every answer's body at maxAnswer bytes, with an
// error.
type boundedTransport struct{ base http.RoundTripper }

func (t boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.base.RoundTrip(r)
	if err != nil || res.Body == nil {
		return res, err
	}
	limit := int64(maxAnswer)
	if res.StatusCode >= 300 {
		// The client quotes an error's body whole in its error.
		limit = maxErrorAnswer
	}
	res.Body = &boundedBody{rc: res.Body, left: limit, limit: limit}
	return res, nil
}

// maxErrorAnswer bounds the body of an error answer: GCS's are a few
// hundred bytes.
const maxErrorAnswer = 4 << 10

type boundedBody struct {
	rc          io.ReadCloser
	left, limit int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("the answer is larger than %d bytes", b.limit)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }

// httpClient is the client every request goes through: the default
// transport, answers bounded, with the credentials of auth (none for an
// emulator).
func httpClient(ctx context.Context, auth []option.ClientOption) (*http.Client, error) {
	base := boundedTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	if auth == nil {
		return &http.Client{Transport: base}, nil
	}
	rt, err := htransport.NewTransport(ctx, base, auth...)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: rt}, nil
}

func clientOptions(ctx context.Context, cfg Config) ([]option.ClientOption, error) {
	if cfg.EndpointURL != "" {
		ep, err := Endpoint(cfg.EndpointURL)
		if err != nil {
			return nil, err
		}
		hc, err := httpClient(ctx, nil)
		if err != nil {
			return nil, err
		}
		return []option.ClientOption{option.WithEndpoint(ep), option.WithHTTPClient(hc)}, nil
	}
	auth, err := gcpauth.Options(ctx, cfg.CredentialsFile, strings.TrimSpace(cfg.ImpersonateServiceAccount), storage.DevstorageReadWriteScope)
	if err != nil {
		return nil, err
	}
	hc, err := httpClient(ctx, auth)
	if err != nil {
		return nil, fmt.Errorf("building the authenticated transport: %w", err)
	}
	return []option.ClientOption{option.WithHTTPClient(hc)}, nil
}

// Open builds the client and the store.
func Open(ctx context.Context, cfg Config, opts Options) (*Store, error) {
	svc, err := NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opts.Service, opts.Bucket, opts.Prefix = svc, cfg.Bucket, cfg.Prefix
	return New(opts)
}
