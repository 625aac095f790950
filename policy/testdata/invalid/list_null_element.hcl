# A null element in a list converts, but no check can use it.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "probe" {
    url           = "https://dc1.example.com/healthz"
    expect_status = [200, null] # ERROR: Invalid expect_status
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
