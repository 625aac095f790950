# powerdns_weighted: addresses of the record's type, a known function, an
# http(s) API URL.
provider "powerdns" "auth" {
  api_url = "ftp://127.0.0.1:8081" # ERROR: Invalid api_url
  api_key = "secret"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "powerdns_weighted" "v6" {
    zone      = "example.com"
    name      = "www"
    type      = "AAAA"
    primary   = ["192.0.2.1"] # ERROR: Invalid primary # DETAIL: not an IPv6 address
    secondary = ["2001:db8::2"]
  }
  target "powerdns_weighted" "fn" {
    zone      = "example.com"
    name      = "api"
    primary   = ["192.0.2.1"]
    secondary = ["192.0.2.2"]
    function  = "pickrandom" # ERROR: Invalid function
  }
}
