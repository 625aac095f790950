# A bake shorter than a primary check's interval x healthy_threshold is
# allowed, with a warning at the bake; without a rollout block, at the
# failback (the default bake is 10m). Secondary checks do not count.
failback "short-bake" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "slow" {
    url               = "https://dc1.example.com/healthz"
    interval          = "1m"
    healthy_threshold = 5
  }
  check "tcp" "slow-standby" {
    of                = "secondary"
    address           = "dc2.example.com:443"
    interval          = "1h"
    healthy_threshold = 10
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }

  rollout {
    bake = "2m" # WARNING: Bake shorter than health window
  }
}

failback "default-bake" { # WARNING: Bake shorter than health window
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "very-slow" {
    address  = "dc1.example.com:443"
    interval = "5m"
    timeout  = "10s"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "other"
    primary     = ["dc1-b"]
    secondary   = ["dc2-b"]
  }
}
