# body_regex must compile (RE2).
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "probe" {
    url = "https://dc1.example.com/healthz"
    body_regex = "(unclosed" # ERROR: Invalid body_regex
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
