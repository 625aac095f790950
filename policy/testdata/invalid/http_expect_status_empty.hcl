# An empty expect_status would count no answer as healthy: the check could
# never pass, so it is refused when validating, not on the first run.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "probe" {
    url           = "https://dc1.example.com/healthz"
    expect_status = [] # ERROR: Invalid expect_status
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
