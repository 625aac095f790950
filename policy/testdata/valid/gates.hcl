# Gates: a check kind and a webhook, asked before each raise.
variable "gate_token" {
  type      = string
  sensitive = true
  default   = "gate-s3cr3t-value"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  gate "http" "smoke" {
    url     = "https://dc1.example.com/smoke"
    timeout = "3s"
  }

  gate "webhook" "signoff" {
    url     = "https://signoff.example.com/fbctl"
    headers = { Authorization = "Bearer ${var.gate_token}" }
    timeout = "20s"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
