# The two sides must differ; the error is at secondary.
failback "web" {
  primary   = "dc1"
  secondary = "dc1" # ERROR: Primary and secondary are the same

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
