# A dns check asks server, host:port; without a port it is refused.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "dns" "resolves" {
    name   = "www.example.com"
    server = "192.0.2.53" # ERROR: Invalid server
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
