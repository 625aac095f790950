# A prometheus check needs min, max or both.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "prometheus" "errors" { # ERROR: Missing bounds
    address = "http://prometheus:9090"
    query   = "up"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
