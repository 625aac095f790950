# The example of DESIGN.md ("The policy language"), verbatim but for this
# comment and the variable values the test passes:
# VAR: zone_id=Z0123456789ABC
# VAR: tsig_key=c2VjcmV0LXRzaWcta2V5
variable "zone_id" { type = string }
variable "tsig_key" {
  type      = string
  sensitive = true            # never printed: plan, logs, errors, state
}

state "file" { path = ".fbctl" }          # the default when absent; later "s3", "gcs"

provider "aws" "prod" {
  region       = "us-east-1"
  profile      = "prod"                   # optional; default credential chain otherwise
  assume_role  = "arn:aws:iam::123456789012:role/fbctl"   # optional
  endpoint_url = null                     # emulators, LocalStack
}
provider "gcp" "prod" { project = "acme-prod" }
provider "libdns" "onprem" {
  driver = "rfc2136"
  config = { server = "ns1.example.net:53", key_name = "fbctl-key", key_alg = "hmac-sha256", key = var.tsig_key }
}

failback "checkout" {
  primary   = "aws-use1"                  # names for people; shown in output
  secondary = "gcp-usc1"

  check "http" "aws-healthz" {
    url                 = "https://aws-use1.checkout.example.com/healthz"
    expect_status       = [200]
    interval            = "10s"
    timeout             = "2s"
    healthy_threshold   = 3
    unhealthy_threshold = 2
  }
  check "http" "gcp-healthz" {
    of  = "secondary"                     # default "primary"
    url = "https://gcp-usc1.checkout.example.com/healthz"
  }

  target "route53_weighted" "dns" {
    provider  = aws.prod                  # a reference, as in Terraform
    zone_id   = var.zone_id
    name      = "api.checkout.example.com"
    type      = "A"
    primary   = ["aws-use1"]              # SetIdentifiers on each side
    secondary = ["gcp-usc1"]
  }
  target "alb_forward" "edge" {
    provider     = aws.prod
    listener_arn = tf.listener_arn        # from `terraform output -json`
    primary      = [tf.aws_tg_arn]
    secondary    = [tf.gcp_tg_arn]
  }

  rollout {
    steps               = [5, 10, 25, 50, 100]
    bake                = "10m"
    primary_healthy_for = "15m"            # stabilization window before the first step
    on_unhealthy        = "rollback"       # rollback | step_back | hold
    cooldown            = "30m"            # after a rollback, before trying again
    on_drift            = "halt"           # halt | adopt | correct
    approval            = "none"           # none | first_step | every_step  (`fbctl approve`)
  }
}
