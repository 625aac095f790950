state "file" {
  path = ".fbctl"
}

provider "gcp" "prod" {
  project                     = "acme-prod"
  impersonate_service_account = "fbctl@acme-prod.iam.gserviceaccount.com"
}

failback "checkout" {
  primary   = "aws-use1"
  secondary = "gcp-usc1"

  check "gcp_backend_health" "aws-neg" {
    provider        = gcp.prod
    backend_service = "checkout-to-aws"
    groups          = ["global/networkEndpointGroups/neg-checkout-aws"]
  }

  check "gcp_backend_health" "gcp-pool" {
    of                  = "secondary"
    provider            = gcp.prod
    backend_service     = "checkout-gcp"
    groups              = ["us-central1-a/ig-checkout", "us-central1-b/ig-checkout"]
    min_healthy         = 2
    min_healthy_percent = 75
  }

  target "gcp_url_map" "gclb" {
    provider     = gcp.prod
    url_map      = "checkout-lb"
    path_matcher = "checkout"
    route_rule   = 10
    primary      = ["checkout-to-aws"]
    secondary    = ["checkout-gcp"]
  }

  target "gcp_backend_capacity" "pool" {
    provider        = gcp.prod
    backend_service = "checkout-internal"
    region          = "us-central1"
    primary         = ["us-central1-a/ig-aws-proxy"]
    secondary       = ["us-central1-a/ig-checkout"]
  }

  rollout {
    steps               = [10, 25, 50, 100]
    bake                = "10m"
    primary_healthy_for = "15m"
    on_unhealthy        = "rollback"
    cooldown            = "30m"
    on_drift            = "halt"
    approval            = "none"
  }
}
