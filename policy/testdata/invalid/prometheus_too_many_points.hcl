# Prometheus refuses more than 11000 points per series.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "prometheus" "errors" {
    address = "http://prometheus:9090"
    query   = "up"
    max     = 1
    for     = "24h"
    step    = "1s" # ERROR: Invalid step # DETAIL: at most 11000
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
