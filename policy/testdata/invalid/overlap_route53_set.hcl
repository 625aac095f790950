# The same weighted set, spelled with another case, trailing dot and zone
# ID prefix, in two failbacks.
provider "aws" "prod" {
  region = "us-east-1"
}

failback "checkout" {
  primary   = "aws"
  secondary = "gcp"

  check "tcp" "up" {
    address = "aws.example.com:443"
  }

  target "route53_weighted" "dns" {
    zone_id   = "Z0123456789ABC"
    name      = "api.example.com"
    primary   = ["aws-use1"]
    secondary = ["gcp-usc1"]
  }
}

failback "cart" {
  primary   = "aws"
  secondary = "gcp"

  check "tcp" "up" {
    address = "aws.example.com:443"
  }

  target "route53_weighted" "dns" {
    zone_id   = "/hostedzone/Z0123456789ABC"
    name      = "API.example.com."
    type      = "A"
    primary   = ["aws-use1"] # ERROR: Targets steer the same object # DETAIL: both steer Route 53 weighted set aws-use1 of API.example.com. A in hosted zone /hostedzone/Z0123456789ABC (and 1 more in common)
    secondary = ["gcp-usc1"]
  }
}
