# Provider blocks are top-level.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  provider "aws" "prod" { # ERROR: Misplaced block
    region = "us-east-1"
  }

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
