# A colon cannot be in a basic auth username; the value is sensitive, not shown.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "prometheus" "errors" {
    address    = "http://prometheus:9090"
    query      = "up"
    max        = 1
    basic_auth = { username = "a:b", password = "p-123456" } # ERROR: Invalid basic_auth # DETAIL: must not be empty or contain a colon
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
