package health

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/fbctl/fbctl/providers"
)

// maxRows bounds the rows read from pg_stat_replication or a replica
// status: more would be a hostile server, or a topology no gate judges.
const maxRows = 256

// maxColumns bounds the columns of a replica status (MySQL 8 has 57).
const maxColumns = 512

// The SQL the postgres_replication kind runs. Each reads everything it
// needs in one statement so the values belong to one moment.
const (
	// On the standby (dsn, with upstream_dsn): where it has replayed to,
	// and the timestamp lag and pause state for the Detail only.
	pgStandbySQL = `SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8`
	// On the upstream (upstream_dsn): where the writes are. A standby
	// has no current position of its own (the function fails in recovery).
	pgUpstreamSQL = `SELECT pg_is_in_recovery(), CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END`
	// On the upstream (dsn, with standbys): its position and every
	// standby's, as its WAL senders see them.
	pgSendersSQL = `SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END, application_name, state, replay_lsn::text,
       extract(epoch FROM replay_lag)::float8
FROM (SELECT 1) AS one LEFT JOIN pg_stat_replication ON true
LIMIT 257` // maxRows+1: one more than is read tells of too many
)

// pgReplicationCheck is the postgres_replication check kind.
type pgReplicationCheck struct {
	db       *database // the standby (with upstream), or the upstream (with standbys)
	upstream *database
	standbys []string
	maxLag   uint64
	timeout  time.Duration
	red      *providers.Redactor
	errRed   *providers.Redactor
}

// newPostgresReplicationCheck is the postgres_replication kind's CheckFactory.
func newPostgresReplicationCheck(cfg providers.Config) (providers.Check, error) {
	a, err := readAttrs("postgres_replication", cfg)
	if err != nil {
		return nil, err
	}
	c, err := buildPGReplicationCheck(a, cfg)
	if err != nil {
		return nil, a.wrap(cfg.Name, err)
	}
	return c, nil
}

func buildPGReplicationCheck(a *attrs, cfg providers.Config) (*pgReplicationCheck, error) {
	c := &pgReplicationCheck{timeout: cfg.Timeout, red: a.red, errRed: a.red.Merged(nil)}
	dsn, err := a.requireStr("dsn")
	if err != nil {
		return nil, err
	}
	if c.db, err = newDatabase("postgres", dsn, a.red, c.errRed); err != nil {
		return nil, fmt.Errorf("dsn: %v", err)
	}
	if up, ok := a.str("upstream_dsn"); ok {
		if c.upstream, err = newDatabase("postgres", up, a.red, c.errRed); err != nil {
			return nil, fmt.Errorf("upstream_dsn: %v", err)
		}
	}
	if c.standbys, err = a.strList("standbys"); err != nil {
		return nil, err
	}
	if (c.upstream == nil) == (c.standbys == nil) {
		return nil, errors.New("exactly one of upstream_dsn and standbys must be set")
	}
	n, ok := numberAttr(a.obj, "max_lag_bytes")
	if !ok || n < 0 {
		return nil, errors.New("max_lag_bytes must be set")
	}
	c.maxLag = uint64(n)
	return c, nil
}

// Probe measures the lag in bytes of WAL, by the form the check has.
func (c *pgReplicationCheck) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer finishProbe(c.red, start, &res)
	pctx, cancel := probeContext(ctx, c.timeout)
	defer cancel()
	var healthy bool
	var detail string
	var err error
	if c.upstream != nil {
		healthy, detail, err = c.probeStandby(pctx)
	} else {
		healthy, detail, err = c.probeUpstream(pctx)
	}
	lat := time.Since(start)
	if err != nil {
		return providers.Result{Detail: probeError(c.errRed, ctx, pctx, c.timeout, err), Latency: lat}
	}
	return providers.Result{Healthy: healthy, Detail: detail, Latency: lat}
}

// queryRow opens db, runs one query and scans its one row.
func queryRow(ctx context.Context, d *database, timeout time.Duration, what, q string, dest ...any) error {
	db, err := d.open(timeout)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// probeStandby reads the standby first, then the upstream: the upstream
// can only have moved on meanwhile, so the lag is never under-estimated.
func (c *pgReplicationCheck) probeStandby(ctx context.Context) (bool, string, error) {
	var inRecovery, paused sql.NullBool
	var replay sql.NullString
	var behind sql.NullFloat64
	if err := queryRow(ctx, c.db, c.timeout, "standby (dsn)", pgStandbySQL, &inRecovery, &replay, &paused, &behind); err != nil {
		return false, "", err
	}
	if !inRecovery.Bool {
		return false, "dsn is not a standby (not in recovery): no replication to measure", nil
	}
	if !replay.Valid {
		return false, "the standby has replayed no WAL yet", nil
	}
	replayLSN, err := parseLSN(replay.String)
	if err != nil {
		return false, "", fmt.Errorf("standby (dsn): replay position: %w", err)
	}
	var upRecovery sql.NullBool
	var current sql.NullString
	if err := queryRow(ctx, c.upstream, c.timeout, "upstream (upstream_dsn)", pgUpstreamSQL, &upRecovery, &current); err != nil {
		return false, "", err
	}
	if upRecovery.Bool || !current.Valid {
		return false, "upstream_dsn is a standby too (in recovery): point it at the database that takes the writes", nil
	}
	currentLSN, err := parseLSN(current.String)
	if err != nil {
		return false, "", fmt.Errorf("upstream (upstream_dsn): current position: %w", err)
	}
	lag := lsnDiff(currentLSN, replayLSN)
	detail := fmt.Sprintf("lag %d bytes (max %d): upstream at %s, standby replayed to %s", lag, c.maxLag, current.String, replay.String)
	if paused.Bool {
		detail += "; replay paused"
	}
	if behind.Valid {
		// Grows while the upstream is idle, so it only informs.
		detail += fmt.Sprintf("; last replayed transaction %s old", roundSeconds(behind.Float64))
	}
	return lag <= c.maxLag, detail, nil
}

// standbyState is one row of pg_stat_replication.
type standbyState struct {
	state  string
	replay string
	lag    uint64
	hasLag bool
	behind sql.NullFloat64
}

// probeUpstream judges each named standby as the upstream's WAL senders
// see it: streaming, its replay position within maxLag of the upstream's
// current position. A name with several connections passes when one does.
func (c *pgReplicationCheck) probeUpstream(ctx context.Context) (bool, string, error) {
	db, err := c.db.open(c.timeout)
	if err != nil {
		return false, "", fmt.Errorf("upstream (dsn): %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, pgSendersSQL)
	if err != nil {
		return false, "", fmt.Errorf("upstream (dsn): %w", err)
	}
	defer rows.Close()
	var current sql.NullString
	var currentLSN uint64
	seen := map[string][]standbyState{}
	n := 0
	for rows.Next() {
		if n++; n > maxRows {
			return false, "", fmt.Errorf("upstream (dsn): more than %d WAL senders", maxRows)
		}
		var name, state, replay sql.NullString
		var st standbyState
		if err := rows.Scan(&current, &name, &state, &replay, &st.behind); err != nil {
			return false, "", fmt.Errorf("upstream (dsn): %w", err)
		}
		if !current.Valid {
			return false, "dsn is a standby (in recovery): with standbys, dsn must be the database that takes the writes", nil
		}
		if currentLSN, err = parseLSN(current.String); err != nil {
			return false, "", fmt.Errorf("upstream (dsn): current position: %w", err)
		}
		if !name.Valid {
			continue // no WAL sender at all: the LEFT JOIN's empty row
		}
		st.state, st.replay = state.String, replay.String
		if replay.Valid {
			if r, err := parseLSN(replay.String); err == nil {
				st.lag, st.hasLag = lsnDiff(currentLSN, r), true
			}
		}
		seen[name.String] = append(seen[name.String], st)
	}
	if err := rows.Err(); err != nil {
		return false, "", fmt.Errorf("upstream (dsn): %w", err)
	}
	healthy := true
	var parts []string
	for _, want := range c.standbys {
		ok, why := c.judgeStandby(seen[want])
		healthy = healthy && ok
		parts = append(parts, fmt.Sprintf("%q %s", want, why))
	}
	return healthy, clipJoin(fmt.Sprintf("upstream at %s (max lag %d bytes): ", current.String, c.maxLag), parts), nil
}

// judgeStandby says whether one of a standby's connections is streaming
// within the lag, and why not.
func (c *pgReplicationCheck) judgeStandby(conns []standbyState) (bool, string) {
	if len(conns) == 0 {
		return false, "not connected (no row in pg_stat_replication)"
	}
	// The best connection first: streaming, then the smallest lag.
	sort.SliceStable(conns, func(i, j int) bool {
		si, sj := conns[i].state == "streaming", conns[j].state == "streaming"
		if si != sj {
			return si
		}
		if conns[i].hasLag != conns[j].hasLag {
			return conns[i].hasLag
		}
		return conns[i].lag < conns[j].lag
	})
	best := conns[0]
	switch {
	case best.state == "":
		return false, "state not visible (the role needs pg_monitor, or to be a superuser)"
	case best.state != "streaming":
		return false, fmt.Sprintf("is %s, not streaming", clip(best.state))
	case !best.hasLag:
		return false, "streaming, replay position unknown"
	}
	why := fmt.Sprintf("streaming, lag %d bytes", best.lag)
	if best.behind.Valid {
		why += fmt.Sprintf(", replay_lag %s", roundSeconds(best.behind.Float64))
	}
	return best.lag <= c.maxLag, why
}

// clipJoin joins parts after head, bounded like every Detail: a long list
// of standbys is cut with a count of those left out.
func clipJoin(head string, parts []string) string {
	s := head
	for i, p := range parts {
		if i > 0 {
			s += "; "
		}
		if len(s)+len(p) > 4*maxDetail {
			return s + fmt.Sprintf("and %d more", len(parts)-i)
		}
		s += p
	}
	return s
}

// parseLSN reads PostgreSQL's text form of a WAL position, "16/B374D848":
// two hexadecimal numbers of at most 32 bits.
func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("not a WAL position: %q", clip(s))
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("not a WAL position: %q", clip(s))
	}
	return h<<32 | l, nil
}

// lsnDiff is pg_wal_lsn_diff(a, b) floored at 0: a standby ahead of the
// position read is caught up.
func lsnDiff(a, b uint64) uint64 {
	if b >= a {
		return 0
	}
	return a - b
}

func roundSeconds(s float64) string {
	if s < 0 {
		s = 0
	}
	return (time.Duration(s*1000) * time.Millisecond).Round(time.Millisecond).String()
}

// mysqlReplicationCheck is the mysql_replication check kind.
type mysqlReplicationCheck struct {
	db      *database
	maxLag  float64
	timeout time.Duration
	red     *providers.Redactor
	errRed  *providers.Redactor
}

// newMySQLReplicationCheck is the mysql_replication kind's CheckFactory.
func newMySQLReplicationCheck(cfg providers.Config) (providers.Check, error) {
	a, err := readAttrs("mysql_replication", cfg)
	if err != nil {
		return nil, err
	}
	c := &mysqlReplicationCheck{timeout: cfg.Timeout, red: a.red, errRed: a.red.Merged(nil)}
	dsn, err := a.requireStr("dsn")
	if err != nil {
		return nil, a.wrap(cfg.Name, err)
	}
	if c.db, err = newDatabase("mysql", dsn, a.red, c.errRed); err != nil {
		return nil, a.wrap(cfg.Name, fmt.Errorf("dsn: %v", err))
	}
	n, ok := numberAttr(a.obj, "max_lag")
	if !ok {
		return nil, a.wrap(cfg.Name, errors.New("max_lag must be set"))
	}
	c.maxLag = n
	return c, nil
}

// The replica status columns, MySQL 8.0.22+'s name first, then the older
// one MariaDB keeps.
var (
	colIO      = []string{"Replica_IO_Running", "Slave_IO_Running"}
	colSQL     = []string{"Replica_SQL_Running", "Slave_SQL_Running"}
	colLag     = []string{"Seconds_Behind_Source", "Seconds_Behind_Master"}
	colIOErr   = []string{"Last_IO_Error"}
	colSQLErr  = []string{"Last_SQL_Error"}
	colChannel = []string{"Channel_Name", "Connection_name"}
)

// mysqlSyntaxError is ER_PARSE_ERROR: a server older than MySQL 8.0.22
// (or MariaDB 10.5.1) does not know SHOW REPLICA STATUS.
const mysqlSyntaxError = 1064

// Probe reads the replica status and judges every channel.
func (c *mysqlReplicationCheck) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer finishProbe(c.red, start, &res)
	pctx, cancel := probeContext(ctx, c.timeout)
	defer cancel()
	healthy, detail, err := c.probe(pctx)
	lat := time.Since(start)
	if err != nil {
		return providers.Result{Detail: probeError(c.errRed, ctx, pctx, c.timeout, err), Latency: lat}
	}
	return providers.Result{Healthy: healthy, Detail: detail, Latency: lat}
}

func (c *mysqlReplicationCheck) probe(ctx context.Context) (bool, string, error) {
	db, err := c.db.open(c.timeout)
	if err != nil {
		return false, "", err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, "", err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "SHOW REPLICA STATUS")
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == mysqlSyntaxError {
		rows, err = conn.QueryContext(ctx, "SHOW SLAVE STATUS")
	}
	if err != nil {
		return false, "", err
	}
	defer rows.Close()
	statuses, err := readByName(rows)
	if err != nil {
		return false, "", err
	}
	if len(statuses) == 0 {
		return false, "not a replica (SHOW REPLICA STATUS returned no row)", nil
	}
	healthy := true
	var parts []string
	for _, st := range statuses {
		ok, why := c.judge(st)
		healthy = healthy && ok
		if ch := pick(st, colChannel); ch.Valid && ch.String != "" {
			why = fmt.Sprintf("channel %q: %s", clip(ch.String), why)
		}
		parts = append(parts, why)
	}
	return healthy, clipJoin("", parts), nil
}

// judge says whether one replication channel runs within the lag, and why.
func (c *mysqlReplicationCheck) judge(st map[string]sql.NullString) (bool, string) {
	io, sqlT, lag := pick(st, colIO), pick(st, colSQL), pick(st, colLag)
	if !io.Valid && !sqlT.Valid {
		return false, "no replication thread columns in the replica status"
	}
	var problems []string
	if io.String != "Yes" {
		p := "IO thread " + orNull(io)
		if e := pick(st, colIOErr); e.String != "" {
			p += " (" + clip(e.String) + ")"
		}
		problems = append(problems, p)
	}
	if sqlT.String != "Yes" {
		p := "SQL thread " + orNull(sqlT)
		if e := pick(st, colSQLErr); e.String != "" {
			p += " (" + clip(e.String) + ")"
		}
		problems = append(problems, p)
	}
	max := formatNumber(c.maxLag)
	if !lag.Valid {
		problems = append(problems, "lag unknown (Seconds_Behind_Source is NULL)")
		return false, strings.Join(problems, ", ")
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(lag.String), 64)
	if err != nil {
		problems = append(problems, fmt.Sprintf("lag %q is not a number", clip(lag.String)))
		return false, strings.Join(problems, ", ")
	}
	lagText := fmt.Sprintf("lag %ss (max %ss)", formatNumber(secs), max)
	if secs > c.maxLag {
		problems = append(problems, lagText)
	}
	if len(problems) > 0 {
		return false, strings.Join(problems, ", ")
	}
	return true, "replicating, " + lagText
}

func orNull(v sql.NullString) string {
	if !v.Valid {
		return "NULL"
	}
	return strconv.Quote(clip(v.String))
}

// pick returns the first of names the status has.
func pick(st map[string]sql.NullString, names []string) sql.NullString {
	for _, n := range names {
		if v, ok := st[n]; ok {
			return v
		}
	}
	return sql.NullString{}
}

// readByName reads at most maxRows rows, each a map of column name to
// value, with at most maxColumns columns.
func readByName(rows *sql.Rows) ([]map[string]sql.NullString, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if len(cols) > maxColumns {
		return nil, fmt.Errorf("the replica status has %d columns, more than %d", len(cols), maxColumns)
	}
	var out []map[string]sql.NullString
	for rows.Next() {
		if len(out) == maxRows {
			return nil, fmt.Errorf("the replica status has more than %d rows", maxRows)
		}
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]sql.NullString, len(cols))
		for i, name := range cols {
			m[name] = vals[i]
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
