# A service whose primary runs in Azure (an App Service behind Traffic
# Manager) and whose DR site runs in AWS (an ALB, added to the same
# Traffic Manager profile as an external endpoint). After a failover to
# AWS, fbctl moves the profile's weights back to Azure step by step.
#
# The profile must use the Weighted routing method. Traffic Manager has no
# weight 0: at 0 % a side's endpoints are set to Disabled, at 100 % the
# other side's are; their weights are kept.

schedule = "5m"

variable "azure_client_secret" {
  type        = string
  description = "Client secret of the fbctl service principal (Traffic Manager Contributor on the profile)"
  sensitive   = true
}

provider "azure" "prod" {
  subscription_id = "00000000-0000-0000-0000-000000000001"
  tenant_id       = "00000000-0000-0000-0000-000000000002"
  client_id       = "00000000-0000-0000-0000-000000000003"
  client_secret   = var.azure_client_secret
  # Without client_secret the default credential chain is used (managed
  # identity, workload identity, environment, Azure CLI).
}

provider "aws" "prod" {
  region = "eu-west-1"
}

failback "shop" {
  primary   = "azure-weu"
  secondary = "aws-euw1"

  # Traffic Manager's own monitor of the Azure endpoint.
  check "azure_endpoint_health" "azure-endpoint" {
    provider       = azure.prod
    resource_group = "rg-shop"
    profile        = "shop"
    endpoint       = "azure-weu"
  }

  check "http" "azure-app" {
    url = "https://shop-weu.azurewebsites.net/healthz"
  }

  check "alb_target_health" "aws-targets" {
    of               = "secondary"
    provider         = aws.prod
    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop/0123456789abcdef"
  }

  target "azure_traffic_manager" "dns" {
    provider       = azure.prod
    resource_group = "rg-shop"
    profile        = "shop"
    primary        = ["azure-weu"] # an Azure endpoint
    secondary      = ["aws-euw1"]  # an external endpoint: the ALB's DNS name
  }

  rollout {
    steps        = [10, 25, 50, 100]
    bake         = "10m"
    on_unhealthy = "step_back"
  }
}
