# A webhook gate answers within 5 minutes.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  gate "webhook" "signoff" {
    url     = "https://signoff.example.com/"
    timeout = "10m" # ERROR: Invalid timeout
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
