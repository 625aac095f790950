# At least one sample per run.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "probe" {
    url = "https://dc1.example.com/healthz"
    samples = 0 # ERROR: Invalid samples
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
