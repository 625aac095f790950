# The ALB and its target groups are managed by Terraform: their ARNs come
# from `terraform output -json > outputs.json`, passed with
#   fbctl validate --tf-outputs outputs.json
# Without --tf-outputs, validate treats the tf.* values as unknown and checks
# everything else.

provider "aws" "prod" {
  region = tf.region
}

failback "search" {
  primary   = "aws-euw1"
  secondary = "aws-euc1"

  check "http" "primary" {
    url = format("https://%s/healthz", tf.primary_hostname)
  }

  check "alb_target_health" "secondary" {
    of               = "secondary"
    target_group_arn = tf.secondary_tg_arn
  }

  target "alb_forward" "edge" {
    provider  = aws.prod
    rule_arn  = tf.search_rule_arn
    primary   = [tf.primary_tg_arn]
    secondary = [tf.secondary_tg_arn]
  }

  rollout {
    steps = [1, 5, 25, 100]
    bake  = "15m"
  }
}
