# file() of a file that does not exist (relative to this file).
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "up" {
    url        = "https://dc1.example.com/"
    body_regex = file("no-such-file.txt") # ERROR: Invalid function argument # DETAIL: no-such-file.txt
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
