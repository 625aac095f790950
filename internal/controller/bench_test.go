package controller

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/rollout"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// BenchmarkControllerFootprint runs a controller of 1,000 failbacks with
// three checks each (3,000 checks probing every 10 s, instant probes), on
// the wall clock and a file store, every failback complete (nothing to
// decide but the schedule's rounds): it reports the process's resident
// memory and its CPU time per second once settled. Goal: under 200 MB.
func BenchmarkControllerFootprint(b *testing.B) {
	n := 1000
	if v := os.Getenv("FBCTL_BENCH_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	for b.Loop() {
		store, err := state.OpenFile(b.TempDir(), state.FileOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var fbs []*engine.Failback
		for i := range n {
			t := &memTarget{share: 10000}
			p1, p2, s := &flagCheck{}, &flagCheck{}, &flagCheck{}
			p1.healthy.Store(true)
			p2.healthy.Store(true)
			s.healthy.Store(true)
			fbs = append(fbs, &engine.Failback{Name: fmt.Sprintf("svc-%d", i), Rollout: engine.Rollout{
				Steps: []providers.Share{10000}, Bake: time.Minute, PrimaryHealthyFor: time.Second,
				OnUnhealthy: rollout.Rollback, OnDrift: rollout.Adopt, Approval: rollout.NoApproval},
				Targets: []engine.NamedTarget{{Name: "lb", Target: t}},
				Checks: []engine.NamedCheck{
					{Name: "p1", Side: engine.Primary, Check: p1, Interval: 10 * time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2, Samples: 1},
					{Name: "p2", Side: engine.Primary, Check: p2, Interval: 10 * time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2, Samples: 1},
					{Name: "s", Side: engine.Secondary, Check: s, Interval: 10 * time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2, Samples: 1},
				}})
		}
		ctrl := New(Options{Engine: engine.Options{Store: store, Holder: state.LockInfo{Owner: "bench", Host: "h", PID: 1}},
			Failbacks: fbs, Clock: RealClock{}, Schedule: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			ctrl.Run(ctx)
		}()
		// Settled: every failback's first round has run (probes make the
		// sides known within a tenth of an interval; the rounds follow).
		deadline := time.Now().Add(2 * time.Minute)
		for ctrl.Rounds() == 0 || !allComplete(store, fbs) {
			if time.Now().After(deadline) {
				b.Fatal("the controller did not settle")
			}
			time.Sleep(100 * time.Millisecond) // a benchmark's pacing, not a test's synchronisation
		}
		cpu0, wall0 := cpuTime(), time.Now()
		time.Sleep(10 * time.Second)
		cpu := cpuTime() - cpu0
		wall := time.Since(wall0)
		b.ReportMetric(float64(rssBytes())/1e6, "RSS-MB")
		b.ReportMetric(float64(cpu.Milliseconds())/wall.Seconds(), "cpu-ms/s")
		b.ReportMetric(float64(n*3)/10, "probes/s")
		cancel()
		<-done
	}
}

func allComplete(store *state.FileStore, fbs []*engine.Failback) bool {
	for _, fb := range fbs {
		d, err := store.Load(context.Background(), fb.Name)
		if err != nil || d.Version == 0 {
			return false
		}
	}
	return true
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssBytes is VmRSS of /proc/self/status.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
