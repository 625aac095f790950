# Gate names are unique in a failback.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  gate "webhook" "signoff" {
    url = "https://signoff.example.com/"
  }
  gate "webhook" "signoff" { # ERROR: Duplicate gate
    url = "https://signoff.example.com/"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
