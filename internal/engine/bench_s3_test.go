package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"

	gcssim "github.com/fbctl/fbctl/internal/sim/gcs"
	s3sim "github.com/fbctl/fbctl/internal/sim/s3"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/state/gcsstore"
	"github.com/fbctl/fbctl/internal/state/s3store"
)

// BenchmarkReconcileS3 runs reconcile rounds of N failbacks with S3 state
// on sim/s3 answering every request after 20 ms, as a real region would,
// every failback moving one step per round. It reports S3 requests per
// failback per round (goal: at most 6) and the round's wall time (goal
// for 1,000: under 10 s, which needs concurrent state I/O).
func BenchmarkReconcileS3(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			srv := s3sim.New(s3sim.Options{Buckets: []string{"state"}, Latency: 20 * time.Millisecond})
			url, err := srv.Start()
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(srv.Close)
			c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
				Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
			benchReconcileStore(b, n, func(now func() time.Time) (state.Store, error) {
				return s3store.New(s3store.Options{Client: c, Bucket: "state", Prefix: "bench", Now: now})
			}, srv.Calls, srv.ResetCalls)
		})
	}
}

// BenchmarkReconcileGCS is BenchmarkReconcileS3 with GCS state on sim/gcs
// (20 ms per request).
func BenchmarkReconcileGCS(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			srv := gcssim.New(gcssim.Options{Buckets: []string{"state"}, Latency: 20 * time.Millisecond})
			if _, err := srv.Start(); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(srv.Close)
			svc, err := storage.NewService(context.Background(), option.WithEndpoint(srv.Endpoint()), option.WithoutAuthentication())
			if err != nil {
				b.Fatal(err)
			}
			benchReconcileStore(b, n, func(now func() time.Time) (state.Store, error) {
				return gcsstore.New(gcsstore.Options{Service: svc, Bucket: "state", Prefix: "bench", Now: now})
			}, srv.Calls, srv.ResetCalls)
		})
	}
}

// benchReconcileStore runs the rounds on the store newStore makes and
// reports the requests the emulator counted per failback per round.
func benchReconcileStore(b *testing.B, n int, newStore func(now func() time.Time) (state.Store, error),
	calls func() map[string]int, resetCalls func()) {
	clk := &clock{now: t0}
	store, err := newStore(clk.Now)
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
	resetCalls()
	b.ResetTimer()
	rounds := 0
	for b.Loop() {
		round()
		rounds++
	}
	b.StopTimer()
	total := 0
	for _, v := range calls() {
		total += v
	}
	b.ReportMetric(float64(total)/float64(rounds*n), "req/failback")
	b.Logf("n=%d rounds=%d requests: %v", n, rounds, calls())
}
