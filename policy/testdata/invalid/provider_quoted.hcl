# A provider reference is a bare address, not a string.
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
    provider  = "aws.prod" # ERROR: Invalid provider reference # DETAIL: Remove the quotes
    zone_id   = "Z0123456789"
    name      = "www.example.com"
    primary   = ["a"]
    secondary = ["b"]
  }
}
