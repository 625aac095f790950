# The same LUA record through two spellings of its name: the weight table
# is replaced whole, so two targets on it fight.
provider "powerdns" "auth" {
  api_url = "http://127.0.0.1:8081"
  api_key = "secret"
}

failback "www" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "powerdns_weighted" "a" {
    zone      = "example.com"
    name      = "www"
    primary   = ["192.0.2.1"]
    secondary = ["198.51.100.1"]
  }
  target "powerdns_weighted" "b" {
    zone      = "example.com"
    name      = "www.example.com." # ERROR: Targets steer the same object # DETAIL: both steer PowerDNS LUA A record
    primary   = ["192.0.2.1"]
    secondary = ["203.0.113.1"]
  }
}
