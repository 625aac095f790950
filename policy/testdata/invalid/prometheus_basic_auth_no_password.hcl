# basic_auth needs a username and a password.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "prometheus" "errors" {
    address    = "http://prometheus:9090"
    query      = "up"
    max        = 1
    basic_auth = { username = "u" } # ERROR: Invalid value for basic_auth
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
