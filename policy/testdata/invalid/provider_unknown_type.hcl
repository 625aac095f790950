# A provider type that does not exist.
provider "azure" "prod" { # ERROR: Unknown provider type # DETAIL: Known provider types: aws, gcp, libdns, powerdns.
  subscription = "x"
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
