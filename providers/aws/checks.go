package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/fbctl/fbctl/providers"
)

// Route53Health is the route53_health check: a Route 53 health check's
// status as GetHealthCheckStatus reports it. The check is healthy when
// MORE than threshold percent of the checkers that reported (one per
// checker region and IP) have a status report starting with "Success",
// which is Route 53's own rule at the default threshold of 18. Detail says
// "5 of 16 checkers report success", with the rule when it fails. A
// failed call is an unhealthy result whose Detail names the health check
// and the AWS error code.
type Route53Health struct {
	name      string
	acct      *account
	id        string
	threshold float64
	timeout   time.Duration
	red       *providers.Redactor
}

var _ providers.Check = (*Route53Health)(nil)

// NewRoute53Health builds a route53_health check from its block.
func NewRoute53Health(cfg providers.Config) (*Route53Health, error) {
	acct, err := accountFor(cfg.Provider)
	if err != nil {
		return nil, err
	}
	red := acct.red.Merged(nil)
	d := providers.NewDecoder(fmt.Sprintf("route53_health check %q", cfg.Name), cfg.Attrs, red)
	id := strings.TrimPrefix(strings.TrimSpace(d.Str("health_check_id")), "/healthcheck/")
	threshold, _ := d.Number("threshold", 18)
	if d.Err() == nil && (threshold < 0 || threshold > 100) {
		d.Fail(d.Errorf("threshold must be between 0 and 100"))
	}
	if d.Err() == nil && cfg.Timeout <= 0 {
		d.Fail(d.Errorf("timeout must be positive, got %s", cfg.Timeout))
	}
	if d.Err() != nil {
		return nil, red.Hide(d.Err())
	}
	return &Route53Health{name: cfg.Name, acct: acct, id: id, threshold: threshold, timeout: cfg.Timeout, red: red}, nil
}

// Probe implements providers.Check.
func (c *Route53Health) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer providers.FinishProbe(c.red, start, &res)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	client, err := c.acct.route53(ctx)
	if err != nil {
		return providers.Result{Detail: err.Error()}
	}
	out, err := client.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String(c.id)})
	if err != nil {
		return providers.Result{Detail: probeFailure(ctx, c.timeout, "health check "+c.id, callError("GetHealthCheckStatus", err))}
	}
	var ok, total int
	for _, o := range out.HealthCheckObservations {
		if o.StatusReport == nil {
			continue
		}
		total++
		if strings.HasPrefix(aws.ToString(o.StatusReport.Status), "Success") {
			ok++
		}
	}
	return route53Verdict(ok, total, c.threshold)
}

// route53Verdict applies Route 53's rule: healthy when more than
// threshold percent of the reporting checkers report success.
func route53Verdict(ok, total int, threshold float64) providers.Result {
	if total == 0 {
		return providers.Result{Detail: "no checker has reported on the health check yet"}
	}
	detail := fmt.Sprintf("%d of %d checkers report success", ok, total)
	// ok/total > threshold/100, in a form without rounding surprises for
	// whole thresholds.
	if float64(ok)*100 > threshold*float64(total) {
		return providers.Result{Healthy: true, Detail: detail}
	}
	return providers.Result{Detail: fmt.Sprintf("%s; healthy needs more than %s%%", detail, strconv.FormatFloat(threshold, 'f', -1, 64))}
}

// ALBTargetHealth is the alb_target_health check: the targets of an ELBv2
// target group as DescribeTargetHealth reports them. The check is healthy
// when at least min_healthy targets are in state "healthy" and, when
// min_healthy_percent is set, at least that percentage of all registered
// targets is. Detail counts the targets per state, e.g. "2 of 3 targets
// healthy (1 unused: Target.InvalidState)". A failed call is an unhealthy
// result whose Detail names the target group and the AWS error code.
type ALBTargetHealth struct {
	name       string
	acct       *account
	arn        string
	minHealthy int
	minPercent float64
	hasPercent bool
	timeout    time.Duration
	red        *providers.Redactor
}

var _ providers.Check = (*ALBTargetHealth)(nil)

// NewALBTargetHealth builds an alb_target_health check from its block.
func NewALBTargetHealth(cfg providers.Config) (*ALBTargetHealth, error) {
	acct, err := accountFor(cfg.Provider)
	if err != nil {
		return nil, err
	}
	red := acct.red.Merged(nil)
	d := providers.NewDecoder(fmt.Sprintf("alb_target_health check %q", cfg.Name), cfg.Attrs, red)
	arn := strings.TrimSpace(d.Str("target_group_arn"))
	minHealthy := d.Whole("min_healthy", 1, 1, 1000)
	pct, hasPct := d.Number("min_healthy_percent", 0)
	if d.Err() == nil && (pct < 0 || pct > 100) {
		d.Fail(d.Errorf("min_healthy_percent must be between 0 and 100"))
	}
	if d.Err() == nil && cfg.Timeout <= 0 {
		d.Fail(d.Errorf("timeout must be positive, got %s", cfg.Timeout))
	}
	if d.Err() != nil {
		return nil, red.Hide(d.Err())
	}
	return &ALBTargetHealth{name: cfg.Name, acct: acct, arn: arn, minHealthy: int(minHealthy),
		minPercent: pct, hasPercent: hasPct, timeout: cfg.Timeout, red: red}, nil
}

// Probe implements providers.Check.
func (c *ALBTargetHealth) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer providers.FinishProbe(c.red, start, &res)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ds, err := c.acct.targetHealth(ctx, c.arn)
	if err != nil {
		var ce *clientError
		if errors.As(err, &ce) {
			return providers.Result{Detail: ce.Err.Error()}
		}
		return providers.Result{Detail: probeFailure(ctx, c.timeout, "target group "+c.arn, err)}
	}
	return albVerdict(ds, c.minHealthy, c.minPercent, c.hasPercent)
}

// clientError is a failure to build the ELBv2 client (no call was made).
type clientError struct{ Err error }

func (e *clientError) Error() string { return e.Err.Error() }
func (e *clientError) Unwrap() error { return e.Err }

// targetHealth calls DescribeTargetHealth for every target of a target
// group. A failed call is a callError ("DescribeTargetHealth: ...").
func (a *account) targetHealth(ctx context.Context, arn string) ([]elbtypes.TargetHealthDescription, error) {
	client, err := a.elbv2(ctx)
	if err != nil {
		return nil, &clientError{err}
	}
	out, err := client.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		return nil, callError("DescribeTargetHealth", err)
	}
	return out.TargetHealthDescriptions, nil
}

// cachedTargetHealth is targetHealth read once per run (the run cache).
func (a *account) cachedTargetHealth(ctx context.Context, arn string) ([]elbtypes.TargetHealthDescription, error) {
	return providers.Cached(ctx, "aws/elbv2/health\x00"+a.endpointKey()+"\x00"+arn, func(ctx context.Context) ([]elbtypes.TargetHealthDescription, error) {
		return a.targetHealth(ctx, arn)
	})
}

// albVerdict counts healthy targets against the minimums.
func albVerdict(ds []elbtypes.TargetHealthDescription, minHealthy int, minPercent float64, hasPercent bool) providers.Result {
	total, healthy := len(ds), 0
	others := map[string]int{}
	for _, d := range ds {
		state, reason := "unknown", ""
		if d.TargetHealth != nil {
			state, reason = string(d.TargetHealth.State), string(d.TargetHealth.Reason)
		}
		if state == string(elbtypes.TargetHealthStateEnumHealthy) {
			healthy++
			continue
		}
		k := state
		if reason != "" {
			k += ": " + reason
		}
		others[k]++
	}
	if total == 0 {
		return providers.Result{Detail: "no targets are registered in the target group"}
	}
	detail := fmt.Sprintf("%d of %d targets healthy", healthy, total)
	if len(others) > 0 {
		var parts []string
		for k, n := range others {
			st, rest, _ := strings.Cut(k, ": ")
			p := fmt.Sprintf("%d %s", n, st)
			if rest != "" {
				p += ": " + rest
			}
			parts = append(parts, p)
		}
		sort.Strings(parts)
		detail += " (" + strings.Join(parts, ", ") + ")"
	}
	var short []string
	if healthy < minHealthy {
		short = append(short, fmt.Sprintf("at least %d needed", minHealthy))
	}
	if hasPercent && float64(healthy)*100 < minPercent*float64(total) {
		short = append(short, fmt.Sprintf("at least %s%% needed", strconv.FormatFloat(minPercent, 'f', -1, 64)))
	}
	if len(short) > 0 {
		return providers.Result{Detail: detail + "; " + strings.Join(short, " and ")}
	}
	return providers.Result{Healthy: true, Detail: detail}
}

// probeFailure describes a failed call as providers.ProbeFailure does,
// except that the account's rate limit refusing it says so.
func probeFailure(ctx context.Context, timeout time.Duration, what string, err error) string {
	var le *limitError
	if errors.As(err, &le) && ctx.Err() == nil {
		return what + ": " + le.Error()
	}
	return providers.ProbeFailure(ctx, timeout, what, err)
}
