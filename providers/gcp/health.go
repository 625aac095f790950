package gcp

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fbctl/fbctl/providers"
)

// BackendHealth is the gcp_backend_health check: the health of some
// groups of a backend service, as backendServices.getHealth (or
// regionBackendServices.getHealth) reports it. Each probe reads the
// service once (to resolve the named groups, in any spelling, to the URLs
// its backends use, and to tell an unknown group from an empty one) and
// asks getHealth for each named group.
//
// The check is healthy when, over all named groups, at least min_healthy
// instances or endpoints are HEALTHY and, when min_healthy_percent is set,
// at least that percentage of them. Detail counts per group, e.g. "2/5
// HEALTHY in ig-aws (need 3)". A group the service does not have, a
// service that does not exist, a failed call (after MaxAttempts) and the
// probe's timeout are unhealthy results whose Detail says so; Probe never
// returns an error and never panics.
type BackendHealth struct {
	name       string
	acct       *account
	service    string
	region     string
	groups     []groupRef
	raw        []string
	minHealthy int
	minPercent float64
	hasPercent bool
	timeout    time.Duration
	red        *providers.Redactor
}

var _ providers.Check = (*BackendHealth)(nil)

// NewBackendHealth builds a gcp_backend_health check from its block.
func NewBackendHealth(cfg providers.Config) (*BackendHealth, error) {
	acct, err := accountFor(cfg.Provider)
	if err != nil {
		return nil, err
	}
	red := acct.red.Merged(nil)
	d := providers.NewDecoder(fmt.Sprintf("gcp_backend_health check %q", cfg.Name), cfg.Attrs, red)
	svc := strings.TrimSpace(d.Str("backend_service"))
	region := strings.TrimSpace(d.OptStr("region"))
	raw := d.Strs("groups")
	minHealthy := d.Whole("min_healthy", 1, 1, 100000)
	pct, hasPct := d.Number("min_healthy_percent", 0)
	if d.Err() == nil && (pct < 0 || pct > 100) {
		d.Fail(d.Errorf("min_healthy_percent must be between 0 and 100"))
	}
	if d.Err() == nil && !validName(svc) {
		d.Fail(d.Errorf("backend_service %s is not a backend service name", red.Quote(svc)))
	}
	if d.Err() == nil && len(raw) == 0 {
		d.Fail(d.Errorf("groups names no group"))
	}
	var gs []groupRef
	for _, s := range raw {
		if d.Err() != nil {
			break
		}
		g, err := parseGroup(s, acct.set.project)
		if err != nil {
			d.Fail(d.Errorf("groups: %v", err))
		}
		gs = append(gs, g)
	}
	if d.Err() == nil && cfg.Timeout <= 0 {
		d.Fail(d.Errorf("timeout must be positive, got %s", cfg.Timeout))
	}
	if d.Err() != nil {
		return nil, red.Hide(d.Err())
	}
	return &BackendHealth{name: cfg.Name, acct: acct, service: svc, region: region, groups: gs, raw: raw,
		minHealthy: int(minHealthy), minPercent: pct, hasPercent: hasPct, timeout: cfg.Timeout, red: red}, nil
}

// groupCount is the health of one named group.
type groupCount struct {
	name           string
	healthy, total int
	others         map[string]int // instances or endpoints per other state
}

// Probe implements providers.Check.
func (c *BackendHealth) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer providers.FinishProbe(c.red, start, &res)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	what := fmt.Sprintf("backend service %s (%s)", c.service, location(c.region))
	bs, err := c.acct.getBackendService(ctx, c.region, c.service)
	if err != nil {
		if isNotFound(err) {
			return providers.Result{Detail: (&NotFoundError{What: "backend service", Name: c.service, Project: c.acct.set.project, Region: c.region}).Error()}
		}
		return providers.Result{Detail: providers.ProbeFailure(ctx, c.timeout, what, err)}
	}
	var counts []groupCount
	for i, g := range c.groups {
		gc := groupCount{name: shortGroup(c.raw[i]), others: map[string]int{}}
		url := ""
		for _, b := range bs.GetBackends() {
			if live, err := parseGroup(b.GetGroup(), c.acct.set.project); err == nil && g.matches(live) {
				url = b.GetGroup()
				break
			}
		}
		if url == "" {
			return providers.Result{Detail: fmt.Sprintf("group %s is not a backend of %s", c.raw[i], what)}
		}
		h, err := c.acct.getHealth(ctx, c.region, c.service, url)
		if err != nil {
			return providers.Result{Detail: providers.ProbeFailure(ctx, c.timeout, fmt.Sprintf("getHealth of %s in %s", gc.name, what), err)}
		}
		for _, st := range h.GetHealthStatus() {
			gc.total++
			if s := st.GetHealthState(); s == "HEALTHY" {
				gc.healthy++
			} else {
				if s == "" {
					s = "UNKNOWN"
				}
				gc.others[s]++
			}
		}
		counts = append(counts, gc)
	}
	return healthVerdict(counts, c.minHealthy, c.minPercent, c.hasPercent)
}

// healthVerdict applies the thresholds to the counts of every group.
func healthVerdict(counts []groupCount, minHealthy int, minPercent float64, hasPercent bool) providers.Result {
	var healthy, total int
	var parts []string
	for _, g := range counts {
		healthy += g.healthy
		total += g.total
		p := fmt.Sprintf("%d/%d HEALTHY in %s", g.healthy, g.total, g.name)
		if len(g.others) > 0 {
			var os []string
			for s, n := range g.others {
				os = append(os, fmt.Sprintf("%d %s", n, s))
			}
			sort.Strings(os)
			p += " (" + strings.Join(os, ", ") + ")"
		}
		parts = append(parts, p)
	}
	detail := strings.Join(parts, ", ")
	var need []string
	if healthy < minHealthy {
		need = append(need, fmt.Sprintf("need %d", minHealthy))
	}
	if hasPercent && (total == 0 || float64(healthy)*100 < minPercent*float64(total)) {
		need = append(need, fmt.Sprintf("need %s%%", strconv.FormatFloat(minPercent, 'f', -1, 64)))
	}
	if len(counts) > 1 {
		detail = fmt.Sprintf("%d/%d HEALTHY: %s", healthy, total, detail)
	}
	if len(need) > 0 {
		return providers.Result{Detail: detail + " (" + strings.Join(need, ", ") + ")"}
	}
	return providers.Result{Healthy: true, Detail: detail}
}

// shortGroup is the last path element of a group reference, for Details.
func shortGroup(ref string) string {
	ref = strings.TrimRight(ref, "/")
	return ref[strings.LastIndex(ref, "/")+1:]
}
