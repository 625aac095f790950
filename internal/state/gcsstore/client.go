package gcsstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"

	"github.com/fbctl/fbctl/internal/safeio"
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

// maxCredentialsFile bounds the credentials_file read.
const maxCredentialsFile = 1 << 20

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

func clientOptions(ctx context.Context, cfg Config) ([]option.ClientOption, error) {
	if cfg.EndpointURL != "" {
		ep, err := Endpoint(cfg.EndpointURL)
		if err != nil {
			return nil, err
		}
		return []option.ClientOption{option.WithEndpoint(ep), option.WithoutAuthentication()}, nil
	}
	var base []option.ClientOption
	if cfg.CredentialsFile != "" {
		typ, err := credentialsType(cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		base = append(base, option.WithAuthCredentialsFile(typ, cfg.CredentialsFile))
	}
	sa := strings.TrimSpace(cfg.ImpersonateServiceAccount)
	if sa == "" {
		return append(base, option.WithScopes(storage.DevstorageReadWriteScope)), nil
	}
	ts, err := impersonate.CredentialsTokenSource(ctx, impersonate.CredentialsConfig{
		TargetPrincipal: sa,
		Scopes:          []string{storage.DevstorageReadWriteScope},
	}, base...)
	if err != nil {
		return nil, fmt.Errorf("impersonating %s: %w", sa, err)
	}
	return []option.ClientOption{option.WithTokenSource(ts)}, nil
}

// credentialsType reads the "type" of a credentials file, bounded and
// from a regular file only. Its content never appears in an error.
func credentialsType(path string) (option.CredentialsType, error) {
	b, err := safeio.ReadFile(path, maxCredentialsFile)
	if err != nil {
		return "", fmt.Errorf("reading credentials_file: %w", err)
	}
	var f struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(b, &f) != nil {
		return "", fmt.Errorf("credentials_file %s is not a JSON credentials file", path)
	}
	switch t := option.CredentialsType(f.Type); t {
	case option.ServiceAccount, option.AuthorizedUser, option.ExternalAccount, option.ImpersonatedServiceAccount:
		return t, nil
	}
	return "", fmt.Errorf("credentials_file %s has type %q; fbctl accepts service_account, authorized_user, external_account and impersonated_service_account", path, truncate(f.Type))
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
