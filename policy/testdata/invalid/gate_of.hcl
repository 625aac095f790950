# A gate keeps no evidence: of belongs in checks.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  gate "http" "smoke" {
    url = "https://dc1.example.com/smoke"
    of  = "primary" # ERROR: Misplaced argument
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
