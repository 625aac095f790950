# An HTTP method the http check does not support.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "probe" {
    url = "https://dc1.example.com/healthz"
    method = "DELETE" # ERROR: Invalid method
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
