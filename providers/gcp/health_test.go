package gcp

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/fbctl/fbctl/internal/sim/fault"
	gcpsim "github.com/fbctl/fbctl/internal/sim/gcp"
	"github.com/fbctl/fbctl/providers"
)

func statuses(states ...string) []*computepb.HealthStatus {
	var out []*computepb.HealthStatus
	for i, s := range states {
		out = append(out, &computepb.HealthStatus{IpAddress: proto.String("10.0.0." + string(rune('1'+i))),
			Port: proto.Int32(443), HealthState: proto.String(s)})
	}
	return out
}

func newHealth(t *testing.T, pc *providers.ProviderConfig, service, region string, groups []string, minHealthy int, pct float64, timeout time.Duration) *BackendHealth {
	t.Helper()
	c, err := NewBackendHealth(providers.Config{Name: "hc", Provider: pc, Timeout: timeout,
		Attrs: healthAttrs(service, region, groups, minHealthy, pct)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSimBackendHealth(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 50})
	pc := providerBlock(t, w.url)
	igAWS := w.group("us-east1-b", "instanceGroups", "ig-aws")
	igGCP := w.group("us-central1-a", "instanceGroups", "ig-gcp")
	if err := w.srv.SetGroupHealth("", "pool", igAWS, statuses("HEALTHY", "HEALTHY", "UNHEALTHY", "UNHEALTHY", "UNHEALTHY")); err != nil {
		t.Fatal(err)
	}
	if err := w.srv.SetGroupHealth("", "pool", igGCP, statuses("HEALTHY", "HEALTHY", "HEALTHY", "DRAINING")); err != nil {
		t.Fatal(err)
	}
	if err := w.srv.SetGroupHealth(simRegion, "r-pool", w.group("us-central1-c", "instanceGroups", "r-ig-gcp"), statuses("HEALTHY")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name         string
		service, reg string
		groups       []string
		min          int
		pct          float64
		healthy      bool
		detail       string
	}{
		{"below min_healthy", "pool", "", []string{"us-east1-b/ig-aws"}, 3, -1, false, "2/5 HEALTHY in ig-aws (3 UNHEALTHY) (need 3)"},
		{"at min_healthy", "pool", "", []string{igAWS}, 2, -1, true, "2/5 HEALTHY in ig-aws (3 UNHEALTHY)"},
		{"below percent", "pool", "", []string{"us-east1-b/ig-aws"}, 1, 50, false, "2/5 HEALTHY in ig-aws (3 UNHEALTHY) (need 50%)"},
		{"at percent", "pool", "", []string{"zones/us-central1-a/instanceGroups/ig-gcp"}, 1, 75, true, "3/4 HEALTHY in ig-gcp (1 DRAINING)"},
		{"both groups", "pool", "", []string{"us-east1-b/ig-aws", "us-central1-a/ig-gcp"}, 6, -1, false,
			"5/9 HEALTHY: 2/5 HEALTHY in ig-aws (3 UNHEALTHY), 3/4 HEALTHY in ig-gcp (1 DRAINING) (need 6)"},
		{"nothing seeded", "bs-static", "", []string{"us-central1-a/ig-static"}, 1, -1, false, "0/0 HEALTHY in ig-static (need 1)"},
		{"regional", "r-pool", simRegion, []string{"us-central1-c/r-ig-gcp"}, 1, 100, true, "1/1 HEALTHY in r-ig-gcp"},
		{"unknown group", "pool", "", []string{"us-east1-b/ig-nope"}, 1, -1, false,
			"group us-east1-b/ig-nope is not a backend of backend service pool (global)"},
		{"unknown service", "nope", "", []string{"us-east1-b/ig-aws"}, 1, -1, false,
			"backend service nope not found in project fbctl-test (global)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hc := newHealth(t, pc, c.service, c.reg, c.groups, c.min, c.pct, 5*time.Second)
			r := hc.Probe(testCtx(t))
			if r.Healthy != c.healthy || r.Detail != c.detail {
				t.Errorf("Probe = %v %q; want %v %q", r.Healthy, r.Detail, c.healthy, c.detail)
			}
			if r.Latency <= 0 {
				t.Errorf("Latency = %v", r.Latency)
			}
		})
	}
}

// An endpoint nobody listens on, and one that answers too slowly: an
// unhealthy result in bounded time, never an error or a panic.
func TestSimBackendHealthFailures(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		hc := newHealth(t, offlineProvider(t), "pool", "", []string{"us-east1-b/ig-aws"}, 1, -1, 5*time.Second)
		r := hc.Probe(testCtx(t))
		if r.Healthy || !strings.Contains(r.Detail, "backendServices.get") || !strings.Contains(r.Detail, "after 5 attempts") {
			t.Errorf("Probe = %v %q", r.Healthy, r.Detail)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		w := newSimWorld(t, gcpsim.Options{Seed: 51})
		w.srv.Faults().Add(fault.Rule{Op: "backendServices.getHealth", Kind: fault.Latency, Rate: 1, Delay: 10 * time.Second})
		hc := newHealth(t, providerBlock(t, w.url), "pool", "", []string{"us-east1-b/ig-aws"}, 1, -1, 100*time.Millisecond)
		start := time.Now()
		r := hc.Probe(testCtx(t))
		if r.Healthy || !strings.Contains(r.Detail, "timeout after 100ms") || time.Since(start) > 5*time.Second {
			t.Errorf("Probe = %v %q after %v", r.Healthy, r.Detail, time.Since(start))
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		w := newSimWorld(t, gcpsim.Options{Seed: 52})
		hc := newHealth(t, providerBlock(t, w.url), "pool", "", []string{"us-east1-b/ig-aws"}, 1, -1, time.Second)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if r := hc.Probe(ctx); r.Healthy || !strings.Contains(r.Detail, "cancelled") {
			t.Errorf("Probe = %v %q", r.Healthy, r.Detail)
		}
	})
	t.Run("rate limited then fine", func(t *testing.T) {
		w := newSimWorld(t, gcpsim.Options{Seed: 53})
		w.srv.Faults().Add(fault.Rule{Op: "backendServices.getHealth", Kind: fault.RateLimitExceeded, Nth: 1})
		hc := newHealth(t, providerBlock(t, w.url), "pool", "", []string{"us-east1-b/ig-aws"}, 1, -1, 5*time.Second)
		if r := hc.Probe(testCtx(t)); r.Detail != "0/0 HEALTHY in ig-aws (need 1)" {
			t.Errorf("Probe = %v %q; want the retried answer", r.Healthy, r.Detail)
		}
	})
	t.Run("bad blocks", func(t *testing.T) {
		pc := offlineProvider(t)
		for _, attrs := range []map[string]any{
			{"groups": []string{}},
			{"groups": []string{"ig-only-a-name"}},
			{"service": "Bad Name"},
		} {
			groups, _ := attrs["groups"].([]string)
			if groups == nil {
				groups = []string{"us-east1-b/ig-aws"}
			}
			svc, _ := attrs["service"].(string)
			if svc == "" {
				svc = "pool"
			}
			if _, err := NewBackendHealth(providers.Config{Name: "hc", Provider: pc, Timeout: time.Second,
				Attrs: healthAttrs(svc, "", groups, 1, -1)}); err == nil {
				t.Errorf("NewBackendHealth(%v) accepted", attrs)
			}
		}
		if _, err := NewBackendHealth(providers.Config{Name: "hc", Provider: pc,
			Attrs: healthAttrs("pool", "", []string{"us-east1-b/ig-aws"}, 1, -1)}); err == nil {
			t.Error("a check without a timeout was accepted")
		}
	})
}
