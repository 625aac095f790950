# Only a check of the secondary: nothing gates a shift onto the primary.
failback "web" { # ERROR: No check of the primary
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "standby" {
    of      = "secondary"
    address = "dc2.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
