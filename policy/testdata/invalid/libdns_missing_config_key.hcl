# The rfc2136 driver needs server, key_name and key: one error per missing
# key, at the config map.
provider "libdns" "dns" {
  driver = "rfc2136"
  config = { # ERROR: Missing libdns driver setting
    server   = "ns1.example.net:53"
    key_name = "fbctl"
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
