# A gate keeps no evidence: no thresholds.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  gate "tcp" "port" {
    address           = "dc1.example.com:443"
    healthy_threshold = 3 # ERROR: Misplaced argument
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
