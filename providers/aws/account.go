package aws

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/time/rate"

	"github.com/fbctl/fbctl/providers"
)

// DefaultRegion is the region used when neither the provider block nor the
// SDK's default chain (AWS_REGION, AWS_DEFAULT_REGION, the profile) names
// one. Route 53 is global and signs in us-east-1 anyway; ELBv2 calls go to
// the region, so a policy with ALB targets outside us-east-1 must set
// region.
const DefaultRegion = "us-east-1"

// MaxAttempts is the SDK's attempt budget for one API call: the first try
// and up to four retries of throttling (Throttling, PriorRequestNotComplete,
// ...), 500/502/503/504 and connection errors, with the standard
// retryer's jittered exponential backoff and retry quota.
const MaxAttempts = 5

// Default rate limit, as in the provider schema.
const (
	defaultRequestsPerSecond = 10
	defaultBurst             = 50
)

// settings is a decoded provider block.
type settings struct {
	addr       string // "aws.prod"
	region     string
	profile    string
	assumeRole string
	endpoint   string
	rps        float64
	burst      int
}

// key identifies the clients of a provider block: its address and every
// setting, so that a changed block (a reloaded policy) gets new clients.
func (s settings) key() string {
	return strings.Join([]string{s.addr, s.region, s.profile, s.assumeRole, s.endpoint,
		strconv.FormatFloat(s.rps, 'g', -1, 64), strconv.Itoa(s.burst)}, "\x00")
}

// account holds the API clients of one provider block, built on first use
// and shared by every target and check bound to the block, with one
// client-side token bucket for all of them.
type account struct {
	set     settings
	limiter *rate.Limiter
	red     *providers.Redactor
	// attempts counts the HTTP attempts the limiter let through (tests).
	attempts atomic.Int64

	mu  sync.Mutex
	r53 *route53.Client
	elb *elbv2.Client
}

// accounts is the process-wide registry of provider blocks' clients.
var accounts providers.Shared[*account]

// accountFor returns the shared clients of a provider block. A nil block
// (a kind built outside a policy) uses the SDK's defaults under the
// address "aws.default".
func accountFor(p *providers.ProviderConfig) (*account, error) {
	set, red, err := decodeProvider(p)
	if err != nil {
		return nil, err
	}
	return accounts.Get(set.key(), func() *account {
		return &account{set: set, red: red, limiter: rate.NewLimiter(rate.Limit(set.rps), set.burst)}
	}), nil
}

func decodeProvider(p *providers.ProviderConfig) (settings, *providers.Redactor, error) {
	red := &providers.Redactor{}
	set := settings{addr: ProviderType + ".default", rps: defaultRequestsPerSecond, burst: defaultBurst}
	if p == nil {
		return set, red, nil
	}
	if p.Type != "" && p.Type != ProviderType {
		return set, red, fmt.Errorf("provider %s.%s is not an %s provider", p.Type, p.Name, ProviderType)
	}
	set.addr = ProviderType + "." + p.Name
	if p.Attrs == cty.NilVal || p.Attrs.IsNull() {
		return set, red, nil
	}
	d := providers.NewDecoder("provider "+set.addr, p.Attrs, red)
	set.region = d.OptStr("region")
	set.profile = d.OptStr("profile")
	set.assumeRole = d.OptStr("assume_role")
	set.endpoint = strings.TrimRight(d.OptStr("endpoint_url"), "/")
	if red.IsSecret(d.OptStr("endpoint_url")) {
		// Transport errors quote the host and port on their own.
		if u, err := url.Parse(set.endpoint); err == nil && u.Host != "" {
			red.Add(set.endpoint, u.Host, u.Hostname())
		}
	}
	rps, _ := d.Number("requests_per_second", defaultRequestsPerSecond)
	if rps <= 0 {
		d.Fail(d.Errorf("requests_per_second must be positive"))
	}
	set.rps = rps
	set.burst = int(d.Whole("burst", defaultBurst, 1, 1<<30))
	if set.assumeRole != "" && !providers.IsRoleARN(set.assumeRole) {
		d.Fail(d.Errorf("assume_role must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"))
	}
	return set, red, red.Hide(d.Err())
}

// endpointKey names the API endpoint in run-cache and lock keys: what two
// provider blocks must share to see the same hosted zones and listeners.
func (a *account) endpointKey() string {
	if a.set.endpoint != "" {
		return a.set.endpoint
	}
	return "aws"
}

// route53 returns the account's Route 53 client.
func (a *account) route53(ctx context.Context) (*route53.Client, error) {
	if err := a.load(ctx); err != nil {
		return nil, err
	}
	return a.r53, nil
}

// elbv2 returns the account's ELBv2 client.
func (a *account) elbv2(ctx context.Context) (*elbv2.Client, error) {
	if err := a.load(ctx); err != nil {
		return nil, err
	}
	return a.elb, nil
}

// load builds the clients once. A failure is not remembered: the next
// call tries again (a profile file may appear, a context may have been
// cancelled).
func (a *account) load(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.r53 != nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(newRetryer),
		config.WithLogger(sdkLogger{red: a.red}),
		config.WithAPIOptions([]func(*middleware.Stack) error{a.addLimiter, addRequestObserver}),
	}
	if a.set.region != "" {
		opts = append(opts, config.WithRegion(a.set.region))
	}
	if a.set.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(a.set.profile))
	}
	if a.set.endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(a.set.endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return a.red.Hide(fmt.Errorf("provider %s: loading the AWS configuration: %w", a.set.addr, err))
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if a.set.assumeRole != "" {
		// The STS client shares the endpoint, the retryer and the rate
		// limiter: it is built from the same configuration.
		stsClient := sts.NewFromConfig(cfg)
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, a.set.assumeRole,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "fbctl" }))
	}
	a.r53 = route53.NewFromConfig(cfg)
	a.elb = elbv2.NewFromConfig(cfg)
	return nil
}

// newRetryer is the SDK retryer of every client: the standard retryer with
// MaxAttempts attempts. Its defaults already retry Throttling and
// PriorRequestNotComplete (both throttle codes) and HTTP 500, 502, 503 and
// 504; PriorRequestNotComplete is listed again so that the guarantee does
// not hang on the SDK's list.
func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.Backoff = testBackoff
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{
			Codes: map[string]struct{}{"PriorRequestNotComplete": {}, "Throttling": {}},
		})
	})
}

// testBackoff replaces the SDK's backoff (1s base for throttling, 50ms
// otherwise, at most 20s) in tests, which need retries, not the waits.
// Nil (the SDK's) in production.
var testBackoff retry.BackoffDelayer

// addLimiter puts the account's token bucket in front of every attempt of
// every call (retries too: each one is a request AWS counts), after the
// retry loop and before signing, so a long wait never outlives a signature.
func (a *account) addLimiter(stack *middleware.Stack) error {
	return stack.Finalize.Insert(limitMiddleware{a}, "Signing", middleware.Before)
}

type limitMiddleware struct{ a *account }

func (limitMiddleware) ID() string { return "fbctl.RateLimit" }

func (m limitMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if err := m.a.wait(ctx); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	m.a.attempts.Add(1)
	return next.HandleFinalize(ctx, in)
}

// wait takes a token from the account's bucket.
func (a *account) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return &limitError{msg: "client-side rate limit: " + err.Error(), err: err}
	}
	if err := a.limiter.Wait(ctx); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return &limitError{msg: "client-side rate limit: " + cerr.Error(), err: cerr}
		}
		// The next token comes after the deadline: fail now rather than
		// wait for nothing.
		return &limitError{
			msg: fmt.Sprintf("client-side rate limit of provider %s (%s requests/s, burst %d): the next request could not start before the deadline",
				a.set.addr, strconv.FormatFloat(a.set.rps, 'g', -1, 64), a.set.burst),
			err: context.DeadlineExceeded,
		}
	}
	return nil
}

// limitError is a call the rate limiter refused. The SDK must not retry
// it: the retry would wait for the same bucket.
type limitError struct {
	msg string
	err error
}

func (e *limitError) Error() string        { return e.msg }
func (e *limitError) Unwrap() error        { return e.err }
func (e *limitError) RetryableError() bool { return false }

// isContextErr reports whether err comes from a cancelled or expired
// context.
func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
