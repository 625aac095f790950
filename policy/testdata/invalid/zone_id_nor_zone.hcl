# route53_weighted takes exactly one of zone_id and zone; neither is set.
provider "aws" "prod" {
  region = "us-east-1"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "route53_weighted" "dns" { # ERROR: Missing zone_id or zone
    name      = "www.example.com"
    primary   = ["a"]
    secondary = ["b"]
  }
}
