# Thresholds are whole numbers.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "probe" {
    url = "https://dc1.example.com/healthz"
    healthy_threshold = 2.5 # ERROR: Invalid healthy_threshold
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
