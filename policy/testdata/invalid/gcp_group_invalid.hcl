# A group is a URL of an instance group or NEG, or ZONE/NAME.
provider "gcp" "prod" {
  project = "acme"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "gcp_backend_capacity" "lb" {
    backend_service = "web"
    primary         = ["us-east1-b/dc1"]
    secondary       = ["not a group"] # ERROR: Invalid secondary
  }
}
