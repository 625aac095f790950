# A provider block of an unknown type is reported once, at its type; the
# reference to it is not reported again as undeclared.
provider "awz" "prod" { # ERROR: Unknown provider type # DETAIL: Did you mean "aws"?
  region = "us-east-1"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "route53_weighted" "dns" {
    provider  = awz.prod
    zone_id   = "Z0123456789"
    name      = "www.example.com"
    primary   = ["a"]
    secondary = ["b"]
  }
}
