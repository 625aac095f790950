# The same RRset on the same server through two provider blocks: the
# whole RRset is replaced, so any two targets on it fight.
provider "libdns" "a" {
  driver = "rfc2136"
  config = { server = "ns1.example.net:53", key_name = "fbctl-a", key = "c2VjcmV0" }
}
provider "libdns" "b" {
  driver = "rfc2136"
  config = { server = "NS1.example.net:53", key_name = "fbctl-b", key = "b3RoZXI=" }
}

failback "www" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "dns_rrset" "www" {
    provider  = libdns.a
    zone      = "example.com"
    name      = "www"
    primary   = ["192.0.2.1"]
    secondary = ["198.51.100.1"]
  }
  rollout {
    steps = [50, 100]
  }
}

failback "www-v4" {
  primary   = "dc1"
  secondary = "dc3"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "dns_rrset" "www" {
    provider  = libdns.b
    zone      = "Example.com."
    name      = "WWW" # ERROR: Targets steer the same object # DETAIL: both steer DNS RRset www.example.com. A (libdns rfc2136)
    primary   = ["192.0.2.1"]
    secondary = ["203.0.113.1"]
  }
  rollout {
    steps = [50, 100]
  }
}
