# Failback names are unique across the policy.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"
  check "tcp" "up" {
    address = "dc1.example.com:443"
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}

failback "web" { # ERROR: Duplicate failback
  primary   = "dc1"
  secondary = "dc2"
  check "tcp" "up" {
    address = "dc1.example.com:443"
  }
  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
