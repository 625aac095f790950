package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/testenv"
)

// TestDataSyncGateAndMetricAnalysis: a failback on a real HAProxy with an
// http check and a prometheus check on its primary (a real Prometheus on a
// TSDB backfilled with an error ratio that degrades at a known time) and a
// postgres_replication gate on a real standby:
//
//   - while the standby's replay is paused behind the upstream's writes, the
//     gate holds the first step: 0 %, no rollback, no halt;
//   - replay resumed and caught up, the failback takes its first step;
//   - the standby falls behind again: the next raise is held at 5 %, and
//     the gate never lowers it;
//   - the engine's clock moves into the period where the error ratio is out
//     of bounds: the prometheus check is unhealthy and the failback rolls
//     back to 0 %, gate or no gate.
func TestDataSyncGateAndMetricAnalysis(t *testing.T) {
	upstream := testenv.StartPostgres(t)
	standby := upstream.StartStandby(t, "dc1_db")
	const pw = "e2e-Gate-pw-38q"
	upstream.Query(t, "CREATE ROLE fbctl LOGIN PASSWORD '"+pw+"'")
	standby.WaitQuery(t, "SELECT count(*) FROM pg_roles WHERE rolname = 'fbctl'", func(s string) bool { return s == "1" })

	// The error ratio: 0.1 % every 15 s for two hours, 20 % from 90
	// minutes on; the engine's clock starts 10 minutes in.
	base := time.Now().Add(-3 * time.Hour).Truncate(time.Minute)
	degrade := base.Add(90 * time.Minute)
	var om strings.Builder
	om.WriteString("# TYPE app_error_ratio gauge\n")
	for ts := base; ts.Before(base.Add(2 * time.Hour)); ts = ts.Add(15 * time.Second) {
		v := 0.001
		if !ts.Before(degrade) {
			v = 0.2
		}
		fmt.Fprintf(&om, "app_error_ratio{service=\"web\"} %g %d\n", v, ts.Unix())
	}
	om.WriteString("# EOF\n")
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{OpenMetrics: om.String()})

	rollout := `steps               = [5, 50, 100]
    bake                = "1m"
    primary_healthy_for = "1m"`
	e := newE2E(t, rollout)
	e.now = base.Add(10 * time.Minute)
	e.primaryCheck = fmt.Sprintf(`interval            = "10s"
    timeout             = "2s"
    healthy_threshold   = 1
    unhealthy_threshold = 1
    evidence_ttl        = "1h"
  }
  check "prometheus" "errors" {
    address             = %q
    query               = "app_error_ratio{service=\"web\"}"
    max                 = 0.01
    interval            = "10s"
    timeout             = "5s"
    healthy_threshold   = 1
    unhealthy_threshold = 1
    evidence_ttl        = "1h"`, prom.URL)
	e.inFailback = fmt.Sprintf(`
  gate "postgres_replication" "data" {
    dsn           = %q
    upstream_dsn  = %q
    max_lag_bytes = 1048576
  }`, standby.DSN("fbctl", pw), upstream.DSN("fbctl", pw))
	e.writePolicy(rollout, e.hap.SocketPath, "primary")

	reconcile := func() (ExitCode, runJSON) {
		t.Helper()
		code, out := e.run(func(g *Global, s IO) error {
			return Reconcile(context.Background(), s, ReconcileOptions{Global: g})
		})
		if strings.Contains(out, pw) {
			t.Fatalf("reconcile's output holds the DSN's password:\n%s", out)
		}
		if len(e.lastJSON.Failbacks) != 1 {
			t.Fatalf("reconcile exited %d:\n%s", code, out)
		}
		return code, e.lastJSON.Failbacks[0]
	}
	gate := func(fb runJSON) string {
		for _, g := range fb.Gates {
			if g.Name == "data" {
				return g.Verdict + ": " + g.Detail
			}
		}
		return ""
	}
	behind := func() {
		t.Helper()
		standby.Query(t, "SELECT pg_wal_replay_pause()")
		upstream.Query(t, "CREATE TABLE IF NOT EXISTS orders (g int, pad text)")
		upstream.Query(t, "INSERT INTO orders SELECT g, repeat('x', 100) FROM generate_series(1, 50000) AS g")
	}
	caughtUp := func() {
		t.Helper()
		standby.Query(t, "SELECT pg_wal_replay_resume()")
		current := upstream.Query(t, "SELECT pg_current_wal_lsn()")
		standby.WaitQuery(t, "SELECT pg_last_wal_replay_lsn() >= '"+current+"'", func(s string) bool { return s == "t" })
	}

	// 1. The standby is behind: the gate holds the first step.
	behind()
	held := false
	for i := 0; i < 12; i++ {
		code, fb := reconcile()
		if code != ExitOK || fb.Applied || fb.After == nil || fb.After.Share != 0 || fb.Action == "rollback" || fb.Action == "halt" {
			t.Fatalf("run %d while the standby is behind: exit %d, %+v", i, code, fb)
		}
		if g := gate(fb); strings.HasPrefix(g, "hold: ") {
			held = true
			if !strings.Contains(g, "lag") {
				t.Fatalf("the gate's hold does not say why: %q", g)
			}
		}
		e.advance(10 * time.Second)
	}
	if !held {
		t.Fatal("the gate was never asked, or never held, while the standby was behind")
	}
	if f := e.primaryFraction(); f != 0 {
		t.Fatalf("held by the gate: the primary really gets %.1f%%", f)
	}

	// 2. Caught up: the first step.
	caughtUp()
	for i := 0; ; i++ {
		_, fb := reconcile()
		if fb.Applied {
			break
		}
		if i == 20 {
			t.Fatalf("no step 20 runs after the standby caught up: %+v, gate %q", fb, gate(fb))
		}
		e.advance(10 * time.Second)
	}
	if f := e.primaryFraction(); f < 1 || f > 10 {
		t.Fatalf("after the first step the primary really gets %.1f%%", f)
	}

	// 3. Behind again: the next raise is held at 5 %, never lowered.
	behind()
	for i := 0; i < 12; i++ {
		e.advance(10 * time.Second)
		code, fb := reconcile()
		if code != ExitOK || fb.After == nil || fb.After.Share != 5 || fb.Action == "rollback" || fb.Action == "step_back" {
			t.Fatalf("run %d with the standby behind at 5%%: exit %d, %+v, gate %q", i, code, fb, gate(fb))
		}
	}

	// 4. The error ratio goes out of bounds: rollback, gate or no gate.
	e.now = degrade.Add(time.Minute)
	code, fb := reconcile()
	if code != ExitUnhealthy || fb.Action != "rollback" || fb.After == nil || fb.After.Share != 0 {
		t.Fatalf("with the error ratio at 20%%: exit %d, %+v", code, fb)
	}
	if f := e.primaryFraction(); f != 0 {
		t.Fatalf("rolled back: the primary really gets %.1f%%", f)
	}
	caughtUp()
}
