# A prometheus address is an http(s) URL with a port in 1-65535.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "prometheus" "errors" {
    address = "http://prometheus:99999" # ERROR: Invalid address
    query   = "up"
    max     = 1
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
