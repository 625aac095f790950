# empty is unknown, unhealthy or healthy.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "prometheus" "errors" {
    address = "http://prometheus:9090"
    query   = "up"
    max     = 1
    empty   = "ignore" # ERROR: Invalid empty
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
