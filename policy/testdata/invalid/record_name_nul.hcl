# A record name with a NUL byte (or white space, or a line break) is no DNS
# name.
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
    name      = "www\u0000.example.com" # ERROR: Invalid name
    primary   = ["a"]
    secondary = ["b"]
  }
}
