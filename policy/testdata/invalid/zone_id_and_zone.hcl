# route53_weighted takes exactly one of zone_id and zone; the error is at
# the second.
provider "aws" "prod" {
  region = "us-east-1"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "route53_weighted" "dns" {
    zone_id   = "Z0123456789"
    zone      = "example.com" # ERROR: Conflicting arguments
    name      = "www.example.com"
    primary   = ["a"]
    secondary = ["b"]
  }
}
