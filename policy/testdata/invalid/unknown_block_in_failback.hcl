# A misspelled block type inside a failback.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  chek "tcp" "up" { # ERROR: Unsupported block type # DETAIL: Did you mean "check"?
    address = "dc1.example.com:443"
  }
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
