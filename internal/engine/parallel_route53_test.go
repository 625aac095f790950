package engine

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	route53sim "github.com/fbctl/fbctl/internal/sim/route53"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/aws"
)

// TestReconcileAllParallelRoute53 runs failbacks whose route53_weighted
// targets share hosted zones (and so the provider's RunCache entries: the
// zone walks, the zone batches, the account's client and limiter) with
// Parallel 8 against internal/sim/route53: meant for -race. Every round
// shifts every failback one step, and the concurrent failbacks of a zone
// still share one walk before the flush, one change and one walk after it.
func TestReconcileAllParallelRoute53(t *testing.T) {
	const zones, perZone = 3, 12
	// Static test credentials, and no instance metadata service.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	srv := route53sim.New(route53sim.Options{Seed: 1})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	pc := &providers.ProviderConfig{Type: "aws", Name: "race", Attrs: cty.ObjectVal(map[string]cty.Value{
		"region":              cty.StringVal("us-east-1"),
		"profile":             cty.NullVal(cty.String),
		"assume_role":         cty.NullVal(cty.String),
		"endpoint_url":        cty.StringVal(url),
		"requests_per_second": cty.NumberIntVal(10000),
		"burst":               cty.NumberIntVal(10000),
	})}
	ro := Rollout{Steps: []providers.Share{1000, 2000, 3000, 4000}, OnUnhealthy: "rollback",
		Cooldown: time.Hour, OnDrift: "halt", Approval: "none"}
	ok := &flagCheck{}
	ok.healthy.Store(true)
	weight := func(w int64) *int64 { return &w }
	var fbs []*Failback
	for z := 0; z < zones; z++ {
		zoneName := fmt.Sprintf("zone%d.example", z)
		zoneID := srv.AddZone(zoneName, false)
		for i := 0; i < perZone; i++ {
			name := fmt.Sprintf("svc%d.%s", i, zoneName)
			for _, rs := range []route53sim.RecordSet{
				{Name: name, Type: "A", SetIdentifier: "primary", Weight: weight(0), TTL: weight(60), ResourceRecords: []string{"192.0.2.1"}},
				{Name: name, Type: "A", SetIdentifier: "secondary", Weight: weight(1), TTL: weight(60), ResourceRecords: []string{"198.51.100.1"}},
			} {
				if err := srv.PutRecordSet(zoneID, rs); err != nil {
					t.Fatal(err)
				}
			}
			tg, err := aws.NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc, Attrs: cty.ObjectVal(map[string]cty.Value{
				"zone_id":   cty.StringVal(zoneID),
				"zone":      cty.NullVal(cty.String),
				"name":      cty.StringVal(name),
				"type":      cty.StringVal("A"),
				"primary":   cty.ListVal([]cty.Value{cty.StringVal("primary")}),
				"secondary": cty.ListVal([]cty.Value{cty.StringVal("secondary")}),
			})})
			if err != nil {
				t.Fatal(err)
			}
			fbs = append(fbs, &Failback{Name: fmt.Sprintf("z%d-svc%d", z, i), PrimaryName: "aws", SecondaryName: "gcp", Rollout: ro,
				Targets: []NamedTarget{{Name: "dns", Kind: "route53_weighted", Target: tg}},
				Checks: []NamedCheck{{Name: "ok", Side: Primary, Check: ok, Interval: time.Minute, HealthyThreshold: 1,
					UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour}}})
		}
	}
	clk := &clock{now: t0}
	store, err := state.OpenFile(t.TempDir(), state.FileOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	eng := New(Options{Store: store, Now: clk.Now, Holder: state.LockInfo{Owner: "test", Host: "h", PID: 1}, Parallel: 8})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for round, want := range ro.Steps {
		srv.ResetCalls()
		reps, errs := eng.ReconcileAll(ctx, fbs, false)
		for i, fb := range fbs {
			if errs[i] != nil {
				t.Fatalf("round %d, %s: %v", round, fb.Name, errs[i])
			}
			if !reps[i].Applied || reps[i].After.Share != want {
				t.Fatalf("round %d, %s: applied %v, share %s, want %s (%+v)", round, fb.Name, reps[i].Applied, reps[i].After.Share, want, reps[i].Decision)
			}
		}
		calls := srv.Calls()
		if l, c := calls[route53sim.OpListResourceRecordSets], calls[route53sim.OpChangeResourceRecordSets]; l != 2*zones || c != zones {
			t.Fatalf("round %d: %d walks and %d changes, want %d and %d: %v", round, l, c, 2*zones, zones, calls)
		}
		clk.Advance(time.Minute)
	}
}
