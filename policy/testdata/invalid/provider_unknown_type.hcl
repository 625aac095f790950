# A provider type that does not exist.
provider "oracle" "prod" { # ERROR: Unknown provider type # DETAIL: Known provider types: aws, azure, gcp, libdns, powerdns.
  tenancy = "x"
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
