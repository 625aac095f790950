# Two aws providers and no reference: which one?
provider "aws" "east" {
  region = "us-east-1"
}
provider "aws" "west" {
  region = "us-west-2"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "route53_weighted" "dns" { # ERROR: Ambiguous provider # DETAIL: aws.east, aws.west
    zone_id   = "Z0123456789"
    name      = "www.example.com"
    primary   = ["a"]
    secondary = ["b"]
  }
}
