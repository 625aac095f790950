# A DNS RRset of four addresses a side delivers 0 % at both 5 % and 10 %
# (the closest composition to either is the secondary's four addresses
# alone): the 10 % step would change nothing there.
provider "libdns" "onprem" {
  driver = "rfc2136"
  config = {
    server   = "127.0.0.1:53"
    key_name = "fbctl"
    key      = "c2VjcmV0"
  }
}

failback "api" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "dns_rrset" "api" { # WARNING: Steps deliver the same share
    zone      = "example.com"
    name      = "api"
    primary   = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
    secondary = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]
  }

  rollout {
    steps = [5, 10, 25, 50, 100]
  }
}
