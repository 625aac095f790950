# haproxy_backend needs a backend.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" { # ERROR: Missing required argument
    runtime_api = "/run/haproxy/admin.sock"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
