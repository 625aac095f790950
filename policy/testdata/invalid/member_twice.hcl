# A member listed twice on one side.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a", "dc1-a"] # ERROR: Duplicate member
    secondary   = ["dc2-a"]
  }
}
