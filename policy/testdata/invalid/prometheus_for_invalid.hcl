# for is a positive duration.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "prometheus" "errors" {
    address = "http://prometheus:9090"
    query   = "up"
    max     = 1
    for     = "10" # ERROR: Invalid for
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
