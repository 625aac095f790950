# A service whose name is served by PowerDNS Authoritative: a LUA record's
# weight table moves the answers from the DR site back to the primary.
# The server needs enable-lua-records=yes and its API (api=yes, api-key).

schedule = "5m"

variable "pdns_api_key" {
  type        = string
  description = "The PowerDNS api-key"
  sensitive   = true
}

provider "powerdns" "auth" {
  api_url = "http://127.0.0.1:8081"
  api_key = var.pdns_api_key
}

failback "web" {
  primary   = "dc1"
  secondary = "dr"

  check "http" "dc1-app" {
    url = "https://web.dc1.example.net/healthz"
  }

  check "http" "dr-app" {
    of  = "secondary"
    url = "https://web.dr.example.net/healthz"
  }

  # The record must exist; fbctl never creates records, e.g.:
  # pdnsutil add-record example.net www LUA 30 "A \"pickwhashed({{0, '192.0.2.10'}, {0, '192.0.2.11'}, {1000, '198.51.100.10'}})\""
  target "powerdns_weighted" "www" {
    zone      = "example.net"
    name      = "www"
    primary   = ["192.0.2.10", "192.0.2.11"]
    secondary = ["198.51.100.10"]
    function  = "pickwhashed"
  }

  rollout {
    steps        = [5, 25, 50, 100]
    bake         = "5m"
    on_unhealthy = "step_back"
  }
}
