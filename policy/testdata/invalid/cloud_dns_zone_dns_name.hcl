# managed_zone is the managed zone's name, not its DNS name.
provider "gcp" "prod" {
  project = "acme"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "cloud_dns_wrr" "www" {
    managed_zone = "example.com." # ERROR: Invalid managed_zone
    name         = "www"
    primary      = ["192.0.2.1"]
    secondary    = ["192.0.2.2"]
  }
}
