# An endpoint_url whose port is above 65535 is refused when validating.
provider "aws" "prod" {
  region       = "us-east-1"
  endpoint_url = "http://127.0.0.1:70000" # ERROR: Invalid endpoint_url
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "route53_weighted" "dns" {
    zone_id   = "Z0123456789"
    name      = "www.example.com"
    primary   = ["a"]
    secondary = ["b"]
  }
}
