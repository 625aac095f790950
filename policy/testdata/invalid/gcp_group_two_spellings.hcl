# ZONE/NAME and the group's path name the same instance group, whatever the
# provider's project: one group cannot be on both sides.
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
    primary         = ["us-east1-b/blue"]
    secondary       = ["zones/us-east1-b/instanceGroups/blue"] # ERROR: Duplicate member
  }
}
