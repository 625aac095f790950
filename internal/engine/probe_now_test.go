package engine

import (
	"context"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/health"
	"github.com/fbctl/fbctl/providers"
)

// nowCheck records the evaluation time each probe gets from its context
// and answers with res.
type nowCheck struct {
	seen []time.Time
	res  providers.Result
}

func (c *nowCheck) Probe(ctx context.Context) providers.Result {
	c.seen = append(c.seen, providers.NowFrom(ctx))
	return c.res
}

// Every probe is taken at the engine's clock (a prometheus check queries
// at that time), and an unknown result is not retried as a failure is.
func TestProbeCarriesTheEnginesClock(t *testing.T) {
	clock := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { return clock }
	sleep := func(context.Context, time.Duration) error { clock = clock.Add(10 * time.Second); return nil }

	c := &nowCheck{res: providers.Result{Healthy: false, Detail: "down"}}
	nc := NamedCheck{Name: "c", Check: c, Interval: 10 * time.Second, Samples: 1, UnhealthyThreshold: 3}
	if _, err := probe(context.Background(), nc, health.Evidence{}, time.Minute, now, sleep); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{
		time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2030, 1, 2, 3, 4, 15, 0, time.UTC),
		time.Date(2030, 1, 2, 3, 4, 25, 0, time.UTC),
	}
	if len(c.seen) != len(want) {
		t.Fatalf("a failing check on stale evidence: %d probes, want %d", len(c.seen), len(want))
	}
	for i := range want {
		if !c.seen[i].Equal(want[i]) {
			t.Errorf("probe %d at %v, want the engine's %v", i, c.seen[i], want[i])
		}
	}

	u := &nowCheck{res: providers.Result{Unknown: true, Detail: "no series"}}
	nc.Check = u
	ev, err := probe(context.Background(), nc, health.Evidence{}, time.Minute, now, sleep)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.seen) != 1 || !ev.LastUnknown {
		t.Errorf("an unknown result: %d probes, evidence %+v; want one probe, recorded as unknown", len(u.seen), ev)
	}
}
