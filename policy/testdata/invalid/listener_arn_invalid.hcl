# An ALB listener ARN must look like one.
provider "aws" "prod" {
  region = "us-east-1"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "alb_forward" "edge" {
    listener_arn = "my-listener" # ERROR: Invalid listener_arn
    primary      = ["arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/a/1"]
    secondary    = ["arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/b/1"]
  }
}
