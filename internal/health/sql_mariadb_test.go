package health

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/testenv"
)

// mariaPassword is the password of the user the checks connect as.
const mariaPassword = "maria-Pw-8kq"

func TestMariaDBReplication(t *testing.T) {
	source := testenv.StartMariaDB(t)
	replica := testenv.StartMariaDB(t)
	for _, m := range []*testenv.MariaDB{source, replica} {
		m.Query(t, "CREATE USER 'fbctl'@'127.0.0.1' IDENTIFIED BY '"+mariaPassword+"'; "+
			"GRANT SELECT, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO 'fbctl'@'127.0.0.1'")
	}
	replica.ReplicateFrom(t, source)
	dsn := replica.DSN("fbctl", mariaPassword)
	secrets := []string{mariaPassword, dsn, replica.Addr}

	c := mustSQLKindCheck(t, "mysql_replication", map[string]cty.Value{"dsn": str(dsn), "max_lag": cty.NumberIntVal(5)})
	r := waitProbe(t, c, true, secrets...)
	if !strings.HasPrefix(r.Detail, "replicating, lag ") || !strings.Contains(r.Detail, "(max 5s)") {
		t.Errorf("healthy detail %q", r.Detail)
	}

	replica.Query(t, "STOP SLAVE SQL_THREAD")
	r = probeClean(t, c, secrets...)
	if r.Healthy || !strings.Contains(r.Detail, `SQL thread "No"`) || !strings.Contains(r.Detail, "lag unknown") {
		t.Errorf("SQL thread stopped: got %+v", r)
	}
	replica.Query(t, "START SLAVE")
	replica.WaitReplicating(t)
	waitProbe(t, c, true, secrets...)

	t.Run("not a replica", func(t *testing.T) {
		c := mustSQLKindCheck(t, "mysql_replication", map[string]cty.Value{"dsn": str(source.DSN("fbctl", mariaPassword)), "max_lag": cty.NumberIntVal(5)})
		r := probeClean(t, c, secrets...)
		if r.Healthy || r.Detail != "not a replica (SHOW REPLICA STATUS returned no row)" {
			t.Errorf("got %+v", r)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		bad := "wrong-Maria-3zz"
		c := mustSQLKindCheck(t, "mysql_replication", map[string]cty.Value{"dsn": str(replica.DSN("fbctl", bad)), "max_lag": cty.NumberIntVal(5)})
		r := probeClean(t, c, append(secrets, bad)...)
		if r.Healthy || !strings.Contains(r.Detail, "Access denied") {
			t.Errorf("got %+v, want access denied", r)
		}
		c = mustSQLKindCheck(t, "sql", map[string]cty.Value{"driver": str("mysql"), "dsn": str(replica.DSN("fbctl", bad)), "query": str("SELECT 1")})
		r = probeClean(t, c, append(secrets, bad)...)
		if r.Healthy || !strings.Contains(r.Detail, "Access denied") {
			t.Errorf("sql: got %+v, want access denied", r)
		}
	})

	t.Run("sql", func(t *testing.T) {
		testSQLKind(t, "mysql", source.DSN("fbctl", mariaPassword), append(secrets, source.Addr))
		r := probeClean(t, mustSQLKindCheck(t, "sql", map[string]cty.Value{"driver": str("mysql"), "dsn": str(dsn),
			"query": str("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SLAVES_RUNNING'"), "min": cty.NumberIntVal(1)}), secrets...)
		if !r.Healthy {
			t.Errorf("running replication connections: got %+v", r)
		}
	})
}

// TestMySQLReplicaStatusNames judges replica status rows as MySQL 8.0.22+
// names their columns (only MariaDB runs here) and several channels.
func TestMySQLReplicaStatusNames(t *testing.T) {
	c := &mysqlReplicationCheck{maxLag: 30}
	row := func(kv ...string) map[string]sql.NullString {
		m := map[string]sql.NullString{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = sql.NullString{String: kv[i+1], Valid: kv[i+1] != "NULL"}
		}
		return m
	}
	for _, tc := range []struct {
		st      map[string]sql.NullString
		healthy bool
		detail  string
	}{
		{row("Replica_IO_Running", "Yes", "Replica_SQL_Running", "Yes", "Seconds_Behind_Source", "3"), true, "replicating, lag 3s (max 30s)"},
		{row("Replica_IO_Running", "Yes", "Replica_SQL_Running", "Yes", "Seconds_Behind_Source", "31"), false, "lag 31s (max 30s)"},
		{row("Replica_IO_Running", "Connecting", "Last_IO_Error", "error connecting to source", "Replica_SQL_Running", "Yes", "Seconds_Behind_Source", "NULL"), false,
			`IO thread "Connecting" (error connecting to source), lag unknown (Seconds_Behind_Source is NULL)`},
		{row("Slave_IO_Running", "Yes", "Slave_SQL_Running", "Yes", "Seconds_Behind_Master", "0"), true, "replicating, lag 0s (max 30s)"},
		{row("Slave_IO_Running", "Yes", "Slave_SQL_Running", "Yes", "Seconds_Behind_Master", "soon"), false, `lag "soon" is not a number`},
		{row("Other", "x"), false, "no replication thread columns in the replica status"},
	} {
		ok, detail := c.judge(tc.st)
		if ok != tc.healthy || detail != tc.detail {
			t.Errorf("%v: got %v %q, want %v %q", tc.st, ok, detail, tc.healthy, tc.detail)
		}
	}
}
