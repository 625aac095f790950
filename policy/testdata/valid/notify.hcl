# Webhooks: a JSON receiver with a secret header, and Slack.
variable "hook_token" {
  type      = string
  sensitive = true
  default   = "s3cr3t-token-value"
}

notify "webhook" "ops" {
  url     = "https://hooks.example.com/fbctl?team=ops"
  events  = ["rollback", "halt", "apply_failed", "lease"]
  headers = {
    Authorization = "Bearer ${var.hook_token}"
    X-Env         = env("FBCTL_ENV")
  }
  timeout = "5s"
}

notify "webhook" "slack" {
  url    = env("SLACK_WEBHOOK_URL")
  format = "slack"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
