package testenv

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

func TestMotoRoute53Seeding(t *testing.T) {
	m := StartMoto(t)
	zone := m.CreateHostedZone(t, "example.com")
	if zone == "" || strings.Contains(zone, "/") {
		t.Fatalf("zone id %q", zone)
	}
	hc := m.CreateHealthCheck(t, "192.0.2.1", 80, "/healthz")
	a := WeightedA("api.example.com", "blue", 200, "192.0.2.1")
	a.HealthCheckId = aws.String(hc)
	m.UpsertRecordSets(t, zone, a, WeightedA("api.example.com", "green", 55, "192.0.2.2"))

	weights := map[string]int64{}
	for _, rr := range m.RecordSets(t, zone) {
		if aws.ToString(rr.Name) == "api.example.com." && rr.Type == r53types.RRTypeA {
			weights[aws.ToString(rr.SetIdentifier)] = aws.ToInt64(rr.Weight)
			if aws.ToString(rr.SetIdentifier) == "blue" && aws.ToString(rr.HealthCheckId) != hc {
				t.Errorf("blue's health check id = %q, want %q", aws.ToString(rr.HealthCheckId), hc)
			}
		}
	}
	if weights["blue"] != 200 || weights["green"] != 55 || len(weights) != 2 {
		t.Errorf("weights = %v, want blue 200, green 55", weights)
	}
}

func TestMotoALBSeeding(t *testing.T) {
	m := StartMoto(t)
	alb := m.CreateALB(t, ALBSpec{
		Name:         "web",
		TargetGroups: []string{"aws", "gcp", "other"},
		DefaultActions: func(tg map[string]string) []elbtypes.Action {
			return []elbtypes.Action{Forward(tg["aws"], 10, tg["gcp"], 20, tg["other"], 3)}
		},
		Rules: []ALBRuleSpec{{
			Priority:   10,
			Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/api/*"}}}},
			Actions: func(tg map[string]string) []elbtypes.Action {
				return []elbtypes.Action{Forward(tg["aws"], 1, tg["gcp"], 0)}
			},
		}},
	})
	if len(alb.TargetGroups) != 3 || len(alb.RuleARNs) != 1 || !strings.Contains(alb.ListenerARN, ":listener/") {
		t.Fatalf("CreateALB = %+v", alb)
	}
	l := m.Listener(t, alb.ListenerARN)
	if len(l.DefaultActions) != 1 || len(l.DefaultActions[0].ForwardConfig.TargetGroups) != 3 {
		t.Fatalf("default actions = %+v", l.DefaultActions)
	}
	if got := aws.ToInt32(l.DefaultActions[0].ForwardConfig.TargetGroups[1].Weight); got != 20 {
		t.Errorf("gcp weight = %d, want 20", got)
	}
	rules := m.Rules(t, alb.ListenerARN)
	if len(rules) != 2 { // the rule and the default rule
		t.Errorf("rules = %d, want 2", len(rules))
	}
	// A second load balancer reuses the network.
	if n1, n2 := m.Network(t), m.Network(t); n1.VPCID != n2.VPCID || len(n1.SubnetIDs) != 2 {
		t.Errorf("Network: %+v then %+v", n1, n2)
	}
	m.CreateALB(t, ALBSpec{Name: "second"})
}

func TestMotoTargetHealthFollowsInstances(t *testing.T) {
	m := StartMoto(t)
	alb := m.CreateALB(t, ALBSpec{Name: "th"})
	ids := m.RunInstances(t, 3)
	if len(ids) != 3 {
		t.Fatalf("RunInstances = %v", ids)
	}
	m.RegisterTargets(t, alb.TargetGroups["primary"], ids...)
	m.StopInstances(t, ids[2])
	out, err := m.ELBv2().DescribeTargetHealth(motoCtx(t), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(alb.TargetGroups["primary"])})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		states[aws.ToString(d.Target.Id)] = string(d.TargetHealth.State)
	}
	if states[ids[0]] != "healthy" || states[ids[1]] != "healthy" || states[ids[2]] != "unused" {
		t.Errorf("target states = %v, want two healthy and the stopped one unused", states)
	}
}

func TestMotoStop(t *testing.T) {
	m := StartMoto(t)
	m.Stop()
	m.Stop() // idempotent
	_, err := http.Get(m.URL + "/moto-api/")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET after Stop: %v, want connection refused", err)
	}
}

func TestMissingMotoFailsWithAHint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	f := &fatalTB{TB: t}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		StartMoto(f)
	}()
	wg.Wait()
	if !strings.Contains(f.msg, "make deps") || !strings.Contains(f.msg, "moto[server]==5.2.1") {
		t.Fatalf("missing moto_server: Fatal(%q), want a hint to run make deps or pip install", f.msg)
	}
}
