package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

// BenchmarkDecide1000 decides for 1,000 failbacks in assorted phases.
func BenchmarkDecide1000(b *testing.B) {
	r := testRollout()
	phases := []state.Phase{state.PhaseSecondary, state.PhaseShifting, state.PhaseShifting, state.PhasePrimary}
	inputs := make([]Input, 1000)
	for i := range inputs {
		ph := phases[i%len(phases)]
		step, share := -1, providers.Share(0)
		switch ph {
		case state.PhaseShifting:
			step = i % 4
			share = r.Steps[step]
		case state.PhasePrimary:
			step, share = 4, 10000
		}
		d := doc(ph, step, share, t0.Add(-time.Duration(i)*time.Minute))
		inputs[i] = Input{Rollout: r, State: d, Observed: obs(share, share), Primary: healthy(t0.Add(-time.Hour)), Secondary: healthy(t0), Now: t0}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, in := range inputs {
			_ = Decide(in)
		}
	}
}

// BenchmarkReconcile100 runs one reconcile round over 100 failbacks with
// in-memory targets, real check bookkeeping and the real file store (lock,
// load, intent, save, history).
func BenchmarkReconcile100(b *testing.B) {
	clk := &clock{now: t0}
	store, err := state.OpenFile(b.TempDir(), state.FileOptions{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	eng := New(Options{Store: store, Now: clk.Now, Holder: state.LockInfo{Owner: "bench", Host: "h", PID: 1}})
	ro := testRollout()
	ro.PrimaryHealthyFor, ro.Bake = time.Minute, time.Minute
	var fbs []*Failback
	for i := 0; i < 100; i++ {
		p := &flagCheck{}
		p.healthy.Store(true)
		s := &flagCheck{}
		s.healthy.Store(true)
		fbs = append(fbs, &Failback{Name: fmt.Sprintf("svc-%d", i), Rollout: ro,
			Targets: []NamedTarget{{Name: "a", Target: &memTarget{res: 1}}, {Name: "b", Target: &memTarget{res: 40}}},
			Checks: []NamedCheck{
				{Name: "p", Side: Primary, Check: p, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour},
				{Name: "s", Side: Secondary, Check: s, Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour},
			}})
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, fb := range fbs {
			if _, err := eng.Reconcile(ctx, fb, false); err != nil {
				b.Fatal(err)
			}
		}
		// Every other round moves a step (bake 1m); the rest hold.
		clk.Advance(30 * time.Second)
	}
}
