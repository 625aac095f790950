# The schedule is at most 24h: evidence lasts two schedules.
schedule = "25h" # ERROR: Invalid schedule # DETAIL: at most 24h0m0s

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "up" {
    url = "https://dc1.example.com/"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
