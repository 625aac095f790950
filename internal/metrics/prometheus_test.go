package metrics

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/testenv"
)

// A real Prometheus (1s scrapes) scrapes the metrics server on loopback:
// the share and the rollback counter read back through its HTTP API as
// fbctl set them, and a rollback fires the shipped FbctlRollback alert.
func TestRealPrometheusScrapes(t *testing.T) {
	m := newTest(t)
	m.AddFailback("checkout", "dns")
	shifting := engine.Position{Phase: state.PhaseShifting, Step: 2, Share: 2500}
	rep := &engine.Report{Failback: "checkout", Before: shifting, After: shifting, Applied: true,
		Observed: []engine.TargetShare{{Name: "dns", Share: 2500}},
		Decision: engine.Decision{Action: engine.ActionShift, To: 2500, Writes: true}}
	m.ObserveReport(rep, nil)
	s := NewServer(m, nil)
	startServer(t, s)

	rules, err := filepath.Abs("../../examples/deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{
		Targets: []string{s.Addr().String()}, ScrapeInterval: time.Second, RuleFiles: []string{rules}})
	one := func(want float64) func([]testenv.PromSample) bool {
		return func(s []testenv.PromSample) bool { return len(s) == 1 && s[0].Value == want }
	}
	// The first scrape comes a few seconds after start-up.
	const wait = 30 * time.Second
	got := prom.WaitQuery(t, `fbctl_failback_share_percent`, wait, one(25))
	if got[0].Labels["failback"] != "checkout" {
		t.Errorf("share labels %v", got[0].Labels)
	}
	prom.WaitQuery(t, `fbctl_rollbacks_total{failback="checkout"}`, wait, one(0))
	prom.WaitQuery(t, `fbctl_failback_phase{failback="checkout",phase="shifting"}`, wait, one(1))

	// The primary fails: a rollback to 0.
	rep.Before, rep.After = shifting, engine.Position{Phase: state.PhaseSecondary, Step: -1, Share: 0}
	rep.Decision = engine.Decision{Action: engine.ActionRollback, To: 0, Writes: true}
	m.ObserveReport(rep, nil)
	prom.WaitQuery(t, `fbctl_failback_share_percent{failback="checkout"}`, wait, one(0))
	prom.WaitQuery(t, `fbctl_rollbacks_total{failback="checkout"}`, wait, one(1))
	alert := prom.WaitQuery(t, `ALERTS{alertname="FbctlRollback",alertstate="firing"}`, wait, one(1))
	if l := alert[0].Labels; l["failback"] != "checkout" || l["severity"] != "warning" {
		t.Errorf("FbctlRollback labels %v", l)
	}
	if got := prom.Query(t, `ALERTS{alertname!="FbctlRollback"}`); len(got) != 0 {
		t.Errorf("other alerts fire: %v", fmt.Sprint(got))
	}
}
