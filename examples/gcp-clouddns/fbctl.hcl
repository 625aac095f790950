# A service whose name is in Google Cloud DNS with a weighted-round-robin
# routing policy: the WRR items of the DR site give their weight back to
# the primary's. The record set must exist with its WRR policy, e.g.:
#   gcloud dns record-sets create www.example.com. --zone=example-com --type=A --ttl=30 \
#     --routing-policy-type=WRR --routing-policy-data="0=192.0.2.10;1000=198.51.100.10,198.51.100.11"

schedule = "5m"

state "file" {
  path = ".fbctl"
}

provider "gcp" "prod" {
  project = "acme-prod"
}

failback "web" {
  primary   = "dc1"
  secondary = "dr"

  check "http" "dc1-app" {
    url = "https://web.dc1.example.com/healthz"
  }

  check "http" "dr-app" {
    of  = "secondary"
    url = "https://web.dr.example.com/healthz"
  }

  target "cloud_dns_wrr" "www" {
    provider     = gcp.prod
    managed_zone = "example-com"
    name         = "www"
    type         = "A"
    primary      = ["192.0.2.10"]
    secondary    = ["198.51.100.10", "198.51.100.11"] # one item holding both
  }

  rollout {
    steps        = [5, 25, 50, 100]
    bake         = "5m"
    on_unhealthy = "step_back"
  }
}
