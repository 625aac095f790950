# HAProxy names have letters, digits, '-', '_', '.' and ':' only: anything
# else could split a runtime API command.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web; shutdown" # ERROR: Invalid backend
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
