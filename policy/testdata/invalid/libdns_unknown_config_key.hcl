# A config key the driver does not take.
provider "libdns" "dns" {
  driver = "cloudflare"
  config = { api_token = "not-a-real-token", apitoken = "typo" } # ERROR: Unknown libdns driver setting
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
