package aws

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
)

// The token bucket of a provider block is shared by every target and check
// bound to it and limits every attempt; a burst beyond it waits, and a
// wait that would pass the deadline fails at once without a request.
// (Measured by counting requests, not time: the bucket refills one token
// every 1000 s.)
func TestRateLimiterThrottlesABurst(t *testing.T) {
	m := testenv.StartMoto(t)
	zone := m.CreateHostedZone(t, "example.com")
	m.UpsertRecordSets(t, zone, testenv.WeightedA("api.example.com", "aws", 1, "192.0.2.1"), testenv.WeightedA("api.example.com", "gcp", 1, "192.0.2.2"))
	alb := m.CreateALB(t, testenv.ALBSpec{Name: "rl"})
	p := startProxy(t, m.URL)
	slow := providerBlock(t, p.URL, map[string]cty.Value{"requests_per_second": cty.NumberFloatVal(0.001), "burst": cty.NumberIntVal(3)})
	r53 := func(pc *providers.ProviderConfig) *Route53Weighted {
		tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc, Attrs: r53Attrs(zone, "", "api.example.com", "A", []string{"aws"}, []string{"gcp"})})
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	a, b := r53(slow), r53(slow)
	ctx := testCtx(t)
	for i, tg := range []*Route53Weighted{a, b, a} {
		if _, err := tg.Observe(ctx); err != nil {
			t.Fatalf("request %d within the burst: %v", i+1, err)
		}
	}
	// The bucket is empty, for every user of the block: targets and checks.
	albTarget, err := NewALBForward(providers.Config{Name: "edge", Provider: slow,
		Attrs: albAttrs(alb.ListenerARN, "", []string{alb.TargetGroups["primary"]}, []string{alb.TargetGroups["secondary"]})})
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := b.Observe(ctx)
	_, err2 := albTarget.Apply(ctx, 5000)
	res := albHealthCheck(t, slow, alb.TargetGroups["primary"], 1, cty.NullVal(cty.Number), 5*time.Second).Probe(ctx)
	for i, err := range []error{err1, err2} {
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "client-side rate limit of provider aws.") ||
			!strings.Contains(err.Error(), "(0.001 requests/s, burst 3)") {
			t.Errorf("call %d beyond the burst: %v; want a rate-limit error wrapping DeadlineExceeded", i+1, err)
		}
	}
	if res.Healthy || !strings.Contains(res.Detail, "client-side rate limit") {
		t.Errorf("check beyond the burst: %+v", res)
	}
	if n := p.total(); n != 3 {
		t.Errorf("%d requests reached the API, want the burst of 3 (%v)", n, p.snapshot())
	}
	acct, _ := accountFor(slow)
	if n := acct.attempts.Load(); n != 3 {
		t.Errorf("limiter let %d attempts through, want 3", n)
	}

	// Another provider block has its own bucket.
	other := providerBlock(t, p.URL, map[string]cty.Value{"requests_per_second": cty.NumberFloatVal(0.001), "burst": cty.NumberIntVal(3)})
	other.Name += "_other"
	if _, err := r53(other).Observe(ctx); err != nil {
		t.Errorf("another provider block: %v", err)
	}

	// A cancelled context fails with context.Canceled, not a wait.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Observe(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// Every attempt passes the limiter, retries included.
func TestRateLimiterCountsRetries(t *testing.T) {
	m := testenv.StartMoto(t)
	zone := m.CreateHostedZone(t, "example.com")
	m.UpsertRecordSets(t, zone, testenv.WeightedA("api.example.com", "aws", 1, "192.0.2.1"), testenv.WeightedA("api.example.com", "gcp", 1, "192.0.2.2"))
	p := startProxy(t, m.URL)
	p.setFault(func(op string, n int) (int, string, bool) {
		if n < 2 {
			return 500, `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>injected</Message></Error></ErrorResponse>`, true
		}
		return 0, "", false
	})
	pc := providerBlock(t, p.URL, nil)
	tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc, Attrs: r53Attrs(zone, "", "api.example.com", "A", []string{"aws"}, []string{"gcp"})})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tg.Apply(testCtx(t), 2500); err != nil || got != 2500 {
		t.Fatalf("Apply = %v, %v", got, err)
	}
	acct, _ := accountFor(pc)
	// list (2 x 500 + 1), change (2 x 500 + 1), read-back list (1).
	if n, want := acct.attempts.Load(), int64(p.total()); n != want || n != 7 {
		t.Errorf("limiter saw %d attempts, the API %d (%v); want 7 each", n, want, p.snapshot())
	}
}

func TestRetryerRetriesWhatAWSAsksFor(t *testing.T) {
	r := newRetryer()
	if r.MaxAttempts() != 5 {
		t.Errorf("MaxAttempts = %d, want 5", r.MaxAttempts())
	}
	for _, code := range []string{"Throttling", "PriorRequestNotComplete", "ThrottlingException", "RequestLimitExceeded"} {
		if !r.IsErrorRetryable(&smithy.GenericAPIError{Code: code}) {
			t.Errorf("%s is not retried", code)
		}
	}
	for _, code := range []string{"InvalidChangeBatch", "NoSuchHostedZone", "ListenerNotFound", "AccessDenied"} {
		if r.IsErrorRetryable(&smithy.GenericAPIError{Code: code}) {
			t.Errorf("%s is retried", code)
		}
	}
	for status, want := range map[int]bool{500: true, 502: true, 503: true, 504: true, 400: false, 403: false} {
		if got := r.IsErrorRetryable(statusError(status)); got != want {
			t.Errorf("HTTP %d retryable = %v, want %v", status, got, want)
		}
	}
	if r.IsErrorRetryable(&limitError{msg: "x", err: context.DeadlineExceeded}) {
		t.Error("a rate-limit refusal is retried")
	}
}

type statusError int

func (e statusError) Error() string       { return fmt.Sprintf("HTTP %d", int(e)) }
func (e statusError) HTTPStatusCode() int { return int(e) }

func TestAccountRegistry(t *testing.T) {
	pc := providerBlock(t, "http://127.0.0.1:1", nil)
	a1, err := accountFor(pc)
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := accountFor(providerBlock(t, "http://127.0.0.1:1", nil))
	if a1 != a2 {
		t.Error("the same provider block got two sets of clients")
	}
	a3, _ := accountFor(providerBlock(t, "http://127.0.0.1:1", map[string]cty.Value{"burst": cty.NumberIntVal(7)}))
	if a3 == a1 || a3.limiter.Burst() != 7 {
		t.Error("a changed provider block shares the old clients")
	}
	def, err := accountFor(nil)
	if err != nil || def.set.addr != "aws.default" || def.limiter.Burst() != 50 || def.set.rps != 10 {
		t.Errorf("no provider block: %+v, %v", def.set, err)
	}
	for _, c := range []struct {
		attrs map[string]cty.Value
		want  string
	}{
		{map[string]cty.Value{"assume_role": cty.StringVal("fbctl-role")}, "assume_role must be an IAM role ARN"},
		{map[string]cty.Value{"requests_per_second": cty.NumberIntVal(0)}, "requests_per_second must be positive"},
		{map[string]cty.Value{"burst": cty.NumberFloatVal(1.5)}, "burst must be a whole number"},
	} {
		if _, err := accountFor(providerBlock(t, "http://127.0.0.1:1", c.attrs)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.attrs, err, c.want)
		}
	}
	// Without a region anywhere, us-east-1.
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	noRegion, _ := accountFor(providerBlock(t, "http://127.0.0.1:1", map[string]cty.Value{"region": cty.NullVal(cty.String)}))
	client, err := noRegion.route53(testCtx(t))
	if err != nil || client.Options().Region != DefaultRegion {
		t.Errorf("region fallback: %v", err)
	}
	withRegion, _ := accountFor(providerBlock(t, "http://127.0.0.1:1", map[string]cty.Value{"region": cty.StringVal("eu-west-1")}))
	if c, err := withRegion.elbv2(testCtx(t)); err != nil || c.Options().Region != "eu-west-1" {
		t.Errorf("region: %v", err)
	}
}

// assume_role: credentials come from STS AssumeRole, at the same endpoint,
// through the same limiter; profile selects a shared-config profile.
func TestAssumeRoleAndProfile(t *testing.T) {
	m := testenv.StartMoto(t)
	zone := m.CreateHostedZone(t, "example.com")
	m.UpsertRecordSets(t, zone, testenv.WeightedA("api.example.com", "aws", 1, "192.0.2.1"), testenv.WeightedA("api.example.com", "gcp", 1, "192.0.2.2"))
	p := startProxy(t, m.URL)
	attrs := r53Attrs(zone, "", "api.example.com", "A", []string{"aws"}, []string{"gcp"})

	pc := providerBlock(t, p.URL, map[string]cty.Value{"assume_role": cty.StringVal("arn:aws:iam::123456789012:role/fbctl")})
	tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc, Attrs: attrs})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if got, err := tg.Observe(testCtx(t)); err != nil || got != 5000 {
			t.Fatalf("Observe with assume_role = %v, %v", got, err)
		}
	}
	if n := p.count("AssumeRole"); n != 1 {
		t.Errorf("AssumeRole calls = %d, want 1 (the credentials are cached)", n)
	}
	acct, _ := accountFor(pc)
	if n := acct.attempts.Load(); n != int64(p.total()) {
		t.Errorf("limiter saw %d attempts, the endpoint %d: STS must share the limiter", n, p.total())
	}

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	os.WriteFile(cfgFile, []byte("[profile fbctl-test]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = PROFILESECRET\nregion = us-east-1\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	prof := providerBlock(t, p.URL, map[string]cty.Value{"profile": cty.StringVal("fbctl-test")})
	tg, _ = NewRoute53Weighted(providers.Config{Name: "dns", Provider: prof, Attrs: attrs})
	if got, err := tg.Observe(testCtx(t)); err != nil || got != 5000 {
		t.Errorf("Observe with profile = %v, %v", got, err)
	}
	missing := providerBlock(t, p.URL, map[string]cty.Value{"profile": cty.StringVal("nope")})
	tg, _ = NewRoute53Weighted(providers.Config{Name: "dns", Provider: missing, Attrs: attrs})
	if _, err := tg.Observe(testCtx(t)); err == nil || !strings.Contains(err.Error(), "provider aws.") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing profile: %v", err)
	}
}

// Credentials never show in errors; nor does a sensitive endpoint_url.
func TestErrorsCarryNoSecrets(t *testing.T) {
	const key, secret = "AKIAFBCTLTESTKEY0001", "fbctlTestSecretAccessKey/DoNotPrint0001"
	t.Setenv("AWS_ACCESS_KEY_ID", key)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	m := testenv.StartMoto(t)
	p := startProxy(t, m.URL)
	p.setFault(func(op string, n int) (int, string, bool) {
		return 403, `<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error><RequestId>r-403</RequestId></ErrorResponse>`, true
	})
	pc := providerBlock(t, p.URL, nil)
	tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc, Attrs: r53Attrs("Z1", "", "api.example.com", "A", []string{"aws"}, []string{"gcp"})})
	if err != nil {
		t.Fatal(err)
	}
	_, oerr := tg.Observe(testCtx(t))
	_, aerr := tg.Apply(testCtx(t), 5000)
	res := r53HealthCheck(t, pc, "hc", cty.NumberIntVal(18), 5*time.Second).Probe(testCtx(t))
	for _, msg := range []string{fmt.Sprint(oerr), fmt.Sprint(aerr), res.Detail} {
		if !strings.Contains(msg, "SignatureDoesNotMatch") || !strings.Contains(msg, "request id fault-") {
			t.Errorf("error %q does not name the code and request id", msg)
		}
		if strings.Contains(msg, key) || strings.Contains(msg, secret) {
			t.Errorf("error %q shows a credential", msg)
		}
	}

	// A sensitive endpoint_url is hidden from transport errors.
	attrs := providerBlock(t, "http://127.0.0.1:1", nil).Attrs.AsValueMap()
	attrs["endpoint_url"] = cty.StringVal("http://127.0.0.1:1").Mark("sensitive")
	secretPC := &providers.ProviderConfig{Type: "aws", Name: "secret_endpoint", Attrs: cty.ObjectVal(attrs)}
	tg, err = NewRoute53Weighted(providers.Config{Name: "dns", Provider: secretPC, Attrs: r53Attrs("Z1", "", "api.example.com", "A", []string{"aws"}, []string{"gcp"})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tg.Observe(testCtx(t))
	if err == nil || strings.Contains(err.Error(), "127.0.0.1") || !strings.Contains(err.Error(), "(sensitive value)") {
		t.Errorf("sensitive endpoint: %v", err)
	}
}

// The kinds' registrations build the targets.
func TestRegisteredTargets(t *testing.T) {
	reg := providers.NewRegistry()
	Register(reg)
	pc := providerBlock(t, "http://127.0.0.1:1", nil)
	for _, c := range []struct {
		kind  string
		attrs cty.Value
	}{
		{"route53_weighted", r53Attrs("Z1", "", "a.example.com", "A", []string{"a"}, []string{"b"})},
		{"alb_forward", albAttrs("arn:aws:elasticloadbalancing:us-east-1:1:listener/app/x/1/2", "", []string{"arn:a"}, []string{"arn:b"})},
	} {
		k, err := reg.Kind(providers.ClassTarget, c.kind)
		if err != nil || k.NewTarget == nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		tg, err := k.NewTarget(providers.Config{Name: "x", Provider: pc, Attrs: c.attrs})
		if err != nil || tg == nil {
			t.Errorf("%s: %v", c.kind, err)
		}
		if _, err := k.NewTarget(providers.Config{Name: "x", Provider: pc, Attrs: cty.EmptyObjectVal}); err == nil {
			t.Errorf("%s accepted an empty block", c.kind)
		}
	}
	if _, ok := any(&Route53Weighted{}).(providers.Waiter); !ok {
		t.Error("route53_weighted is not a Waiter")
	}
	if _, ok := any(&ALBForward{}).(providers.Waiter); ok {
		t.Error("alb_forward is a Waiter, but ALB changes need no wait")
	}
}
