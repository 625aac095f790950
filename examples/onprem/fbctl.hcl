# An on-prem service: BIND serves its name through RFC 2136 dynamic updates,
# HAProxy balances between the primary data centre and the DR site.

# Cron runs fbctl every 5 minutes; every command judges evidence by it.
schedule = "5m"

variable "tsig_key" {
  type        = string
  description = "Base64 TSIG secret for fbctl-key"
  sensitive   = true
}

provider "libdns" "onprem" {
  driver = "rfc2136"
  config = {
    server   = "ns1.example.net:53"
    key_name = "fbctl-key"
    key_alg  = "hmac-sha256"
    key      = var.tsig_key
  }
}

failback "billing" {
  primary   = "dc1"
  secondary = "dr"

  check "tcp" "dc1-db" {
    address = "10.1.0.20:5432"
  }

  check "http" "dc1-app" {
    url           = "https://billing.dc1.example.net/healthz"
    expect_status = [200, 204]
    body_regex    = "ok"
  }

  check "http" "dr-app" {
    of  = "secondary"
    url = "https://billing.dr.example.net/healthz"
  }

  target "dns_rrset" "www" {
    provider  = libdns.onprem
    zone      = "example.net"
    name      = "billing"
    type      = "A"
    primary   = ["10.1.0.10", "10.1.0.11", "10.1.0.12", "10.1.0.13"]
    secondary = ["10.2.0.10", "10.2.0.11", "10.2.0.12", "10.2.0.13"]
    ttl       = 60
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "billing"
    primary     = ["dc1-a", "dc1-b"]
    secondary   = ["dr-a", "dr-b"]
  }

  rollout {
    steps        = [10, 25, 50, 100]
    bake         = "5m"
    on_unhealthy = "step_back"
    approval     = "first_step"
  }
}
