package aws

import (
	"context"
	"strings"
	"testing"

	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
	"github.com/fbctl/fbctl/internal/sim/fault"
	"github.com/fbctl/fbctl/providers"
)

func TestSimALBForwardObserveSides(t *testing.T) {
	w := newSimALBWorld(t, elbv2sim.Options{Seed: 7})
	pc := providerBlock(t, w.url, nil)
	tg := w.target(t, pc, w.listener, "")
	healthy := []elbv2sim.TargetHealth{{Id: "i-1", Port: 443, State: elbv2sim.StateHealthy}, {Id: "i-2", Port: 443, State: elbv2sim.StateUnhealthy}}
	for _, c := range []struct {
		name         string
		aws, gcp     []elbv2sim.TargetHealth
		primaryOut   string // substrings of PrimaryOut; "" when the side delivers
		secondaryOut string
	}{
		{name: "both healthy", aws: healthy, gcp: healthy},
		{name: "primary unhealthy and draining",
			aws: []elbv2sim.TargetHealth{{Id: "i-1", Port: 443, State: elbv2sim.StateUnhealthy}, {Id: "i-2", Port: 443, State: elbv2sim.StateDraining}},
			gcp: healthy, primaryOut: "the primary target group has no healthy target (target group " + w.tg["aws"] + ": 2 targets, none healthy: 1 draining (Target.DeregistrationInProgress), 1 unhealthy (Target.FailedHealthChecks))"},
		{name: "secondary empty", aws: healthy, gcp: nil,
			secondaryOut: "the secondary target group has no healthy target (target group " + w.tg["gcp"] + ": no targets registered)"},
		{name: "initial and unused are not serving", aws: healthy,
			gcp:          []elbv2sim.TargetHealth{{Id: "i-1", Port: 443, State: elbv2sim.StateInitial}, {Id: "i-2", Port: 443, State: elbv2sim.StateUnused}},
			secondaryOut: "none healthy: 1 initial (Elb.RegistrationInProgress), 1 unused (Target.NotInUse)"},
		{name: "health checks disabled serve", aws: healthy,
			gcp: []elbv2sim.TargetHealth{{Id: "fn", Port: 443, State: elbv2sim.StateUnavailable}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.srv.SetTargetHealth(w.tg["aws"], c.aws)
			w.srv.SetTargetHealth(w.tg["gcp"], c.gcp)
			w.srv.ResetCalls()
			ctx := providers.WithRunCache(testCtx(t))
			s, sides, err := tg.ObserveSides(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The share is the weights (1:1 with the foreign 5 aside), whatever the health.
			if want, _ := tg.Observe(ctx); s != want || s != 5000 {
				t.Errorf("share = %v, Observe = %v; want 50%%", s, want)
			}
			check := func(side, got, want string) {
				if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
					t.Errorf("%s out = %q; want %q", side, got, want)
				}
			}
			check("primary", sides.PrimaryOut, c.primaryOut)
			check("secondary", sides.SecondaryOut, c.secondaryOut)
			// Again in the same run: no further call.
			if _, _, err := tg.ObserveSides(ctx); err != nil {
				t.Fatal(err)
			}
			calls := w.srv.Calls()
			if calls["DescribeTargetHealth"] != 2 || calls["DescribeListeners"] != 1 {
				t.Errorf("calls = %v; want one DescribeTargetHealth per target group and one DescribeListeners per run", calls)
			}
		})
	}
}

func TestSimALBForwardObserveSidesHealthError(t *testing.T) {
	w := newSimALBWorld(t, elbv2sim.Options{Seed: 8})
	pc := providerBlock(t, w.url, nil)
	tg := w.target(t, pc, w.listener, "")
	w.srv.Faults().Add(fault.Rule{Op: "DescribeTargetHealth", Kind: fault.ServerError, Rate: 1})
	_, _, err := tg.ObserveSides(providers.WithRunCache(context.Background()))
	if err == nil || !strings.Contains(err.Error(), "DescribeTargetHealth") || !strings.Contains(err.Error(), w.tg["aws"]) {
		t.Fatalf("ObserveSides = %v; want an error naming DescribeTargetHealth and the target group", err)
	}
}
