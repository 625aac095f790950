# Data sync before traffic returns: the primary site's databases must have
# caught up with the secondary's, which took the writes during the outage.
variable "pg_password" {
  type      = string
  sensitive = true
  default   = "placeholder"
}

failback "shop" {
  primary   = "dc1"
  secondary = "dc2"

  # On the standby (dc1), against its upstream (dc2): WAL bytes not yet
  # replayed on dc1.
  check "postgres_replication" "pg_standby" {
    dsn           = "postgres://fbctl:${var.pg_password}@db.dc1.example.com:5432/postgres?sslmode=verify-full"
    upstream_dsn  = "postgres://fbctl:${var.pg_password}@db.dc2.example.com:5432/postgres?sslmode=verify-full"
    max_lag_bytes = 16777216
  }
  # On the upstream (dc2): its WAL senders must stream to both standbys.
  check "postgres_replication" "pg_senders" {
    of            = "secondary"
    dsn           = "host=db.dc2.example.com port=5432 user=fbctl password='${var.pg_password}' dbname=postgres sslmode=verify-full"
    standbys      = ["db_dc1_a", "db_dc1_b"]
    max_lag_bytes = 16777216
  }
  check "mysql_replication" "orders" {
    dsn     = "fbctl:secret@tcp(orders.dc1.example.com:3306)/?tls=true"
    max_lag = 5
  }
  check "sql" "outbox_drained" {
    driver = "mysql"
    dsn    = "fbctl:secret@tcp(orders.dc2.example.com:3306)/orders"
    query  = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"
    max    = 0
    timeout = "3s"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
