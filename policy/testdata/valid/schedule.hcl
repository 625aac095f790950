# The runs' cadence, for every command; a check whose evidence lasts less
# than the schedule would never keep a streak from one run to the next.
schedule = "5m"

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "up" {
    url          = "https://dc1.example.com/"
    evidence_ttl = "2m" # WARNING: Evidence shorter-lived than the schedule
  }

  check "http" "up-default" {
    url = "https://dc1.example.com/ready"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
