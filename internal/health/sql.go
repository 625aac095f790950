package health

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/fbctl/fbctl/providers"
)

// maxDetail bounds any text a database sent (a value, an error) that goes
// into a Detail.
const maxDetail = 300

// database is one connection string of a check: each probe opens a
// connection with it and closes it, so a probe judges the database as a
// new client finds it, and nothing is held between probes.
type database struct {
	driver string // "postgres" or "mysql"
	dsn    string
	mysql  *mysql.Config
}

// newDatabase parses dsn for driver (already judged by the kind's
// Validate). It teaches red the DSN, its passwords and hosts, which no
// text may show, and errRed those and its user and database names, which
// drivers' errors quote ("failed to connect to `user=... database=...`")
// but which, as common words ("postgres", "app"), are left in the texts
// fbctl writes itself (a standby's name, "postgres_replication").
func newDatabase(driver, dsn string, red, errRed *providers.Redactor) (*database, error) {
	red.Add(dsn)
	errRed.Add(dsn)
	d := &database{driver: driver, dsn: dsn}
	var parts dsnParts
	switch driver {
	case "postgres":
		var err error
		if parts, err = parsePostgresDSN(dsn); err != nil {
			return nil, err
		}
	case "mysql":
		cfg, err := parseMySQLDSN(dsn)
		if err != nil {
			return nil, err
		}
		parts = mysqlParts(cfg)
		d.mysql = cfg
	default:
		return nil, fmt.Errorf("unknown driver %q", driver)
	}
	parts.addSecretsTo(red)
	parts.addSecretsTo(errRed)
	parts.addNamesTo(errRed)
	return d, nil
}

// open returns a *sql.DB of one connection, bounded by timeout; the caller
// closes it. pgx reads the environment (PGPASSWORD, ...) and files
// (sslrootcert, passfile) here, at probe time.
func (d *database) open(timeout time.Duration) (*sql.DB, error) {
	var db *sql.DB
	switch d.driver {
	case "postgres":
		cfg, err := pgx.ParseConfig(d.dsn)
		if err != nil {
			return nil, err
		}
		if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > timeout {
			cfg.ConnectTimeout = timeout
		}
		db = stdlib.OpenDB(*cfg)
	case "mysql":
		cfg := d.mysql.Clone()
		if cfg.Timeout == 0 || cfg.Timeout > timeout {
			cfg.Timeout = timeout
		}
		// The probe's context ends every call at the timeout; these
		// are a backstop, later, so that the context's end is what a
		// Detail reports ("timeout after"), not "invalid connection".
		if backstop := timeout + time.Second; cfg.ReadTimeout == 0 || cfg.ReadTimeout > backstop {
			cfg.ReadTimeout = backstop
		}
		if backstop := timeout + time.Second; cfg.WriteTimeout == 0 || cfg.WriteTimeout > backstop {
			cfg.WriteTimeout = backstop
		}
		// The driver logs some network errors on its own: never, here.
		cfg.Logger = &mysql.NopLogger{}
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, err
		}
		db = sql.OpenDB(conn)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	return db, nil
}

// probeError is the Detail of a failed probe: the driver's error without
// the DSN or any part of it, bounded.
func probeError(errRed *providers.Redactor, parent, pctx context.Context, timeout time.Duration, err error) string {
	return clip(errRed.Redact(failure(parent, pctx, timeout, err)))
}

// clip bounds a text from a database for a Detail, on one line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxDetail {
		cut := maxDetail
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// formatNumber shows a number as people write it.
func formatNumber(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// sqlCheck is the sql check kind.
type sqlCheck struct {
	db      *database
	query   string
	min     *float64
	max     *float64
	timeout time.Duration
	red     *providers.Redactor
	errRed  *providers.Redactor // red, and the DSN's user and database names
}

// newSQLCheck is the sql kind's CheckFactory.
func newSQLCheck(cfg providers.Config) (providers.Check, error) {
	a, err := readAttrs("sql", cfg)
	if err != nil {
		return nil, err
	}
	c, err := buildSQLCheck(a, cfg)
	if err != nil {
		return nil, a.wrap(cfg.Name, err)
	}
	return c, nil
}

func buildSQLCheck(a *attrs, cfg providers.Config) (*sqlCheck, error) {
	// validateSQL has judged the block already (see providers.ValidateBlock).
	c := &sqlCheck{timeout: cfg.Timeout, red: a.red, errRed: a.red.Merged(nil)}
	drv, err := a.requireStr("driver")
	if err != nil {
		return nil, err
	}
	dsn, err := a.requireStr("dsn")
	if err != nil {
		return nil, err
	}
	if c.db, err = newDatabase(drv, dsn, a.red, c.errRed); err != nil {
		return nil, fmt.Errorf("dsn: %v", err)
	}
	if c.query, err = a.requireStr("query"); err != nil {
		return nil, err
	}
	if lo, ok := numberAttr(a.obj, "min"); ok {
		c.min = &lo
	}
	if hi, ok := numberAttr(a.obj, "max"); ok {
		c.max = &hi
	}
	return c, nil
}

// Probe runs the query in a read-only transaction (rolled back) on a fresh
// connection and judges the number it returns.
func (c *sqlCheck) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer finishProbe(c.red, start, &res)
	pctx, cancel := probeContext(ctx, c.timeout)
	defer cancel()
	fail := func(err error) providers.Result {
		return providers.Result{Detail: probeError(c.errRed, ctx, pctx, c.timeout, err), Latency: time.Since(start)}
	}

	db, err := c.db.open(c.timeout)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(pctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	v, err := queryNumber(pctx, tx, c.query)
	lat := time.Since(start)
	if err != nil {
		return providers.Result{Detail: probeError(c.errRed, ctx, pctx, c.timeout, err), Latency: lat}
	}
	return providers.Result{Healthy: inBounds(v, c.min, c.max), Detail: boundsDetail(v, c.min, c.max), Latency: lat}
}

// errShape is a query result that is not one row of one number.
type errShape struct{ msg string }

func (e *errShape) Error() string { return e.msg }

// queryNumber runs q and returns its one number. Anything but one row of
// one column holding a number is an error that names the shape; at most
// two rows are read.
func queryNumber(ctx context.Context, tx *sql.Tx, q string) (float64, error) {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	if len(cols) != 1 {
		return 0, &errShape{fmt.Sprintf("query returned %d columns, want one row of one number", len(cols))}
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, &errShape{"query returned no row, want one row of one number"}
	}
	var v any
	if err := rows.Scan(&v); err != nil {
		return 0, err
	}
	if rows.Next() {
		return 0, &errShape{"query returned more than one row, want one row of one number"}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return toNumber(v)
}

// toNumber converts a scanned value to a number: integers, floats and the
// text of a number (PostgreSQL's numeric, MySQL's DECIMAL) are; NULL,
// booleans, dates and other text are not.
func toNumber(v any) (float64, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return 0, &errShape{"query returned NULL, want a number"}
	case int64:
		return float64(x), nil
	case float64:
		return numberOK(x)
	case float32:
		return numberOK(float64(x))
	case []byte:
		s = string(x)
	case string:
		s = x
	case bool:
		return 0, &errShape{"query returned a boolean, want a number (cast it: CASE WHEN ... THEN 1 ELSE 0 END)"}
	default:
		return 0, &errShape{fmt.Sprintf("query returned a %T, want a number", v)}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return numberOK(f)
		}
		return 0, &errShape{fmt.Sprintf("query returned %q, want a number", clip(s))}
	}
	return numberOK(f)
}

func numberOK(f float64) (float64, error) {
	if math.IsNaN(f) {
		return 0, &errShape{"query returned NaN, want a number"}
	}
	return f, nil
}

func inBounds(v float64, lo, hi *float64) bool {
	return (lo == nil || v >= *lo) && (hi == nil || v <= *hi)
}

// boundsDetail says where v stands: "value 3 (max 5)", "value 7 above max 5".
func boundsDetail(v float64, lo, hi *float64) string {
	val := "value " + formatNumber(v)
	switch {
	case lo != nil && v < *lo:
		return val + " below min " + formatNumber(*lo)
	case hi != nil && v > *hi:
		return val + " above max " + formatNumber(*hi)
	case lo != nil && hi != nil:
		return fmt.Sprintf("%s (within [%s, %s])", val, formatNumber(*lo), formatNumber(*hi))
	case lo != nil:
		return fmt.Sprintf("%s (min %s)", val, formatNumber(*lo))
	case hi != nil:
		return fmt.Sprintf("%s (max %s)", val, formatNumber(*hi))
	}
	return val
}
