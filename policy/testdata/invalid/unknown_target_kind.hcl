# A target kind that does not exist, with a hint. No "No targets" follows.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backed" "lb" { # ERROR: Unknown target kind # DETAIL: Did you mean "haproxy_backend"?
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
