package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"

	gcssim "github.com/fbctl/fbctl/internal/sim/gcs"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/state/gcsstore"
)

// BenchmarkReconcileGCS is BenchmarkReconcileS3 with GCS state on
// sim/gcs (20 ms per request): GCS requests per failback per round, and
// the round's wall time.
func BenchmarkReconcileGCS(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchReconcileGCS(b, n) })
	}
}

func benchReconcileGCS(b *testing.B, n int) {
	srv := gcssim.New(gcssim.Options{Buckets: []string{"state"}, Latency: 20 * time.Millisecond})
	if _, err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	svc, err := storage.NewService(context.Background(), option.WithEndpoint(srv.Endpoint()), option.WithoutAuthentication())
	if err != nil {
		b.Fatal(err)
	}
	clk := &clock{now: t0}
	store, err := gcsstore.New(gcsstore.Options{Service: svc, Bucket: "state", Prefix: "bench", Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	eng := New(Options{Store: store, Now: clk.Now, Holder: state.LockInfo{Owner: "bench", Host: "h", PID: 1}})
	ro := testRollout()
	ro.PrimaryHealthyFor, ro.Bake = time.Minute, time.Minute
	var fbs []*Failback
	for i := 0; i < n; i++ {
		p := &flagCheck{}
		p.healthy.Store(true)
		s := &flagCheck{}
		s.healthy.Store(true)
		fbs = append(fbs, &Failback{Name: fmt.Sprintf("svc-%d", i), Rollout: ro,
			Targets: []NamedTarget{{Name: "a", Target: &memTarget{res: 1}}},
			Checks: []NamedCheck{
				{Name: "p", Side: Primary, Check: p, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour},
				{Name: "s", Side: Secondary, Check: s, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour},
			}})
	}
	ctx := context.Background()
	round := func() {
		_, errs := eng.ReconcileAll(ctx, fbs, false)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		clk.Advance(2 * time.Minute) // past the bake: every round moves a step
	}
	round() // the first round creates the documents and gathers evidence
	srv.ResetCalls()
	b.ResetTimer()
	rounds := 0
	for b.Loop() {
		round()
		rounds++
	}
	b.StopTimer()
	total := 0
	for _, v := range srv.Calls() {
		total += v
	}
	b.ReportMetric(float64(total)/float64(rounds*n), "req/failback")
	b.Logf("n=%d rounds=%d requests: %v", n, rounds, srv.Calls())
}
