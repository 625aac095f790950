package aws

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/engine"
	route53sim "github.com/fbctl/fbctl/internal/sim/route53"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// okCheck is always healthy.
type okCheck struct{}

func (okCheck) Probe(context.Context) providers.Result {
	return providers.Result{Healthy: true, Detail: "ok"}
}

// BenchmarkReconcileRoute53 is issue 4's benchmark: N failbacks (1,000 by
// default; 100 and 1,000 as sub-benchmarks), each with one
// route53_weighted target, 100 to a hosted zone of internal/sim enforcing
// 10 requests/s with burst 50, the provider's own limiter at 10/s burst
// 50, the real engine and the file store. One op is one reconcile round
// (engine.ReconcileAll over every failback) in which every failback shifts
// one step. It reports the Route 53 API calls of a round (r53-calls/round,
// every request the emulator saw, retries included) against the naive one
// walk and one change per failback (2 N), the ratio, the naive round's
// least wall time at 10 requests/s, the round's wall time and its cost per
// failback (ms/failback), and the process's CPU time per failback
// (cpu-ms/failback, the emulator's included).
//
//	go test -run '^$' -bench ReconcileRoute53 -benchtime 3x ./providers/aws/
//
// FBCTL_BENCH_PARALLEL sets engine.Options.Parallel (1: one failback after
// another), FBCTL_BENCH_PER_ZONE the failbacks of a hosted zone (100).
// FBCTL_BENCH_N replaces the sub-benchmarks' failback counts (a
// comma-separated list), for the sizes too slow for every run:
//
//	FBCTL_BENCH_N=10000 go test -run '^$' -bench ReconcileRoute53 -benchtime 1x -timeout 30m ./providers/aws/
func BenchmarkReconcileRoute53(b *testing.B) {
	for _, n := range benchSizes(b, []int{100, 1000}) {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchReconcileRoute53(b, n) })
	}
}

// benchSizes is FBCTL_BENCH_N's failback counts, or def.
func benchSizes(b *testing.B, def []int) []int {
	v := os.Getenv("FBCTL_BENCH_N")
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("FBCTL_BENCH_N=%q: want a comma-separated list of failback counts", v)
		}
		out = append(out, n)
	}
	return out
}

func benchReconcileRoute53(b *testing.B, n int) {
	perZoneMax := 100
	if v := os.Getenv("FBCTL_BENCH_PER_ZONE"); v != "" {
		var err error
		if perZoneMax, err = strconv.Atoi(v); err != nil || perZoneMax <= 0 {
			b.Fatalf("FBCTL_BENCH_PER_ZONE=%q: want a count of failbacks", v)
		}
	}
	zones := (n + perZoneMax - 1) / perZoneMax
	const rps, burst = 10, 50
	srv := route53sim.New(route53sim.Options{Seed: 1, RateLimit: rps, RateBurst: burst})
	url, err := srv.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	pc := &providers.ProviderConfig{Type: "aws", Name: "bench", Attrs: cty.ObjectVal(map[string]cty.Value{
		"region":              cty.StringVal("us-east-1"),
		"profile":             cty.NullVal(cty.String),
		"assume_role":         cty.NullVal(cty.String),
		"endpoint_url":        cty.StringVal(url),
		"requests_per_second": cty.NumberIntVal(rps),
		"burst":               cty.NumberIntVal(burst),
	})}

	// 100 steps of 1 %: every round shifts every failback one step.
	var steps []providers.Share
	for s := 1; s <= 100; s++ {
		steps = append(steps, providers.Share(s*100))
	}
	ro := engine.Rollout{Steps: steps, Bake: 0, PrimaryHealthyFor: 0, OnUnhealthy: "rollback",
		Cooldown: time.Hour, OnDrift: "halt", Approval: "none"}
	var fbs []*engine.Failback
	for z := 0; z < zones; z++ {
		zoneName := fmt.Sprintf("zone%d.example", z)
		zoneID := srv.AddZone(zoneName, false)
		for i := 0; i < perZoneMax && z*perZoneMax+i < n; i++ {
			name := fmt.Sprintf("svc%d.%s", i, zoneName)
			for _, rs := range []route53sim.RecordSet{
				simWeighted(name, "A", "primary", 0, "192.0.2.1"),
				simWeighted(name, "A", "secondary", 1, "198.51.100.1"),
			} {
				if err := srv.PutRecordSet(zoneID, rs); err != nil {
					b.Fatal(err)
				}
			}
			tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc,
				Attrs: r53Attrs(zoneID, "", name, "A", []string{"primary"}, []string{"secondary"})})
			if err != nil {
				b.Fatal(err)
			}
			fbs = append(fbs, &engine.Failback{Name: fmt.Sprintf("z%d-svc%d", z, i), PrimaryName: "aws", SecondaryName: "gcp",
				Rollout: ro,
				Targets: []engine.NamedTarget{{Name: "dns", Kind: "route53_weighted", Target: tg}},
				Checks: []engine.NamedCheck{{Name: "ok", Kind: "fake", Side: engine.Primary, Check: okCheck{},
					Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour}}})
		}
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store, err := state.OpenFile(b.TempDir(), state.FileOptions{Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	par := 0 // the engine's default
	if v := os.Getenv("FBCTL_BENCH_PARALLEL"); v != "" {
		if par, err = strconv.Atoi(v); err != nil {
			b.Fatalf("FBCTL_BENCH_PARALLEL=%q: %v", v, err)
		}
	}
	eng := engine.New(engine.Options{Store: store, Now: clock, Holder: state.LockInfo{Owner: "bench", Host: "h", PID: 1}, Parallel: par})
	ctx := context.Background()

	srv.ResetCalls()
	rounds := 0
	start, cpu0 := time.Now(), processCPU()
	for b.Loop() {
		if rounds >= len(steps) {
			b.Fatalf("more than %d rounds: every round must shift one step (use -benchtime Nx)", len(steps))
		}
		reps, errs := eng.ReconcileAll(providers.WithRunCache(ctx), fbs, false)
		want := steps[rounds]
		for i, fb := range fbs {
			if errs[i] != nil {
				b.Fatalf("round %d, %s: %v", rounds, fb.Name, errs[i])
			}
			if !reps[i].Applied || reps[i].After.Share != want {
				b.Fatalf("round %d, %s: applied %v, share %s, want %s (%+v)", rounds, fb.Name, reps[i].Applied, reps[i].After.Share, want, reps[i].Decision)
			}
		}
		rounds++
		now = now.Add(time.Minute)
	}
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	total := 0
	for _, n := range srv.Calls() {
		total += n
	}
	calls := srv.Calls()
	perRound := float64(total) / float64(rounds)
	naive := float64(2 * len(fbs))
	b.ReportMetric(perRound, "r53-calls/round")
	b.ReportMetric(float64(calls[route53sim.OpListResourceRecordSets])/float64(rounds), "list-calls/round")
	b.ReportMetric(float64(calls[route53sim.OpChangeResourceRecordSets])/float64(rounds), "change-calls/round")
	b.ReportMetric(naive, "naive-calls/round")
	b.ReportMetric(naive/perRound, "naive/batched")
	b.ReportMetric(elapsed.Seconds()/float64(rounds), "s/round")
	b.ReportMetric(elapsed.Seconds()*1000/float64(rounds*n), "ms/failback")
	// CPU time is steadier than wall time on a shared machine.
	b.ReportMetric(cpu.Seconds()*1000/float64(rounds*n), "cpu-ms/failback")
	// The naive round at 10 requests/s, after the burst: its least time.
	b.ReportMetric((naive-burst)/rps, "naive-min-s/round")
}
