# Steps must strictly increase; the error is at the offending element.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }

  rollout {
    steps = [
      10,
      50,
      25, # ERROR: Steps not increasing
      100,
    ]
  }
}
