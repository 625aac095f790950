# A Compute resource name has letters, digits, '-' and '_' only.
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
    url_map   = "web map" # ERROR: Invalid url_map
    primary   = ["to-dc1"]
    secondary = ["to-dc2"]
  }
}
