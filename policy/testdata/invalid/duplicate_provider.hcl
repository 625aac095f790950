# Provider addresses (TYPE.NAME) are unique.
provider "aws" "prod" {
  region = "us-east-1"
}
provider "aws" "prod" { # ERROR: Duplicate provider
  region = "us-west-2"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
