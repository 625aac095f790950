# A member on both sides is reported once, and a repeat within a side as a
# repeat, not as a second "on both sides".
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["a", "b"]
    secondary   = ["a", "c", "a"] # ERROR: Member on both sides # ERROR: Duplicate member
  }
}
