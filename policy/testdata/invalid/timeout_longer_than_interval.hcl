# A probe must end before the next one is due.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "probe" {
    url = "https://dc1.example.com/healthz"
    interval = "5s"
    timeout  = "10s" # ERROR: Timeout longer than interval
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
