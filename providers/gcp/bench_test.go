package gcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	gcpsim "github.com/fbctl/fbctl/internal/sim/gcp"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// BenchmarkReconcile100GCP: 100 failbacks, each with one gcp_url_map
// target on its own path matcher's default route or route rule, sharing
// 10 URL maps of the Compute emulator (operations DONE after one poll),
// the real engine and the file store. One op is one reconcile round
// (engine.ReconcileAll over every failback) in which every failback
// shifts one step. It reports the Compute API calls of a round
// (calls/round, every request the emulator saw), the reads and PATCHes
// per URL map per round, and the naive cost of each failback reading and
// writing on its own: a read and a PATCH (naive-read+patch/round) and,
// with the operation poll and the read-back, naive-calls/round.
//
//	go test -run '^$' -bench Reconcile100GCP -benchtime 20x ./providers/gcp/
func BenchmarkReconcile100GCP(b *testing.B) {
	const maps, perMap = 10, 10
	w := newSimWorld(b, gcpsim.Options{Seed: 1, PendingPolls: 1})
	pc := providerBlock(b, w.url)

	var steps []providers.Share
	for s := 1; s <= 100; s++ {
		steps = append(steps, providers.Share(s*100))
	}
	var fbs []*engine.Failback
	for m := 0; m < maps; m++ {
		for i, tg := range batchWorld(b, w, fmt.Sprintf("map-%d", m), perMap, pc) {
			fbs = append(fbs, testFailback(fmt.Sprintf("m%d-svc%d", m, i), steps,
				engine.NamedTarget{Name: "gclb", Kind: "gcp_url_map", Target: tg}))
		}
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store, err := state.OpenFile(b.TempDir(), state.FileOptions{Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	eng := engine.New(engine.Options{Store: store, Now: clock, Holder: state.LockInfo{Owner: "bench", Host: "h", PID: 1}})
	ctx := testCtx(b)

	w.srv.ResetCalls()
	rounds := 0
	start := time.Now()
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
	elapsed := time.Since(start)
	calls := w.srv.Calls()
	r := float64(rounds)
	b.ReportMetric(float64(total(calls))/r, "calls/round")
	b.ReportMetric(float64(calls["urlMaps.get"])/r/maps, "reads/map/round")
	b.ReportMetric(float64(calls["urlMaps.patch"])/r/maps, "patches/map/round")
	b.ReportMetric(float64(calls["globalOperations.get"])/r, "op-polls/round")
	b.ReportMetric(float64(2*len(fbs)), "naive-read+patch/round")
	b.ReportMetric(float64(4*len(fbs)), "naive-calls/round")
	b.ReportMetric(elapsed.Seconds()/r, "s/round")
}
