# Two AWS accounts and one GCP project. With two aws providers every AWS
# block names its provider; the one gcp provider is used implicitly.
provider "aws" "east" {
  region = "us-east-1"
}
provider "aws" "west" {
  region              = "us-west-2"
  requests_per_second = 5
  burst               = 20
}
provider "gcp" "prod" {
  project = "shop-prod"
}

failback "shop" {
  primary   = "aws"
  secondary = "gcp"

  check "alb_target_health" "east-tg" {
    provider         = aws.east
    target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop/0123456789abcdef"
  }
  check "gcp_backend_health" "gcp-backends" {
    of              = "secondary"
    backend_service = "shop"
    groups          = ["us-central1-a/shop-ig"]
  }

  target "route53_weighted" "dns" {
    provider  = aws.west
    zone      = "example.com."
    name      = "shop.example.com"
    primary   = ["aws"]
    secondary = ["gcp"]
  }
  target "alb_forward" "edge" {
    provider  = aws.east
    rule_arn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/0123456789abcdef/0123456789abcdef/0123456789abcdef"
    primary   = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop/0123456789abcdef"]
    secondary = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-gcp/fedcba9876543210"]
  }
  target "gcp_url_map" "gclb" {
    url_map   = "shop"
    primary   = ["shop-to-aws"]
    secondary = ["shop-gcp"]
  }

  rollout {
    steps        = [25, 50, 100]
    bake         = "20m"
    on_unhealthy = "hold"
    on_drift     = "adopt"
    approval     = "first_step"
  }
}
