# The schedule is a positive duration.
schedule = "every 5 minutes" # ERROR: Invalid duration

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
