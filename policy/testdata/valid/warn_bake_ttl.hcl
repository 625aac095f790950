# A bake shorter than a DNS target's TTL is allowed, with a warning at the
# bake.
provider "libdns" "onprem" {
  driver = "cloudflare"
  config = { api_token = "not-a-real-token" }
}

failback "slow-dns" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "dns_rrset" "www" { # WARNING: Steps deliver the same share
    zone      = "example.com"
    name      = "www"
    primary   = ["192.0.2.1"]
    secondary = ["198.51.100.1"]
    ttl       = 3600
  }

  rollout {
    bake = "5m" # WARNING: Bake shorter than DNS TTL
  }
}
