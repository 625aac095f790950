package gcp

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/fbctl/fbctl/providers"
)

// Which side delivers nothing (providers.SideReporter)
//
// A backend service takes traffic through the instances or endpoints its
// health checks find HEALTHY. ObserveSides asks backendServices.getHealth
// (or regionBackendServices.getHealth) once per run per backend service
// and group (the run cache). A group delivers nothing when getHealth
// reports at least one instance or endpoint and none HEALTHY (UNHEALTHY,
// DRAINING, TIMEOUT, UNKNOWN); a group it reports nothing for is counted
// as delivering, since Compute answers the same for an empty group and
// for a backend without health checks (a serverless or internet NEG). A
// backend service with no backends delivers nothing. The share stays the
// weights or capacity scalers as read. A failed getHealth (or a failed
// read of a url map's backend service) is an error of ObserveSides, so a
// run stops before any write.

var (
	_ providers.SideReporter = (*URLMap)(nil)
	_ providers.SideReporter = (*BackendCapacity)(nil)
)

// groupHealth is one group's getHealth, read once per run.
func (a *account) groupHealth(ctx context.Context, region, service, group string) (*computepb.BackendServiceGroupHealth, error) {
	key := "gcp/health\x00" + a.endpointKey() + "\x00" + region + "\x00" + service + "\x00" + group
	return providers.Cached(ctx, key, func(ctx context.Context) (*computepb.BackendServiceGroupHealth, error) {
		h, err := a.getHealth(ctx, region, service, group)
		if err != nil {
			return nil, fmt.Errorf("getHealth of group %s in backend service %s (%s): %w", shortGroup(group), service, location(region), err)
		}
		return h, nil
	})
}

// groupOut says why a group delivers nothing ("ig-aws: 3 UNHEALTHY"), ""
// when it has a HEALTHY member or getHealth reports no member at all.
func (a *account) groupOut(ctx context.Context, region, service, group string) (string, error) {
	h, err := a.groupHealth(ctx, region, service, group)
	if err != nil {
		return "", err
	}
	states := map[string]int{}
	for _, st := range h.GetHealthStatus() {
		s := st.GetHealthState()
		if s == "HEALTHY" {
			return "", nil
		}
		if s == "" {
			s = "UNKNOWN"
		}
		states[s]++
	}
	if len(states) == 0 {
		return "", nil
	}
	var parts []string
	for s, n := range states {
		parts = append(parts, fmt.Sprintf("%d %s", n, s))
	}
	sort.Strings(parts)
	return shortGroup(group) + ": " + strings.Join(parts, ", "), nil
}

// serviceOut says why a backend service delivers nothing ("" when one of
// its groups can deliver).
func (a *account) serviceOut(ctx context.Context, bs *computepb.BackendService, region, service string) (string, error) {
	if len(bs.GetBackends()) == 0 {
		return "it has no backends", nil
	}
	var parts []string
	for _, b := range bs.GetBackends() {
		why, err := a.groupOut(ctx, region, service, b.GetGroup())
		if err != nil || why == "" {
			return "", err
		}
		parts = append(parts, why)
	}
	return "no HEALTHY backend (" + strings.Join(parts, "; ") + ")", nil
}

// ObserveSides implements providers.SideReporter: a side delivers nothing
// when none of its weighted backend services has a HEALTHY backend.
func (t *URLMap) ObserveSides(ctx context.Context) (providers.Share, providers.Sides, error) {
	s, err := t.Observe(ctx)
	if err != nil {
		return 0, providers.Sides{}, err
	}
	sides, err := providers.SidesOf(t.primary, t.secondary, func(r serviceRef) (string, error) {
		bs, err := backendServiceResource(t.acct, r.region, r.name, options{}).cachedRead(ctx)
		if err != nil {
			return "", t.wrap(err)
		}
		why, err := t.acct.serviceOut(ctx, bs, r.region, r.name)
		if err != nil || why == "" {
			return "", t.wrap(err)
		}
		return "backend service " + r.name + ": " + why, nil
	}, func(side string, _ int, reasons string) string {
		return t.red.Redact(fmt.Sprintf("no %s backend service can take traffic (%s)", side, reasons))
	})
	if err != nil {
		return 0, providers.Sides{}, err
	}
	return s, sides, nil
}

// ObserveSides implements providers.SideReporter: a side delivers nothing
// when none of its groups has a HEALTHY instance or endpoint.
func (t *BackendCapacity) ObserveSides(ctx context.Context) (providers.Share, providers.Sides, error) {
	bs, err := t.read(ctx)
	if err != nil {
		return 0, providers.Sides{}, err
	}
	bk, err := t.find(bs)
	if err != nil {
		return 0, providers.Sides{}, err
	}
	s, err := t.share(bk)
	if err != nil {
		return 0, providers.Sides{}, err
	}
	sides, err := providers.SidesOf(bk.primary, bk.secondary, func(i int) (string, error) {
		why, err := t.acct.groupOut(ctx, t.res.region, t.res.name, bk.list[i].GetGroup())
		return why, t.wrap(err)
	}, func(side string, _ int, reasons string) string {
		return t.red.Redact(fmt.Sprintf("no %s group of %s has a HEALTHY instance or endpoint (%s)", side, t.where(), reasons))
	})
	if err != nil {
		return 0, providers.Sides{}, err
	}
	return s, sides, nil
}
