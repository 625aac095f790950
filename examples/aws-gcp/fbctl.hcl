# Checkout runs on AWS (us-east-1) and fails over to GCP (us-central1).
# After an AWS outage, fbctl moves traffic back in canary steps across the
# Route 53 weighted records, the AWS ALB and the GCP URL map.

variable "zone_id" {
  type        = string
  description = "Route 53 hosted zone of example.com"
  default     = "Z0123456789ABCDEFGHIJ"
}

state "file" {
  path = ".fbctl"
}

# Cron runs fbctl every 5 minutes; every command judges evidence by it.
schedule = "5m"

provider "aws" "prod" {
  region = "us-east-1"
}

provider "gcp" "prod" {
  project = "acme-prod"
}

failback "checkout" {
  primary   = "aws-use1"
  secondary = "gcp-usc1"

  check "http" "aws-healthz" {
    url                 = "https://aws-use1.checkout.example.com/healthz"
    expect_status       = [200]
    interval            = "10s"
    timeout             = "2s"
    healthy_threshold   = 3
    unhealthy_threshold = 2
  }

  check "alb_target_health" "aws-targets" {
    provider            = aws.prod
    target_group_arn    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-aws/0123456789abcdef"
    min_healthy_percent = 50
  }

  check "http" "gcp-healthz" {
    of  = "secondary"
    url = "https://gcp-usc1.checkout.example.com/healthz"
  }

  target "route53_weighted" "dns" {
    provider  = aws.prod
    zone_id   = var.zone_id
    name      = "api.checkout.example.com"
    type      = "A"
    primary   = ["aws-use1"]
    secondary = ["gcp-usc1"]
  }

  target "alb_forward" "edge" {
    provider     = aws.prod
    listener_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/checkout/0123456789abcdef/fedcba9876543210"
    primary      = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-aws/0123456789abcdef"]
    secondary    = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checkout-gcp-neg/fedcba9876543210"]
  }

  target "gcp_url_map" "gclb" {
    provider  = gcp.prod
    url_map   = "checkout-lb"
    primary   = ["checkout-to-aws"]
    secondary = ["checkout-gcp"]
  }

  rollout {
    steps               = [5, 10, 25, 50, 100]
    bake                = "10m"
    primary_healthy_for = "15m"
    on_unhealthy        = "rollback"
    cooldown            = "30m"
    on_drift            = "halt"
    approval            = "none"
  }
}
