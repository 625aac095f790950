# An empty project names no Google Cloud project.
provider "gcp" "prod" {
  project = "" # ERROR: Invalid project
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "gcp_url_map" "lb" {
    url_map   = "web"
    primary   = ["to-dc1"]
    secondary = ["to-dc2"]
  }
}
