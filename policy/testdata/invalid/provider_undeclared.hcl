# A reference to a provider that is not declared, with a hint.
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
    provider  = aws.prd # ERROR: Reference to undeclared provider # DETAIL: Did you mean "aws.prod"?
    zone_id   = "Z0123456789"
    name      = "www.example.com"
    primary   = ["a"]
    secondary = ["b"]
  }
}
