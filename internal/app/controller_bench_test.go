package app

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"
)

// BenchmarkDetectionToRollback measures, over 20 trials of fbctl run on a
// real HAProxy with real HTTP checks (interval 1s, unhealthy_threshold 2),
// the time from the primary starting to fail to its HAProxy weight being
// 0 again, read back from the runtime API. Goal: every trial at most 3 s.
// It reports the median, the 90th percentile and the worst.
func BenchmarkDetectionToRollback(b *testing.B) {
	const trials = 20
	for b.Loop() {
		var took []time.Duration
		for range trials {
			took = append(took, detectionTrial(b))
		}
		slices.Sort(took)
		b.ReportMetric(took[len(took)/2].Seconds(), "p50-s")
		b.ReportMetric(took[len(took)*9/10].Seconds(), "p90-s")
		b.ReportMetric(took[len(took)-1].Seconds(), "max-s")
		b.Logf("detection to rollback over %d trials: %v", trials, took)
	}
}

func detectionTrial(b *testing.B) time.Duration {
	b.Helper()
	rollout := `steps               = [50, 100]
    bake                = "1h"
    primary_healthy_for = "1s"
    cooldown            = "1h"`
	e := newE2E(b, rollout)
	e.primaryCheck = `interval            = "1s"
    timeout             = "500ms"
    healthy_threshold   = 1
    unhealthy_threshold = 2`
	e.secondaryCheck = `interval          = "1s"
    timeout           = "500ms"
    healthy_threshold = 1`
	e.writePolicy(rollout, e.hap.SocketPath, "primary")
	g := e.global()
	g.Now, g.Output = nil, OutputText
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- RunController(ctx, IO{Out: io.Discard, ErrOut: io.Discard}, RunOptions{Global: g, Listen: "127.0.0.1:0"})
	}()
	defer func() {
		cancel()
		<-done
	}()
	primary := func() int { return e.hap.Weights(b)["app/primary"] }
	poll := func(what string, cond func() bool) {
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				b.Fatalf("not within 30s: %s", what)
			}
			time.Sleep(10 * time.Millisecond) // the measurement's resolution
		}
	}
	poll("the first step", func() bool { return primary() > 0 })
	failed := time.Now()
	e.primary.SetHealthy(false)
	poll("the rollback", func() bool { return primary() == 0 })
	return time.Since(failed)
}
