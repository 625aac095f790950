package health

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// RegisterSQL adds the data-sync check kinds (sql, postgres_replication,
// mysql_replication) to r. They need no provider block. They live apart
// from Register so that the database drivers come with these kinds only.
func RegisterSQL(r *providers.Registry) {
	r.Register(providers.Kind{
		Class: providers.ClassCheck,
		Name:  "sql",
		Doc: "A SQL query returning one number (one row, one column), run in a read-only transaction on a " +
			"fresh connection: healthy when the number is within [min, max] (any number when neither is set).",
		Attributes: []providers.Attribute{
			providers.Required("driver", cty.String, `Database driver: "postgres" or "mysql" (MySQL and MariaDB).`),
			providers.Secret(providers.Required("dsn", cty.String, "Connection string: postgres://user:pass@host:5432/db or host=... key/value for postgres; user:pass@tcp(host:3306)/db for mysql.")),
			providers.Required("query", cty.String, "Query returning exactly one row with one numeric column."),
			providers.Optional("min", cty.Number, cty.NilVal, "Lowest healthy value (inclusive)."),
			providers.Optional("max", cty.Number, cty.NilVal, "Highest healthy value (inclusive)."),
		},
		Validate: validateSQL,
		NewCheck: newSQLCheck,
	})

	r.Register(providers.Kind{
		Class: providers.ClassCheck,
		Name:  "postgres_replication",
		Doc: "PostgreSQL streaming replication lag in bytes of WAL. With upstream_dsn, dsn is the standby: lag is the " +
			"upstream's pg_current_wal_lsn() minus the standby's pg_last_wal_replay_lsn(). With standbys, dsn is the " +
			"upstream: each named standby must be streaming with its replay_lsn within max_lag_bytes.",
		Attributes: []providers.Attribute{
			providers.Secret(providers.Required("dsn", cty.String, "Connection string of the database checked: the standby with upstream_dsn, the upstream with standbys.")),
			providers.Secret(providers.Optional("upstream_dsn", cty.String, cty.NilVal, "Connection string of the database that takes the writes, whose current WAL position the standby (dsn) must reach.")),
			providers.Optional("standbys", providers.StringList, cty.NilVal, "application_name of each standby (pg_stat_replication) that must be streaming within max_lag_bytes; dsn is then the upstream."),
			providers.Required("max_lag_bytes", cty.Number, "Most WAL bytes the standby's replay may be behind the upstream's current position (inclusive)."),
		},
		ExactlyOneOf: [][]string{{"upstream_dsn", "standbys"}},
		Validate:     validatePostgresReplication,
		NewCheck:     newPostgresReplicationCheck,
	})

	r.Register(providers.Kind{
		Class: providers.ClassCheck,
		Name:  "mysql_replication",
		Doc: "MySQL or MariaDB replica status (SHOW REPLICA STATUS, else SHOW SLAVE STATUS) on the replica: healthy " +
			"when it is a replica, both replication threads run, and every channel's lag is known and within max_lag.",
		Attributes: []providers.Attribute{
			providers.Secret(providers.Required("dsn", cty.String, "Connection string of the replica, user:pass@tcp(host:3306)/.")),
			providers.Required("max_lag", cty.Number, "Most seconds the replica may be behind its source (Seconds_Behind_Source, inclusive)."),
		},
		Validate: validateMySQLReplication,
		NewCheck: newMySQLReplicationCheck,
	})
}

// Limits on what a policy may ask, so that no value is unbounded.
const (
	maxQueryLen = 64 << 10
	maxDSNLen   = 8 << 10
	// maxLagBytesLimit is 2^53: every whole number up to it is exact in a
	// float64 and in HCL's numbers.
	maxLagBytesLimit = 1 << 53
	maxLagSeconds    = 1 << 31
	// pgNameLen is PostgreSQL's NAMEDATALEN-1: an application_name is cut
	// to it, so a longer one could never match.
	pgNameLen = 63
)

// validateSQL is the sql kind's validation, shared by the policy language
// and the constructor.
func validateSQL(v cty.Value) []providers.Problem {
	p := providers.OneOf(v, "driver", "postgres", "mysql")
	if q, ok := providers.StringAttr(v, "query"); ok {
		switch {
		case strings.TrimSpace(q) == "":
			p = append(p, providers.Problem{Attr: "query", Summary: "Invalid query", Detail: "query must not be empty."})
		case strings.ContainsRune(q, 0):
			p = append(p, providers.Problem{Attr: "query", Summary: "Invalid query", Detail: "query must not contain NUL."})
		case len(q) > maxQueryLen:
			p = append(p, providers.Problem{Attr: "query", Summary: "Invalid query",
				Detail: fmt.Sprintf("query must be at most %d bytes.", maxQueryLen)})
		}
	}
	lo, okLo := numberAttr(v, "min")
	hi, okHi := numberAttr(v, "max")
	if okLo && okHi && lo > hi {
		p = append(p, providers.Problem{Attr: "max", Summary: "Invalid max", Detail: "max must not be below min."})
	}
	p = providers.HideMarked(v, p)
	if drv, ok := providers.StringAttr(v, "driver"); ok && (drv == "postgres" || drv == "mysql") {
		p = append(p, dsnProblems(v, "dsn", drv)...)
	}
	return p
}

// validatePostgresReplication is the postgres_replication kind's validation.
func validatePostgresReplication(v cty.Value) []providers.Problem {
	p := providers.NumberInRange(v, "max_lag_bytes", 0, maxLagBytesLimit, true)
	if names, ok := providers.StringsAttr(v, "standbys"); ok {
		p = append(p, standbysProblems(names)...)
	}
	p = providers.HideMarked(v, p)
	p = append(p, dsnProblems(v, "dsn", "postgres")...)
	return append(p, dsnProblems(v, "upstream_dsn", "postgres")...)
}

func standbysProblems(names []string) []providers.Problem {
	bad := func(d string) []providers.Problem {
		return []providers.Problem{{Attr: "standbys", Summary: "Invalid standbys", Detail: d}}
	}
	if len(names) == 0 {
		return bad("standbys must name at least one standby (its application_name).")
	}
	if len(names) > 100 {
		return bad("standbys must name at most 100 standbys.")
	}
	seen := map[string]bool{}
	for _, n := range names {
		switch {
		case strings.TrimSpace(n) == "" || len(n) > pgNameLen:
			return bad(fmt.Sprintf("each standby must be an application_name of 1 to %d bytes.", pgNameLen))
		case strings.IndexFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f || r > 0x7e }) >= 0:
			// PostgreSQL turns non-ASCII and control characters of an
			// application_name into '?': such a name could never match.
			return bad("each standby must be printable ASCII, as PostgreSQL keeps application_name.")
		case seen[n]:
			return bad(fmt.Sprintf("%q is named twice.", n))
		}
		seen[n] = true
	}
	return nil
}

// validateMySQLReplication is the mysql_replication kind's validation.
func validateMySQLReplication(v cty.Value) []providers.Problem {
	p := providers.HideMarked(v, providers.NumberInRange(v, "max_lag", 0, maxLagSeconds, true))
	return append(p, dsnProblems(v, "dsn", "mysql")...)
}

// dsnProblems judges a connection string without I/O. Its Details never
// quote the value, nor any part of it (a DSN is a secret whole), so they
// are shown even though the value is always marked.
func dsnProblems(v cty.Value, attr, driver string) []providers.Problem {
	s, ok := providers.StringAttr(v, attr)
	if !ok {
		return nil
	}
	var err error
	if driver == "postgres" {
		_, err = parsePostgresDSN(s)
	} else {
		_, err = parseMySQLDSN(s)
	}
	if err != nil {
		return []providers.Problem{{Attr: attr, Summary: "Invalid " + attr, Detail: attr + ": " + err.Error()}}
	}
	return nil
}

// dsnParts are the pieces of a connection string that errors quote: each
// is redacted from every message (see Redactor).
type dsnParts struct {
	users, passwords, hosts, databases []string
}

func (d dsnParts) addSecretsTo(r *providers.Redactor) {
	r.Add(d.passwords...)
	for _, h := range d.hosts {
		r.AddHostPort(h)
	}
}

func (d dsnParts) addNamesTo(r *providers.Redactor) {
	r.Add(d.users...)
	r.Add(d.databases...)
}

// commonDSNProblem refuses what no driver accepts: an empty or blank
// string, NUL, and anything longer than maxDSNLen.
func commonDSNProblem(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("must not be empty")
	case strings.ContainsRune(s, 0):
		return errors.New("must not contain NUL")
	case len(s) > maxDSNLen:
		return fmt.Errorf("must be at most %d bytes", maxDSNLen)
	}
	return nil
}

// parsePostgresDSN checks a PostgreSQL connection string (a postgres:// or
// postgresql:// URL, or keyword=value pairs) the way pgx reads it, without
// reading the environment or any file (pgx does that when it connects),
// and returns the parts errors may quote. Its errors quote nothing of s.
func parsePostgresDSN(s string) (dsnParts, error) {
	var d dsnParts
	if err := commonDSNProblem(s); err != nil {
		return d, err
	}
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return parsePostgresURL(s)
	}
	kv, err := parseKeywordValues(s)
	if err != nil {
		return d, err
	}
	for _, e := range kv {
		switch e[0] {
		case "user":
			d.users = append(d.users, e[1])
		case "password":
			d.passwords = append(d.passwords, e[1])
		case "dbname":
			d.databases = append(d.databases, e[1])
		case "host", "hostaddr":
			d.hosts = append(d.hosts, strings.Split(e[1], ",")...)
		case "port":
			for _, port := range strings.Split(e[1], ",") {
				if !validPort(port) {
					return d, errors.New("port must be a number between 1 and 65535")
				}
			}
		}
	}
	return d, nil
}

func parsePostgresURL(s string) (dsnParts, error) {
	var d dsnParts
	u, err := url.Parse(s)
	if err != nil {
		return d, errors.New("not a valid postgres:// URL")
	}
	if u.Opaque != "" || u.Host == "" && u.Path == "" && u.RawQuery == "" {
		return d, errors.New("not a valid postgres:// URL")
	}
	if u.User != nil {
		d.users = append(d.users, u.User.Username())
		if pw, ok := u.User.Password(); ok {
			d.passwords = append(d.passwords, pw)
		}
	}
	// Several hosts are separated by commas, each with an optional port.
	for _, hp := range strings.Split(u.Host, ",") {
		if hp == "" {
			continue
		}
		d.hosts = append(d.hosts, hp)
		host, port := hp, ""
		if i := strings.LastIndex(hp, ":"); i >= 0 && !strings.HasSuffix(hp, "]") {
			host, port = hp[:i], hp[i+1:]
			if !validPort(port) {
				return d, errors.New("each port must be a number between 1 and 65535")
			}
		}
		d.hosts = append(d.hosts, strings.Trim(host, "[]"))
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		d.databases = append(d.databases, db)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return d, errors.New("the URL's query is not valid")
	}
	d.passwords = append(d.passwords, q["password"]...)
	d.users = append(d.users, q["user"]...)
	d.hosts = append(d.hosts, q["host"]...)
	for _, port := range q["port"] {
		if !validPort(port) {
			return d, errors.New("port must be a number between 1 and 65535")
		}
	}
	return d, nil
}

// parseKeywordValues splits libpq's keyword/value form: pairs separated
// by white space, a value in single quotes when it holds spaces, a
// backslash escaping the next character.
func parseKeywordValues(s string) ([][2]string, error) {
	var out [][2]string
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' }
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if key == "" || i == len(s) || s[i] != '=' || !validKeyword(key) {
			return nil, errors.New("not a postgres:// URL nor keyword=value pairs")
		}
		i++ // '='
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		var val strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					val.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '\'' {
					closed = true
					i++
					break
				}
				val.WriteByte(c)
				i++
			}
			if !closed {
				return nil, errors.New("a quoted value is not closed")
			}
		} else {
			for i < len(s) && !isSpace(s[i]) {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
				i++
			}
		}
		out = append(out, [2]string{key, val.String()})
	}
	if len(out) == 0 {
		return nil, errors.New("must not be empty")
	}
	return out, nil
}

func validKeyword(k string) bool {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == p
}

// parseMySQLDSN checks a go-sql-driver/mysql DSN with the driver's own
// parser (no I/O for the parameters fbctl allows) and refuses the
// parameters that would let a server or a query do more than answer:
// allowAllFiles (a server could read any file of the controller through
// LOAD DATA LOCAL INFILE) and multiStatements.
func parseMySQLDSN(s string) (*mysql.Config, error) {
	if err := commonDSNProblem(s); err != nil {
		return nil, err
	}
	cfg, err := mysql.ParseDSN(s)
	if err != nil {
		// The driver's fixed messages quote nothing; the others may quote
		// a parameter's value.
		if msg := err.Error(); strings.HasPrefix(msg, "invalid DSN: ") {
			return nil, errors.New("not a valid MySQL DSN (user:password@tcp(host:port)/dbname?param=value): " + strings.TrimPrefix(msg, "invalid DSN: "))
		}
		return nil, errors.New("not a valid MySQL DSN (user:password@tcp(host:port)/dbname?param=value): a parameter is not valid")
	}
	if cfg.AllowAllFiles {
		return nil, errors.New("allowAllFiles is refused: it lets the server read any file fbctl can")
	}
	if cfg.MultiStatements {
		return nil, errors.New("multiStatements is refused: a check runs one statement")
	}
	if cfg.Net != "tcp" && cfg.Net != "unix" {
		return nil, errors.New(`the network must be "tcp" or "unix"`)
	}
	return cfg, nil
}

// mysqlParts returns the parts of a parsed MySQL DSN errors may quote.
func mysqlParts(cfg *mysql.Config) dsnParts {
	d := dsnParts{users: []string{cfg.User}, passwords: []string{cfg.Passwd}, databases: []string{cfg.DBName}}
	if cfg.Net == "tcp" {
		d.hosts = []string{cfg.Addr}
	} else {
		d.passwords = append(d.passwords, cfg.Addr)
	}
	return d
}
