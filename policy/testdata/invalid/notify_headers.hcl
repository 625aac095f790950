# Header names are tokens fbctl does not set itself; values hold no line break.
notify "webhook" "ops" {
  url = "https://hooks.example.com/fbctl"
  headers = { # ERROR: Invalid headers # ERROR: Invalid headers # ERROR: Invalid headers
    "Bad Name"     = "x"
    "Content-Type" = "text/plain"
    "X-Token"      = "abc\ndef"
  }
}

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
}
