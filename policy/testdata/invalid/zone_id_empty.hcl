# An empty zone_id names no hosted zone (neither does "/hostedzone/").
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
    zone_id   = "" # ERROR: Invalid zone_id
    name      = "www.example.com"
    primary   = ["a"]
    secondary = ["b"]
  }
}
