# The same backend service in the same route rule of one URL map, named
# once by name and once by URL.
provider "gcp" "prod" {
  project = "acme"
}

failback "web" {
  primary   = "a"
  secondary = "b"

  check "tcp" "up" {
    address = "a.example.com:443"
  }

  target "gcp_url_map" "lb" {
    url_map      = "www"
    path_matcher = "api"
    route_rule   = 10
    primary      = ["web-a"]
    secondary    = ["web-b"]
  }
}

failback "api" {
  primary   = "a"
  secondary = "c"

  check "tcp" "up" {
    address = "a.example.com:443"
  }

  target "gcp_url_map" "lb" {
    url_map      = "www"
    path_matcher = "api"
    route_rule   = 10
    primary      = ["https://compute.googleapis.com/compute/v1/projects/acme/global/backendServices/web-a"] # ERROR: Targets steer the same object # DETAIL: in route rule 10 of path matcher api of URL map www
    secondary    = ["web-c"]
  }
}
