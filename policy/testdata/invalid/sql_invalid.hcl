# The data-sync kinds refuse what can never connect or answer, without
# quoting a DSN.
failback "shop" {
  primary   = "dc1"
  secondary = "dc2"

  check "sql" "driver" {
    driver = "oracle" # ERROR: Invalid driver
    dsn    = "x"
    query  = "SELECT 1"
  }
  check "sql" "pg_dsn" {
    driver = "postgres"
    dsn    = "db.example.com:5432" # ERROR: Invalid dsn
    query  = "SELECT 1"
  }
  check "sql" "mysql_dsn" {
    driver = "mysql"
    dsn    = "fbctl:pw@tcp(db.example.com:3306)" # ERROR: Invalid dsn # DETAIL: missing the slash
    query  = "SELECT 1"
  }
  check "sql" "all_files" {
    driver = "mysql"
    dsn    = "fbctl:pw@tcp(db.example.com:3306)/?allowAllFiles=true" # ERROR: Invalid dsn # DETAIL: allowAllFiles is refused
    query  = "SELECT 1"
  }
  check "sql" "bounds" {
    driver = "postgres"
    dsn    = "postgres://db.example.com/app"
    query  = " " # ERROR: Invalid query
    min    = 5
    max    = 1 # ERROR: Invalid max
  }
  check "postgres_replication" "both" {
    dsn           = "postgres://db-a.example.com/postgres"
    upstream_dsn  = "postgres://db-b.example.com/postgres"
    standbys      = ["a"] # ERROR: Conflicting arguments
    max_lag_bytes = 0
  }
  check "postgres_replication" "neither" { # ERROR: Missing upstream_dsn or standbys
    dsn           = "postgres://db-a.example.com/postgres"
    max_lag_bytes = 0
  }
  check "postgres_replication" "names" {
    dsn           = "postgres://db-a.example.com/postgres"
    standbys      = ["a", "a"] # ERROR: Invalid standbys
    max_lag_bytes = -1 # ERROR: Invalid max_lag_bytes
  }
  check "mysql_replication" "lag" {
    dsn     = "fbctl@tcp(db.example.com:3306)/"
    max_lag = 1.5 # ERROR: Invalid max_lag
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
