// Package gcpauth builds the credentials of Google API clients the one way
// fbctl does, for the gcp provider and the GCS state store: a credentials
// file (its type checked, as Google asks of files a program did not
// write) or Application Default Credentials, optionally impersonating a
// service account. No credential, and no byte of a credentials file,
// appears in an error: only the path and the type.
package gcpauth

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"

	"github.com/fbctl/fbctl/internal/safeio"
)

// MaxCredentialsFile bounds the read of a credentials file: one is a few
// KiB.
const MaxCredentialsFile = 1 << 20

// Options returns the client options that authenticate for scope: as
// credentialsFile when set, else by Application Default Credentials; as
// the service account sa when set (impersonation).
func Options(ctx context.Context, credentialsFile, sa, scope string) ([]option.ClientOption, error) {
	var base []option.ClientOption
	if credentialsFile != "" {
		typ, err := CredentialsType(credentialsFile)
		if err != nil {
			return nil, err
		}
		base = append(base, option.WithAuthCredentialsFile(typ, credentialsFile))
	}
	if sa == "" {
		return append(base, option.WithScopes(scope)), nil
	}
	ts, err := impersonate.CredentialsTokenSource(ctx, impersonate.CredentialsConfig{
		TargetPrincipal: sa,
		Scopes:          []string{scope},
	}, base...)
	if err != nil {
		return nil, fmt.Errorf("impersonating %s: %w", sa, err)
	}
	return []option.ClientOption{option.WithTokenSource(ts)}, nil
}

// CredentialsType reads the "type" of a credentials file, bounded and from
// a regular file only (a path to a device or a FIFO must not hang or
// exhaust a run).
func CredentialsType(path string) (option.CredentialsType, error) {
	b, err := safeio.ReadFile(path, MaxCredentialsFile)
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
	shown := f.Type
	if len(shown) > 32 {
		shown = shown[:32] + "..."
	}
	return "", fmt.Errorf("credentials_file %s has type %q; fbctl accepts service_account, authorized_user, external_account and impersonated_service_account", path, shown)
}
