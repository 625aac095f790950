// Package health holds fbctl's generic check kinds (http, tcp, dns,
// prometheus) and the evidence window that turns probe results into
// "healthy since".
//
// # Check kinds
//
// [Register] adds the kinds' schemas and constructors to a
// providers.Registry. The constructors take a providers.Config whose Attrs
// hold every attribute of the kind (defaults applied, every value known)
// and a positive Timeout. Each kind's Validate judges everything but
// ca_file (read from disk when the check is built) without I/O: the url
// (scheme, host, port 1-65535), method, expect_status (non-empty, 100-599),
// body_regex, header names and values, host and server_name, a tcp address
// or dns server (host:port, port 1-65535), a dns name, type and expected
// records. The policy language reports those at validate time, and the
// constructors, taken from the registry, refuse the same first; they
// return an error naming the check.
//
// Every Check's Probe honours the providers.Check contract: it never
// panics, returns within Config.Timeout (or sooner when its context is
// done), and reports every failure as an unhealthy Result with a Detail for
// people: "HTTP 503 (expected 200)", "HTTP 200, body does not match /ok/",
// "dial tcp 127.0.0.1:1: connect: connection refused", "timeout after 2s".
//
//   - http: one HTTP/1.1 request per probe on a fresh connection; no redirect is
//     followed (a 3xx is judged by expect_status); no proxy from the
//     environment; TLS verification is on unless insecure_skip_verify;
//     ca_file replaces the system roots; host sets the Host header and,
//     unless server_name is set, the TLS server name. The timeout covers
//     the whole request including reading the body, of which at most 1 MiB
//     is read and matched against body_regex.
//   - tcp: healthy when a connection to address opens.
//   - dns: one query to server over UDP (again over TCP when the answer is
//     truncated); healthy when the rcode is NOERROR, the answer holds at
//     least one record of the type, and every expect value is among them
//     (A and AAAA compared as IP addresses, names case-insensitively with
//     or without the trailing dot).
//   - prometheus: one POST to address's /api/v1/query at the engine's
//     time (providers.NowFrom; the engine sets it with providers.WithNow),
//     or with for to /api/v1/query_range over [now-for, now] at step
//     (default the check's interval, Config.Interval; now itself is always
//     evaluated). Healthy when every sample of every series is within
//     [min, max], inclusive; NaN and infinities never are. The Detail names
//     the out-of-bounds series and value (for a range, the earliest such
//     sample and its time); a query error names the query and Prometheus's
//     errorType; 401 and 403 say "auth refused"; no redirect is followed.
//     A result without series is, by empty, unknown (providers.Result's
//     Unknown: no evidence either way, see Record), unhealthy or healthy.
//     At most 8 MiB of an answer is read; the query, labels and error text
//     are bounded in a Detail. bearer_token and basic_auth are always
//     sensitive.
//
// Values marked sensitive are never put in a Detail or a constructor
// error; neither are header values.
//
// # Data-sync kinds
//
// [RegisterSQL] adds sql, postgres_replication and mysql_replication
// (docs/data-sync.md), apart from Register so that the database drivers
// (pgx, go-sql-driver/mysql, through database/sql) come with them only.
// Every dsn is declared sensitive: Validate judges its syntax without I/O
// and never quotes it; probes redact the DSN, its passwords and hosts from
// every Detail, and the user and database names too from drivers' errors.
// Each probe opens its connections with the timeout and closes them; it
// reads at most a bounded number of rows and columns, and bounds any text
// a server sent.
//
// # Evidence
//
// [Evidence] is plain data kept in a failback's state across runs.
// [Record], [Judge], [Side] and [DefaultTTL] are pure functions of their
// arguments (the caller passes the clock):
//
//   - Record extends the current streak with a result equal to the last
//     one, when the last probe is no older than the evidence TTL; any other
//     result starts a new streak. Stale evidence breaks a streak: no
//     evidence is not good evidence.
//   - Judge calls a check Healthy or Unhealthy once its streak reaches the
//     threshold, since the streak began; Unknown when never probed, stale,
//     or pending.
//   - Side calls a side Healthy only when every check is, Unhealthy when
//     any check is, Unknown otherwise (and with no checks).
//   - DefaultTTL is max(3 × interval, 2 × schedule gap).
//
// Unknown is never healthy: the engine raises the primary's share only on
// a Healthy primary side.
package health
