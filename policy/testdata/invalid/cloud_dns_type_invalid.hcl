# type is a record type Cloud DNS serves with a routing policy.
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
    managed_zone = "example-com"
    name         = "www.example.com."
    type         = "BOGUS" # ERROR: Invalid type
    primary      = ["192.0.2.1"]
    secondary    = ["192.0.2.2"]
  }
}
