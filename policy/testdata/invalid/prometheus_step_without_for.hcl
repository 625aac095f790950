# step is the resolution of the range query over for: it needs for.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "prometheus" "errors" {
    address = "http://prometheus:9090"
    query   = "up"
    max     = 1
    step    = "30s" # ERROR: Invalid step
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
