# A URL map route rule lives inside a path matcher.
provider "gcp" "prod" {
  project = "acme"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "gcp_url_map" "lb" {
    url_map    = "www"
    route_rule = 10 # ERROR: route_rule needs path_matcher
    primary    = ["to-dc1"]
    secondary  = ["dc2"]
  }
}
