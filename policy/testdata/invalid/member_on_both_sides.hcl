# A member belongs to one side.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a", "shared"]
    secondary   = ["dc2-a", "shared"] # ERROR: Member on both sides
  }
}
