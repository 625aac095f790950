# azure_traffic_manager: a client secret needs its tenant and client id,
# endpoint names are names, and one endpoint is on one side only.
provider "azure" "prod" { # ERROR: Missing tenant_id # DETAIL: tenant_id is required with client_secret
  subscription_id = "sub-1"
  client_secret   = "not-a-real-value"
  client_id       = "client-1"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "azure_endpoint_health" "east" {
    resource_group = "rg-web"
    profile        = "web/x" # ERROR: Invalid profile
    endpoint       = "east"
  }

  target "azure_traffic_manager" "tm" {
    resource_group = "rg-web"
    profile        = "web"
    primary        = ["east"]
    secondary      = ["EAST"] # ERROR: Invalid secondary # DETAIL: named twice
  }
}
