# A check kind bound to aws, given a libdns provider.
provider "libdns" "dns" {
  driver = "cloudflare"
  config = { api_token = "not-a-real-token" }
}
provider "aws" "prod" {
  region = "us-east-1"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "route53_health" "hc" {
    provider        = libdns.dns # ERROR: Provider of the wrong type
    health_check_id = "abc"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
