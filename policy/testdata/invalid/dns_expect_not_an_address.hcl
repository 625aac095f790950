# For an A query, every expected record is an IPv4 address.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "dns" "resolves" {
    name   = "www.example.com"
    server = "192.0.2.53:53"
    expect = ["not-an-ip"] # ERROR: Invalid expect
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
