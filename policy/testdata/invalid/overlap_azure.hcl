# The same Traffic Manager endpoint in two targets (endpoint names are
# case-insensitive): each would set its weight and status.
provider "azure" "prod" {
  subscription_id = "sub-1"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "azure_traffic_manager" "a" {
    resource_group = "rg-web"
    profile        = "web"
    primary        = ["east"]
    secondary      = ["west"]
  }
  target "azure_traffic_manager" "b" {
    resource_group = "RG-web"
    profile        = "web"
    primary        = ["East"] # ERROR: Targets steer the same object # DETAIL: both steer Traffic Manager endpoint
    secondary      = ["south"]
  }
}
