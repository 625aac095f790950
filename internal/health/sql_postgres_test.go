package health

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
)

// pgPassword is the password of the role the checks connect as: no
// Detail may ever show it.
const pgPassword = "pw-Zq7-s3cr3t"

// sqlKindOf looks a data-sync kind up in a registry filled by RegisterSQL.
func sqlKindOf(t *testing.T, kind string) *providers.Kind {
	t.Helper()
	r := providers.NewRegistry()
	RegisterSQL(r)
	k, err := r.Kind(providers.ClassCheck, kind)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newSQLKindCheck builds a check of a data-sync kind through the
// registry's constructor, with the values given (defaults otherwise).
func newSQLKindCheck(t *testing.T, kind string, set map[string]cty.Value, timeout time.Duration) (providers.Check, error) {
	t.Helper()
	k := sqlKindOf(t, kind)
	vals := map[string]cty.Value{}
	for name := range set {
		if k.Attribute(name) == nil {
			t.Fatalf("kind %q has no attribute %q", kind, name)
		}
	}
	for _, a := range k.Attributes {
		v, ok := set[a.Name]
		switch {
		case ok:
			vals[a.Name] = v
		case a.Default != cty.NilVal:
			vals[a.Name] = a.Default
		default:
			vals[a.Name] = cty.NullVal(a.Type)
		}
		if a.Sensitive && ok {
			vals[a.Name] = vals[a.Name].Mark("sensitive")
		}
	}
	return k.NewCheck(providers.Config{Name: "test-" + kind, Attrs: cty.ObjectVal(vals), Timeout: timeout})
}

func mustSQLKindCheck(t *testing.T, kind string, set map[string]cty.Value) providers.Check {
	t.Helper()
	c, err := newSQLKindCheck(t, kind, set, long)
	if err != nil {
		t.Fatalf("NewCheck(%s): %v", kind, err)
	}
	return c
}

// probeClean probes once and fails t when the Detail holds a secret.
func probeClean(t *testing.T, c providers.Check, secrets ...string) providers.Result {
	t.Helper()
	r := probe(t, c)
	for _, s := range secrets {
		if s != "" && strings.Contains(r.Detail, s) {
			t.Errorf("Detail %q holds the secret %q", r.Detail, s)
		}
	}
	return r
}

// waitProbe probes until the result's health is want, for at most 60s.
func waitProbe(t *testing.T, c providers.Check, want bool, secrets ...string) providers.Result {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := probeClean(t, c, secrets...)
		if r.Healthy == want {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("probe not healthy=%v after 60s: %+v", want, r)
		}
		time.Sleep(100 * time.Millisecond) // poll interval of a bounded wait
	}
}

func TestPostgresReplication(t *testing.T) {
	primary := testenv.StartPostgres(t)
	standby := primary.StartStandby(t, "fbctl_standby")
	primary.Query(t, "CREATE ROLE fbctl LOGIN PASSWORD '"+pgPassword+"' IN ROLE pg_monitor")
	standby.WaitQuery(t, "SELECT count(*) FROM pg_roles WHERE rolname = 'fbctl'", func(s string) bool { return s == "1" })
	up, down := primary.DSN("fbctl", pgPassword), standby.DSN("fbctl", pgPassword)
	secrets := []string{pgPassword, up, down}
	const maxLag = 256 << 10

	standbyForm := mustSQLKindCheck(t, "postgres_replication", map[string]cty.Value{
		"dsn": str(down), "upstream_dsn": str(up), "max_lag_bytes": cty.NumberIntVal(maxLag)})
	upstreamForm := mustSQLKindCheck(t, "postgres_replication", map[string]cty.Value{
		"dsn": str(up), "standbys": strs("fbctl_standby"), "max_lag_bytes": cty.NumberIntVal(maxLag)})

	r := waitProbe(t, standbyForm, true, secrets...)
	if !strings.Contains(r.Detail, "lag ") || !strings.Contains(r.Detail, "(max 262144)") {
		t.Errorf("healthy detail %q does not name the lag and its bound", r.Detail)
	}
	r = waitProbe(t, upstreamForm, true, secrets...)
	if !strings.Contains(r.Detail, `"fbctl_standby" streaming, lag `) {
		t.Errorf("healthy detail %q does not name the standby streaming", r.Detail)
	}

	// Replay paused while the upstream writes a few MB of WAL.
	standby.Query(t, "SELECT pg_wal_replay_pause()")
	primary.Query(t, "CREATE TABLE filler AS SELECT g, repeat('x', 100) AS pad FROM generate_series(1, 50000) AS g")
	current := primary.Query(t, "SELECT pg_current_wal_lsn()")
	standby.WaitQuery(t, "SELECT pg_wal_lsn_diff('"+current+"', pg_last_wal_replay_lsn()) > "+"262144",
		func(s string) bool { return s == "t" })
	r = probeClean(t, standbyForm, secrets...)
	if r.Healthy || !strings.Contains(r.Detail, "lag ") || !strings.Contains(r.Detail, "replay paused") {
		t.Errorf("paused: got %+v, want unhealthy naming the lag and the pause", r)
	}
	// The upstream sees the standby's replay position within
	// wal_receiver_status_interval (1s).
	r = waitProbe(t, upstreamForm, false, secrets...)
	if !strings.Contains(r.Detail, `"fbctl_standby" streaming, lag `) {
		t.Errorf("paused, upstream form: detail %q does not name the lag", r.Detail)
	}

	standby.Query(t, "SELECT pg_wal_replay_resume()")
	waitProbe(t, standbyForm, true, secrets...)
	waitProbe(t, upstreamForm, true, secrets...)

	t.Run("standbys", func(t *testing.T) {
		c := mustSQLKindCheck(t, "postgres_replication", map[string]cty.Value{
			"dsn": str(up), "standbys": strs("fbctl_standby", "missing"), "max_lag_bytes": cty.NumberIntVal(maxLag)})
		r := probeClean(t, c, secrets...)
		if r.Healthy || !strings.Contains(r.Detail, `"missing" not connected`) {
			t.Errorf("got %+v, want unhealthy naming the missing standby", r)
		}
		// Forms pointed at the wrong databases say so.
		c = mustSQLKindCheck(t, "postgres_replication", map[string]cty.Value{
			"dsn": str(down), "standbys": strs("fbctl_standby"), "max_lag_bytes": cty.NumberIntVal(maxLag)})
		if r := probeClean(t, c, secrets...); r.Healthy || !strings.Contains(r.Detail, "dsn is a standby") {
			t.Errorf("standbys form on a standby: got %+v", r)
		}
		c = mustSQLKindCheck(t, "postgres_replication", map[string]cty.Value{
			"dsn": str(up), "upstream_dsn": str(up), "max_lag_bytes": cty.NumberIntVal(maxLag)})
		if r := probeClean(t, c, secrets...); r.Healthy || !strings.Contains(r.Detail, "dsn is not a standby") {
			t.Errorf("standby form on the upstream: got %+v", r)
		}
		c = mustSQLKindCheck(t, "postgres_replication", map[string]cty.Value{
			"dsn": str(down), "upstream_dsn": str(down), "max_lag_bytes": cty.NumberIntVal(maxLag)})
		if r := probeClean(t, c, secrets...); r.Healthy || !strings.Contains(r.Detail, "upstream_dsn is a standby too") {
			t.Errorf("upstream_dsn on a standby: got %+v", r)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		bad := "wrong-Pw-9xq"
		c := mustSQLKindCheck(t, "postgres_replication", map[string]cty.Value{
			"dsn": str(standby.DSN("fbctl", bad)), "upstream_dsn": str(up), "max_lag_bytes": cty.NumberIntVal(maxLag)})
		r := probeClean(t, c, append(secrets, bad, standby.DSN("fbctl", bad), standby.Addr)...)
		if r.Healthy || !strings.Contains(r.Detail, "password authentication failed") {
			t.Errorf("got %+v, want an authentication failure", r)
		}
	})

	t.Run("sql", func(t *testing.T) {
		testSQLKind(t, "postgres", up, append(secrets, primary.Addr))
		r := probeClean(t, mustSQLKindCheck(t, "sql", map[string]cty.Value{"driver": str("postgres"), "dsn": str(up),
			"query": str("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"), "min": cty.NumberIntVal(1)}), secrets...)
		if !r.Healthy || r.Detail != "value 1 (min 1)" {
			t.Errorf("streaming standbys: got %+v", r)
		}
		r = probeClean(t, mustSQLKindCheck(t, "sql", map[string]cty.Value{"driver": str("postgres"), "dsn": str(up),
			"query": str("WITH w AS (INSERT INTO filler VALUES (0, '') RETURNING g) SELECT count(*) FROM w")}), secrets...)
		if r.Healthy || !strings.Contains(r.Detail, "read-only transaction") {
			t.Errorf("a writing query: got %+v, want refused by the read-only transaction", r)
		}
	})
}

// testSQLKind runs the sql kind's shape and bounds cases against a real
// database of driver at dsn; no Detail may hold one of secrets.
func testSQLKind(t *testing.T, driver, dsn string, secrets []string) {
	t.Helper()
	cases := []struct {
		query    string
		min, max cty.Value
		healthy  bool
		detail   string
	}{
		{"SELECT 42", cty.NilVal, cty.NilVal, true, "value 42"},
		{"SELECT 42", cty.NumberIntVal(42), cty.NumberIntVal(42), true, "value 42 (within [42, 42])"},
		{"SELECT 41", cty.NumberIntVal(42), cty.NilVal, false, "value 41 below min 42"},
		{"SELECT 2.5", cty.NilVal, cty.NumberFloatVal(2), false, "value 2.5 above max 2"},
		{"SELECT CAST(7 AS DECIMAL(10,3))", cty.NilVal, cty.NumberIntVal(7), true, "value 7 (max 7)"},
		{"SELECT '3.25'", cty.NilVal, cty.NilVal, true, "value 3.25"},
		{"SELECT 1, 2", cty.NilVal, cty.NilVal, false, "query returned 2 columns, want one row of one number"},
		{"SELECT 1 FROM (SELECT 1 AS x) AS t WHERE t.x = 2", cty.NilVal, cty.NilVal, false, "query returned no row, want one row of one number"},
		{"SELECT 1 UNION ALL SELECT 2", cty.NilVal, cty.NilVal, false, "query returned more than one row, want one row of one number"},
		{"SELECT 'ok'", cty.NilVal, cty.NilVal, false, `query returned "ok", want a number`},
		{"SELECT NULL", cty.NilVal, cty.NilVal, false, "query returned NULL, want a number"},
	}
	for _, tc := range cases {
		set := map[string]cty.Value{"driver": str(driver), "dsn": str(dsn), "query": str(tc.query)}
		if tc.min != cty.NilVal {
			set["min"] = tc.min
		}
		if tc.max != cty.NilVal {
			set["max"] = tc.max
		}
		r := probeClean(t, mustSQLKindCheck(t, "sql", set), secrets...)
		if r.Healthy != tc.healthy || r.Detail != tc.detail {
			t.Errorf("%s [%v, %v]: got %+v, want healthy=%v %q", tc.query, tc.min, tc.max, r, tc.healthy, tc.detail)
		}
	}
	r := probeClean(t, mustSQLKindCheck(t, "sql", map[string]cty.Value{"driver": str(driver), "dsn": str(dsn), "query": str("SELEC 1")}), secrets...)
	if r.Healthy || !strings.Contains(strings.ToLower(r.Detail), "syntax") {
		t.Errorf("syntax error: got %+v", r)
	}
}

// TestSQLHungServer: a server that accepts and never answers costs a probe
// its timeout, not more, with either driver.
func TestSQLHungServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	addr := l.Addr().String()
	for _, tc := range []struct{ kind, driver, dsn string }{
		{"sql", "postgres", "postgres://u:hung-Pw-1@" + addr + "/db?sslmode=disable"},
		{"sql", "mysql", "u:hung-Pw-1@tcp(" + addr + ")/db"},
		{"mysql_replication", "", "u:hung-Pw-1@tcp(" + addr + ")/"},
		{"postgres_replication", "", "postgres://u:hung-Pw-1@" + addr + "/db?sslmode=disable"},
	} {
		set := map[string]cty.Value{"dsn": str(tc.dsn)}
		switch tc.kind {
		case "sql":
			set["driver"], set["query"] = str(tc.driver), str("SELECT 1")
		case "mysql_replication":
			set["max_lag"] = cty.NumberIntVal(1)
		case "postgres_replication":
			set["standbys"], set["max_lag_bytes"] = strs("s"), cty.NumberIntVal(1)
		}
		c, err := newSQLKindCheck(t, tc.kind, set, 300*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		r := c.Probe(context.Background())
		took := time.Since(start)
		t.Logf("%s %s: %+v in %s", tc.kind, tc.driver, r, took)
		if r.Healthy || !strings.Contains(r.Detail, "timeout after 300ms") || took > 3*time.Second {
			t.Errorf("%s %s: got %+v in %s, want a timeout after 300ms", tc.kind, tc.driver, r, took)
		}
		if strings.Contains(r.Detail, "hung-Pw-1") || strings.Contains(r.Detail, addr) {
			t.Errorf("%s: Detail %q holds the DSN or its parts", tc.kind, r.Detail)
		}
	}
}
