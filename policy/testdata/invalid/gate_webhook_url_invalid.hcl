# A webhook gate needs an absolute http(s) URL.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  gate "webhook" "signoff" {
    url = "ftp://signoff.example.com/" # ERROR: Invalid url
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
