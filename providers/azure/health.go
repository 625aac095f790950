package azure

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/trafficmanager/armtrafficmanager"

	"github.com/fbctl/fbctl/providers"
)

// EndpointHealth is the azure_endpoint_health check: the
// endpointMonitorStatus of one endpoint of a Traffic Manager profile, as
// the profile (one GET per probe) reports it.
//
//   - Online: healthy.
//   - CheckingEndpoint: unknown (Traffic Manager has not probed it yet:
//     no evidence either way).
//   - Degraded, Stopped, Inactive, Disabled and any other status:
//     unhealthy, Detail naming the status.
//
// A profile or endpoint that does not exist, a failed call (after the
// SDK's retries) and the probe's timeout are unhealthy results whose
// Detail says so; Probe never returns an error and never panics.
type EndpointHealth struct {
	acct                     *account
	group, profile, endpoint string
	timeout                  time.Duration
	red                      *providers.Redactor
}

var _ providers.Check = (*EndpointHealth)(nil)

// NewEndpointHealth builds an azure_endpoint_health check from its block.
// It does no I/O.
func NewEndpointHealth(cfg providers.Config) (*EndpointHealth, error) {
	red := &providers.Redactor{}
	what := fmt.Sprintf("%s check %q", HealthKind, cfg.Name)
	acct, err := accountFor(what, cfg.Provider, red)
	if err != nil {
		return nil, red.Hide(err)
	}
	d := providers.NewDecoder(what, cfg.Attrs, red)
	c := &EndpointHealth{acct: acct, red: red, timeout: cfg.Timeout,
		group: strings.TrimSpace(d.Str("resource_group")), profile: strings.TrimSpace(d.Str("profile")), endpoint: strings.TrimSpace(d.Str("endpoint"))}
	if d.Err() == nil {
		for _, n := range []string{c.group, c.profile, c.endpoint} {
			if !validName(n) {
				d.Fail(d.Errorf("%s is not a valid name", red.Quote(n)))
				break
			}
		}
	}
	if d.Err() == nil && cfg.Timeout <= 0 {
		d.Fail(d.Errorf("timeout must be positive, got %s", cfg.Timeout))
	}
	if d.Err() != nil {
		return nil, d.Err()
	}
	return c, nil
}

// Probe implements providers.Check.
func (c *EndpointHealth) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			res = providers.Result{Detail: "internal error while probing"}
		}
		res.Latency = time.Since(start)
		res.Detail = c.red.Redact(res.Detail)
	}()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	prof, err := c.acct.getProfile(ctx, c.group, c.profile)
	if err != nil {
		if status(err) == 404 {
			return providers.Result{Detail: fmt.Sprintf("profile %s not found in resource group %s", c.profile, c.group)}
		}
		return providers.Result{Detail: fmt.Sprintf("reading profile %s: %v", c.profile, classify(err))}
	}
	if prof.Properties != nil {
		for _, e := range prof.Properties.Endpoints {
			if e == nil || e.Name == nil || !strings.EqualFold(*e.Name, c.endpoint) {
				continue
			}
			st := ""
			if e.Properties != nil && e.Properties.EndpointMonitorStatus != nil {
				st = string(*e.Properties.EndpointMonitorStatus)
			}
			d := fmt.Sprintf("endpoint %s of profile %s is %s", c.endpoint, c.profile, st)
			switch armtrafficmanager.EndpointMonitorStatus(st) {
			case armtrafficmanager.EndpointMonitorStatusOnline:
				return providers.Result{Healthy: true, Detail: d}
			case armtrafficmanager.EndpointMonitorStatusCheckingEndpoint:
				return providers.Result{Unknown: true, Detail: d + " (not probed yet)"}
			case "":
				return providers.Result{Detail: fmt.Sprintf("endpoint %s of profile %s reports no monitor status", c.endpoint, c.profile)}
			}
			return providers.Result{Detail: d}
		}
	}
	return providers.Result{Detail: fmt.Sprintf("profile %s has no endpoint %s", c.profile, c.endpoint)}
}
