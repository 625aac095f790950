# Steps with up to two decimals (basis points), compound durations, and
# every non-default enumeration value.
failback "api" {
  primary     = "blue"
  secondary   = "green"
  description = "Blue/green API"

  check "http" "ping" {
    url                 = "http://blue.internal:8080/ping"
    method              = "HEAD"
    expect_status       = [200, 204]
    interval            = "1m"
    timeout             = "10s"
    healthy_threshold   = 5
    unhealthy_threshold = 4
    samples             = 3
    evidence_ttl        = "5m"
  }
  check "tcp" "standby" {
    of      = "secondary"
    address = "green.internal:8080"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "unix:/run/haproxy/admin.sock"
    backend     = "api"
    primary     = ["blue-1", "blue-2"]
    secondary   = ["green-1"]
    max_weight  = 100
  }

  rollout {
    steps               = [0.01, 0.5, 12.34, 33.33, 99.99, 100]
    bake                = "1h30m"
    primary_healthy_for = "90s"
    on_unhealthy        = "step_back"
    cooldown            = "2h"
    on_drift            = "correct"
    approval            = "every_step"
  }
}
