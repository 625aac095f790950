# A line break in a header value would end the header (and could add
# another); the value is not shown, it may be a token.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "probe" {
    url = "https://dc1.example.com/healthz"
    headers = { # ERROR: Invalid headers
      "X-Token" = "a\r\nX-Other: b"
    }
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
