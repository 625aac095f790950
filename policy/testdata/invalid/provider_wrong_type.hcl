# route53_weighted needs an aws provider, not a gcp one.
provider "aws" "prod" {
  region = "us-east-1"
}
provider "gcp" "prod" {
  project = "acme"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "route53_weighted" "dns" {
    provider  = gcp.prod # ERROR: Provider of the wrong type
    zone_id   = "Z0123456789"
    name      = "www.example.com"
    primary   = ["a"]
    secondary = ["b"]
  }
}
