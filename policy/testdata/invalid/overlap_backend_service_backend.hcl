# The same backend of one backend service, in its short and its URL form.
provider "gcp" "prod" {
  project = "acme"
}

failback "web" {
  primary   = "a"
  secondary = "b"

  check "tcp" "up" {
    address = "a.example.com:443"
  }

  target "gcp_backend_capacity" "cap" {
    backend_service = "web"
    region          = "europe-west1"
    primary         = ["europe-west1-b/ig-a"]
    secondary       = ["europe-west1-c/ig-b"]
  }
  target "gcp_backend_capacity" "cap2" {
    backend_service = "web"
    region          = "europe-west1"
    primary         = ["europe-west1-d/ig-c"]
    secondary       = ["projects/acme/zones/europe-west1-c/instanceGroups/ig-b"] # ERROR: Targets steer the same object # DETAIL: of backend service web in europe-west1
  }
}
