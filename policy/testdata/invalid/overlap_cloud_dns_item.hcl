# The same WRR item of one Cloud DNS record set, steered by two failbacks.
provider "gcp" "prod" {
  project = "acme"
}

failback "web" {
  primary   = "a"
  secondary = "b"

  check "tcp" "up" {
    address = "a.example.com:443"
  }

  target "cloud_dns_wrr" "www" {
    managed_zone = "example-com"
    name         = "www.example.com."
    primary      = ["192.0.2.1"]
    secondary    = ["192.0.2.2"]
  }
}

failback "api" {
  primary   = "a"
  secondary = "c"

  check "tcp" "up" {
    address = "a.example.com:443"
  }

  target "cloud_dns_wrr" "www" {
    managed_zone = "example-com"
    name         = "WWW.example.com."
    primary      = ["192.0.2.1"] # ERROR: Targets steer the same object # DETAIL: of record set
    secondary    = ["192.0.2.3"]
  }
}
