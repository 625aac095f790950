# A reference to a variable that is not declared, with a hint.
variable "zone_id" {
  default = "Z0123456789"
}
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
    zone_id   = var.zoneid # ERROR: Reference to undeclared variable # DETAIL: Did you mean "zone_id"?
    name      = "www.example.com"
    primary   = ["a"]
    secondary = ["b"]
  }
}
