package aws

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
)

func r53HealthCheck(t *testing.T, pc *providers.ProviderConfig, id string, threshold cty.Value, timeout time.Duration) *Route53Health {
	t.Helper()
	c, err := NewRoute53Health(providers.Config{Name: "r53", Provider: pc, Timeout: timeout,
		Attrs: cty.ObjectVal(map[string]cty.Value{"health_check_id": cty.StringVal(id), "threshold": threshold})})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Against moto, whose health checks always have one checker reporting
// success.
func TestRoute53HealthAgainstMoto(t *testing.T) {
	m := testenv.StartMoto(t)
	hc := m.CreateHealthCheck(t, "192.0.2.1", 80, "/healthz")
	pc := providerBlock(t, m.URL, nil)
	ctx := testCtx(t)

	res := r53HealthCheck(t, pc, hc, cty.NumberIntVal(18), 10*time.Second).Probe(ctx)
	if !res.Healthy || res.Detail != "1 of 1 checkers report success" || res.Latency <= 0 {
		t.Errorf("default threshold: %+v", res)
	}
	// 100 % is not MORE than 100 %.
	res = r53HealthCheck(t, pc, hc, cty.NumberIntVal(100), 10*time.Second).Probe(ctx)
	if res.Healthy || res.Detail != "1 of 1 checkers report success; healthy needs more than 100%" {
		t.Errorf("threshold 100: %+v", res)
	}
	res = r53HealthCheck(t, pc, "00000000-0000-0000-0000-000000000000", cty.NumberIntVal(18), 10*time.Second).Probe(ctx)
	if res.Healthy || !strings.Contains(res.Detail, "health check 00000000-0000-0000-0000-000000000000") ||
		!strings.Contains(res.Detail, "GetHealthCheckStatus: NoSuchHealthCheck") {
		t.Errorf("unknown health check: %+v", res)
	}
	// The kind's registration builds the same check.
	reg := providers.NewRegistry()
	Register(reg)
	k, err := reg.Kind(providers.ClassCheck, "route53_health")
	if err != nil || k.NewCheck == nil {
		t.Fatalf("route53_health registration: %v", err)
	}
	chk, err := k.NewCheck(providers.Config{Name: "r53", Provider: pc, Timeout: 10 * time.Second,
		Attrs: cty.ObjectVal(map[string]cty.Value{"health_check_id": cty.StringVal(hc), "threshold": cty.NumberIntVal(18)})})
	if err != nil || !chk.Probe(ctx).Healthy {
		t.Errorf("registered route53_health: %v", err)
	}
}

// moto cannot report more than one checker, nor a failing one, so the
// counting rule is tested against a small HTTP handler that answers
// GetHealthCheckStatus in Route 53's XML with the observations the test
// asks for. It serves this check's decision logic only; the SDK call is
// real.
func TestRoute53HealthCountsCheckers(t *testing.T) {
	var ok, total int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/2013-04-01/healthcheck/hc-1/status" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
			return
		}
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><GetHealthCheckStatusResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HealthCheckObservations>`)
		for i := 0; i < total; i++ {
			status := "Failure: HTTP Status Code 503, Service Unavailable."
			if i < ok {
				status = "Success: HTTP Status Code 200, OK."
			}
			fmt.Fprintf(&b, `<HealthCheckObservation><Region>us-east-1</Region><IPAddress>15.177.2.%d</IPAddress><StatusReport><Status>%s</Status><CheckedTime>2026-11-25T10:00:00Z</CheckedTime></StatusReport></HealthCheckObservation>`, i, status)
		}
		b.WriteString(`</HealthCheckObservations></GetHealthCheckStatusResponse>`)
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(b.String()))
	}))
	defer srv.Close()
	pc := providerBlock(t, srv.URL, nil)
	for _, c := range []struct {
		ok, total int
		threshold float64
		healthy   bool
		detail    string
	}{
		{5, 16, 18, true, "5 of 16 checkers report success"},
		{2, 16, 18, false, "2 of 16 checkers report success; healthy needs more than 18%"},
		{3, 16, 18, true, "3 of 16 checkers report success"}, // 18.75 %
		{3, 16, 18.75, false, "3 of 16 checkers report success; healthy needs more than 18.75%"},
		{9, 50, 18, false, "9 of 50 checkers report success; healthy needs more than 18%"}, // exactly 18 %
		{10, 50, 18, true, "10 of 50 checkers report success"},
		{0, 16, 0, false, "0 of 16 checkers report success; healthy needs more than 0%"},
		{1, 16, 0, true, "1 of 16 checkers report success"},
		{16, 16, 99.9, true, "16 of 16 checkers report success"},
		{0, 0, 18, false, "no checker has reported on the health check yet"},
	} {
		ok, total = c.ok, c.total
		res := r53HealthCheck(t, pc, "hc-1", cty.NumberFloatVal(c.threshold), 10*time.Second).Probe(testCtx(t))
		if res.Healthy != c.healthy || res.Detail != c.detail {
			t.Errorf("%d of %d, threshold %v: %+v; want healthy=%v %q", c.ok, c.total, c.threshold, res, c.healthy, c.detail)
		}
	}
}

// A probe returns within its timeout, unhealthy, whatever the API does.
func TestChecksHonourTheirTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	pc := providerBlock(t, srv.URL, nil)
	res := r53HealthCheck(t, pc, "hc-1", cty.NumberIntVal(18), 200*time.Millisecond).Probe(context.Background())
	if res.Healthy || res.Detail != "health check hc-1: timeout after 200ms" {
		t.Errorf("route53_health on a hanging API: %+v", res)
	}
	c := albHealthCheck(t, pc, "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1", 1, cty.NullVal(cty.Number), 200*time.Millisecond)
	if res := c.Probe(context.Background()); res.Healthy || !strings.Contains(res.Detail, "timeout after 200ms") {
		t.Errorf("alb_target_health on a hanging API: %+v", res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := c.Probe(ctx); res.Healthy || !strings.Contains(res.Detail, "cancel") {
		t.Errorf("alb_target_health with a cancelled context: %+v", res)
	}
}

func albHealthCheck(t *testing.T, pc *providers.ProviderConfig, arn string, min int64, pct cty.Value, timeout time.Duration) *ALBTargetHealth {
	t.Helper()
	c, err := NewALBTargetHealth(providers.Config{Name: "tg", Provider: pc, Timeout: timeout,
		Attrs: cty.ObjectVal(map[string]cty.Value{"target_group_arn": cty.StringVal(arn), "min_healthy": cty.NumberIntVal(min), "min_healthy_percent": pct})})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// moto reports a registered running instance as healthy and a stopped one
// as unused, which is enough to test the check's rule against it.
func TestALBTargetHealthAgainstMoto(t *testing.T) {
	m := testenv.StartMoto(t)
	alb := m.CreateALB(t, testenv.ALBSpec{Name: "th"})
	ids := m.RunInstances(t, 3)
	m.RegisterTargets(t, alb.TargetGroups["primary"], ids...)
	m.StopInstances(t, ids[2])
	pc := providerBlock(t, m.URL, nil)
	ctx := testCtx(t)
	arn := alb.TargetGroups["primary"]
	const two = "2 of 3 targets healthy (1 unused: Target.InvalidState)"
	for _, c := range []struct {
		min     int64
		pct     cty.Value
		healthy bool
		detail  string
	}{
		{1, cty.NullVal(cty.Number), true, two},
		{2, cty.NullVal(cty.Number), true, two},
		{3, cty.NullVal(cty.Number), false, two + "; at least 3 needed"},
		{1, cty.NumberIntVal(66), true, two},
		{1, cty.NumberFloatVal(66.67), false, two + "; at least 66.67% needed"},
		{3, cty.NumberIntVal(100), false, two + "; at least 3 needed and at least 100% needed"},
	} {
		res := albHealthCheck(t, pc, arn, c.min, c.pct, 10*time.Second).Probe(ctx)
		if res.Healthy != c.healthy || res.Detail != c.detail {
			t.Errorf("min %d, percent %v: %+v; want healthy=%v %q", c.min, c.pct.GoString(), res, c.healthy, c.detail)
		}
	}
	res := albHealthCheck(t, pc, alb.TargetGroups["secondary"], 1, cty.NullVal(cty.Number), 10*time.Second).Probe(ctx)
	if res.Healthy || res.Detail != "no targets are registered in the target group" {
		t.Errorf("empty target group: %+v", res)
	}
	missing := strings.Replace(arn, "/th-primary/", "/th-missing/", 1)
	res = albHealthCheck(t, pc, missing, 1, cty.NullVal(cty.Number), 10*time.Second).Probe(ctx)
	if res.Healthy || !strings.Contains(res.Detail, "target group "+missing) || !strings.Contains(res.Detail, "DescribeTargetHealth: TargetGroupNotFound") {
		t.Errorf("missing target group: %+v", res)
	}
}

func TestCheckConstructorsRefuseBadBlocks(t *testing.T) {
	pc := providerBlock(t, "http://127.0.0.1:1", nil)
	if _, err := NewRoute53Health(providers.Config{Name: "x", Provider: pc, Timeout: time.Second,
		Attrs: cty.ObjectVal(map[string]cty.Value{"health_check_id": cty.StringVal(""), "threshold": cty.NumberIntVal(18)})}); err == nil {
		t.Error("empty health_check_id accepted")
	}
	if _, err := NewRoute53Health(providers.Config{Name: "x", Provider: pc,
		Attrs: cty.ObjectVal(map[string]cty.Value{"health_check_id": cty.StringVal("a"), "threshold": cty.NumberIntVal(18)})}); err == nil {
		t.Error("zero timeout accepted")
	}
	if _, err := NewRoute53Health(providers.Config{Name: "x", Provider: pc, Timeout: time.Second,
		Attrs: cty.ObjectVal(map[string]cty.Value{"health_check_id": cty.StringVal("a"), "threshold": cty.NumberIntVal(101)})}); err == nil {
		t.Error("threshold 101 accepted")
	}
	if _, err := NewALBTargetHealth(providers.Config{Name: "x", Provider: pc, Timeout: time.Second,
		Attrs: cty.ObjectVal(map[string]cty.Value{"target_group_arn": cty.StringVal("arn:x:targetgroup/a"), "min_healthy": cty.NumberIntVal(0), "min_healthy_percent": cty.NullVal(cty.Number)})}); err == nil {
		t.Error("min_healthy 0 accepted")
	}
}
