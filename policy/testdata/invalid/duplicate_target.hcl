# Target names are unique within a failback.
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
  target "haproxy_backend" "lb" { # ERROR: Duplicate target
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web2"
    primary     = ["dc1-b"]
    secondary   = ["dc2-b"]
  }
}
