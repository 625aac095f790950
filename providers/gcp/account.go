package gcp

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"google.golang.org/api/option"

	"github.com/fbctl/fbctl/internal/gcpauth"
	"github.com/fbctl/fbctl/providers"
)

// computeScope is the OAuth scope of the Compute API calls fbctl makes.
const computeScope = "https://www.googleapis.com/auth/compute"

// settings is a decoded provider block.
type settings struct {
	addr            string // "gcp.prod"
	project         string
	credentialsFile string
	impersonate     string
	endpoint        string // without a trailing slash
}

// key identifies the clients of a provider block: its address and every
// setting, so that a changed block (a reloaded policy) gets new clients.
func (s settings) key() string {
	return strings.Join([]string{s.addr, s.project, s.credentialsFile, s.impersonate, s.endpoint}, "\x00")
}

// account holds the Compute REST clients of one provider block, built on
// first use and shared by every target and check bound to the block.
type account struct {
	set settings
	red *providers.Redactor

	mu sync.Mutex
	c  *clients
}

// clients are the REST clients fbctl uses: URL maps, backend services and
// operations, global and regional.
type clients struct {
	urlMaps               *compute.UrlMapsClient
	regionURLMaps         *compute.RegionUrlMapsClient
	backendServices       *compute.BackendServicesClient
	regionBackendServices *compute.RegionBackendServicesClient
	globalOps             *compute.GlobalOperationsClient
	regionOps             *compute.RegionOperationsClient
}

// accounts is the process-wide registry of provider blocks' clients.
var accounts providers.Shared[*account]

// accountFor returns the shared clients of a provider block. Every gcp
// kind needs one: the project comes from it.
func accountFor(p *providers.ProviderConfig) (*account, error) {
	set, red, err := decodeProvider(p)
	if err != nil {
		return nil, err
	}
	return accounts.Get(set.key(), func() *account {
		return &account{set: set, red: red}
	}), nil
}

func decodeProvider(p *providers.ProviderConfig) (settings, *providers.Redactor, error) {
	red := &providers.Redactor{}
	if p == nil {
		return settings{}, red, fmt.Errorf("a gcp kind needs a provider %q block (for its project)", ProviderType)
	}
	if p.Type != "" && p.Type != ProviderType {
		return settings{}, red, fmt.Errorf("provider %s.%s is not a %s provider", p.Type, p.Name, ProviderType)
	}
	set := settings{addr: ProviderType + "." + p.Name}
	d := providers.NewDecoder("provider "+set.addr, p.Attrs, red)
	set.project = strings.TrimSpace(d.Str("project"))
	set.credentialsFile = d.OptStr("credentials_file")
	set.impersonate = strings.TrimSpace(d.OptStr("impersonate_service_account"))
	raw := d.OptStr("endpoint_url")
	// A trailing slash would make the SDK request //compute/v1/...
	set.endpoint = strings.TrimRight(strings.TrimSpace(raw), "/")
	if set.endpoint != "" {
		u, err := url.Parse(set.endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.Fail(d.Errorf("endpoint_url must be an http or https URL"))
		} else if red.IsSecret(raw) {
			// Transport errors quote the host and port on their own.
			red.Add(set.endpoint, u.Host, u.Hostname())
		}
	}
	if set.impersonate != "" && !strings.Contains(set.impersonate, "@") {
		d.Fail(d.Errorf("impersonate_service_account must be a service account email"))
	}
	return set, red, red.Hide(d.Err())
}

// endpointKey names the API endpoint and project in run-cache and lock
// keys: what two provider blocks must share to see the same resources.
func (a *account) endpointKey() string {
	ep := a.set.endpoint
	if ep == "" {
		ep = "compute.googleapis.com"
	}
	return ep + "\x00" + a.set.project
}

// clients returns the account's clients, built once. A failure is not
// remembered: the next call tries again (ADC may appear, a context may
// have been cancelled).
func (a *account) clients(ctx context.Context) (*clients, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.c != nil {
		return a.c, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The clients outlive this call: token sources (ADC, impersonation)
	// keep the context they are built with and refresh tokens with it an
	// hour later. A probe's short timeout must not end them then; values
	// (tracing) are kept, cancellation is not.
	ctx = context.WithoutCancel(ctx)
	opts, err := a.clientOptions(ctx)
	if err != nil {
		return nil, a.red.Hide(fmt.Errorf("provider %s: %w", a.set.addr, err))
	}
	c := &clients{}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	c.urlMaps, err = compute.NewUrlMapsRESTClient(ctx, opts...)
	add(err)
	c.regionURLMaps, err = compute.NewRegionUrlMapsRESTClient(ctx, opts...)
	add(err)
	c.backendServices, err = compute.NewBackendServicesRESTClient(ctx, opts...)
	add(err)
	c.regionBackendServices, err = compute.NewRegionBackendServicesRESTClient(ctx, opts...)
	add(err)
	c.globalOps, err = compute.NewGlobalOperationsRESTClient(ctx, opts...)
	add(err)
	c.regionOps, err = compute.NewRegionOperationsRESTClient(ctx, opts...)
	add(err)
	if len(errs) > 0 {
		return nil, a.red.Hide(fmt.Errorf("provider %s: creating the Compute API clients: %w", a.set.addr, errs[0]))
	}
	a.c = c
	return c, nil
}

// clientOptions turns the provider block into client options: an
// emulator's endpoint without authentication; else the credentials of
// gcpauth (a credentials file or Application Default Credentials,
// optionally impersonating a service account).
func (a *account) clientOptions(ctx context.Context) ([]option.ClientOption, error) {
	if a.set.endpoint != "" {
		return []option.ClientOption{option.WithEndpoint(a.set.endpoint), option.WithoutAuthentication()}, nil
	}
	return gcpauth.Options(ctx, a.set.credentialsFile, a.set.impersonate, computeScope)
}

// ---- Tuning ----

// MaxAttempts is fbctl's attempt budget for one API call: the first try
// and up to four retries of HTTP 429, 5xx, 403 rateLimitExceeded (and
// userRateLimitExceeded) and transport errors, with jittered exponential
// backoff (1s, 2s, 4s, 8s). The SDK's own retries are switched off so the
// budget is exactly this one: its REST clients retry only reads, and only
// on 503 and 504.
//
// PATCH is retried too: fbctl always sends the fingerprint it read and a
// requestId, so a retried PATCH that the first attempt already applied
// fails with 412 (and fbctl re-reads) or is recognised by its requestId;
// it never applies a change twice over someone else's.
const MaxAttempts = 5

// MaxConflicts bounds the read-modify-write cycles of one write: each
// HTTP 412 conditionNotMet (another writer changed the resource since it
// was read) makes fbctl re-read and try again, at most this many times.
const MaxConflicts = 5

// Option tunes a target or check built by this package's constructors.
type Option func(*options)

type options struct {
	pollInterval time.Duration
	maxWait      time.Duration
}

func defaultOptions() options {
	return options{pollInterval: time.Second, maxWait: 10 * time.Minute}
}

func buildOptions(opts []Option) options {
	o := defaultOptions()
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// WithPollInterval sets the first wait between two operations.get polls
// of a write's operation (default 1s; it grows to 8 times that). Tests use
// a millisecond.
func WithPollInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.pollInterval = d
		}
	}
}

// WithMaxWait bounds the wait for one operation (default 10 minutes),
// whatever the context allows.
func WithMaxWait(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.maxWait = d
		}
	}
}

// backoff is the wait before retry n (1-based) of a call. Tests replace
// it: they need the retries, not the waits.
var backoff = func(n int) time.Duration {
	d := time.Second << min(n-1, 3)
	// Up to 25 % jitter, so that the failbacks of a run do not retry in
	// lockstep against one quota.
	return d + time.Duration(jitter())*d/4/1000
}
