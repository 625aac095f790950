# One libdns provider: the dns_rrset target uses it without a reference.
# A TTL shorter than the bake draws no warning.
provider "libdns" "onprem" {
  driver = "cloudflare"
  config = {
    api_token = "not-a-real-token"
  }
}

failback "billing" {
  primary   = "dc1"
  secondary = "dr"

  check "tcp" "db" {
    address = "10.1.0.20:5432"
  }

  target "dns_rrset" "www" {
    zone      = "example.net"
    name      = "billing"
    primary   = ["10.1.0.10", "10.1.0.11"]
    secondary = ["10.2.0.10"]
    ttl       = 60
  }

  rollout {
    steps = [25, 50, 100]
    bake  = "5m"
  }
}
