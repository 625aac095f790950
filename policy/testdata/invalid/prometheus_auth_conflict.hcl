# bearer_token or basic_auth, not both; the values are not shown.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "prometheus" "errors" {
    address      = "http://prometheus:9090"
    query        = "up"
    max          = 1
    bearer_token = "tok-123456"
    basic_auth   = { username = "u", password = "p-123456" } # ERROR: Conflicting authentication # DETAIL: Set bearer_token or basic_auth, not both.
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
