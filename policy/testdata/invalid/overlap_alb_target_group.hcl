# The same target group in the same listener's default action, from two
# provider blocks of one account.
provider "aws" "east" {
  region = "us-east-1"
}
provider "aws" "east2" {
  region  = "us-east-1"
  profile = "ops"
}

failback "shop" {
  primary   = "blue"
  secondary = "green"

  check "tcp" "up" {
    address = "blue.example.com:443"
  }

  target "alb_forward" "edge" {
    provider     = aws.east
    listener_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/0123456789abcdef/0123456789abcdef"
    primary      = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef"]
    secondary    = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef"]
  }
  target "alb_forward" "edge2" {
    provider     = aws.east2
    listener_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/0123456789abcdef/0123456789abcdef"
    primary      = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/canary/0123456789abcdef"]
    secondary    = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef"] # ERROR: Targets steer the same object # DETAIL: in the default action of listener
  }
}
