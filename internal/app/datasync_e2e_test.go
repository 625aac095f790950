package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fbctl/fbctl/internal/testenv"
)

// TestDataSyncHoldsFailback: a failback whose primary has a
// postgres_replication check on a real standby stays at 0 % on a real
// HAProxy while the standby's replay is paused behind the upstream's
// writes, and moves once replay resumes and the standby catches up. No
// output shows the DSNs' password.
func TestDataSyncHoldsFailback(t *testing.T) {
	upstream := testenv.StartPostgres(t)
	standby := upstream.StartStandby(t, "dc1_db")
	const pw = "e2e-Pg-pw-71x"
	upstream.Query(t, "CREATE ROLE fbctl LOGIN PASSWORD '"+pw+"'")
	standby.WaitQuery(t, "SELECT count(*) FROM pg_roles WHERE rolname = 'fbctl'", func(s string) bool { return s == "1" })
	standby.Query(t, "SELECT pg_wal_replay_pause()")
	upstream.Query(t, "CREATE TABLE orders AS SELECT g, repeat('x', 100) AS pad FROM generate_series(1, 50000) AS g")

	e := newE2E(t, `steps = [5, 100]
    bake = "1m"
    primary_healthy_for = "1m"`)
	// The http check's body, then a second primary check: the template
	// closes the block.
	e.primaryCheck = fmt.Sprintf(`interval            = "10s"
    timeout             = "2s"
    healthy_threshold   = 2
    unhealthy_threshold = 1
    evidence_ttl        = "1h"
  }
  check "postgres_replication" "dc1_db" {
    dsn                 = %q
    upstream_dsn        = %q
    max_lag_bytes       = 1048576
    interval            = "10s"
    timeout             = "5s"
    healthy_threshold   = 1
    unhealthy_threshold = 1
    evidence_ttl        = "1h"`, standby.DSN("fbctl", pw), upstream.DSN("fbctl", pw))
	e.writePolicy(`steps = [5, 100]
    bake = "1m"
    primary_healthy_for = "1m"`, e.hap.SocketPath, "primary")

	reconcile := func() runJSON {
		t.Helper()
		code, out := e.run(func(g *Global, s IO) error {
			return Reconcile(context.Background(), s, ReconcileOptions{Global: g})
		})
		if code != ExitOK && code != ExitUnhealthy {
			t.Fatalf("reconcile exited %d:\n%s", code, out)
		}
		if strings.Contains(out, pw) {
			t.Fatalf("reconcile's output holds the DSN's password:\n%s", out)
		}
		return e.lastJSON.Failbacks[0]
	}
	dbDetail := func(fb runJSON) string {
		if fb.Primary != nil {
			for _, c := range fb.Primary.Checks {
				if c.Name == "dc1_db" {
					return c.State + ": " + c.Detail
				}
			}
		}
		return ""
	}

	// Paused: three times primary_healthy_for passes, and no step.
	for i := 0; i < 18; i++ {
		fb := reconcile()
		if fb.After == nil || fb.After.Share != 0 || fb.Applied {
			t.Fatalf("run %d moved while the standby is behind: %+v", i, fb)
		}
		if d := dbDetail(fb); !strings.HasPrefix(d, "unhealthy: lag ") {
			t.Fatalf("run %d: the data-sync check says %q", i, d)
		}
		e.advance(10 * time.Second)
	}
	if f := e.primaryFraction(); f != 0 {
		t.Fatalf("held: the primary really gets %.1f%%", f)
	}

	standby.Query(t, "SELECT pg_wal_replay_resume()")
	current := upstream.Query(t, "SELECT pg_current_wal_lsn()")
	standby.WaitQuery(t, "SELECT pg_last_wal_replay_lsn() >= '"+current+"'", func(s string) bool { return s == "t" })
	for i := 0; ; i++ {
		fb := reconcile()
		if fb.Applied {
			t.Logf("moved to %v%% after resume, run %d: %s", *fb.To, i, dbDetail(fb))
			break
		}
		if i == 30 {
			t.Fatalf("no step 30 runs after the standby caught up: %+v, %s", fb, dbDetail(fb))
		}
		e.advance(10 * time.Second)
	}
	if f := e.primaryFraction(); f < 1 || f > 10 {
		t.Errorf("after the first step the primary really gets %.1f%%", f)
	}
	for name, content := range e.stateBytes() {
		if strings.Contains(content, pw) || strings.Contains(content, standby.DSN("fbctl", pw)) {
			t.Errorf("state file %s holds the DSN or its password", name)
		}
	}
}
