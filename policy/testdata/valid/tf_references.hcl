# tf.* references: unknown when validating without --tf-outputs, so the
# rules that depend on them are skipped and everything else is checked.
provider "aws" "prod" {
  region = "us-east-1"
}

failback "search" {
  primary   = "euw1"
  secondary = "euc1"

  check "route53_health" "hc" {
    health_check_id = tf.health_check_id
  }
  check "http" "app" {
    url = "https://${tf.primary_hostname}/healthz"
  }

  target "alb_forward" "edge" {
    rule_arn  = tf.search_rule_arn
    primary   = [tf.primary_tg_arn]
    secondary = tf.secondary_tg_arns
  }
  target "route53_weighted" "dns" {
    zone_id   = tf["zone_id"]
    name      = "search.example.com"
    primary   = ["euw1"]
    secondary = ["euc1"]
  }
}
