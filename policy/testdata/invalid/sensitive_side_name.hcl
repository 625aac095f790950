# Side names are printed everywhere, so they cannot be sensitive.
variable "site" {
  default   = "dc1"
  sensitive = true
}

failback "web" {
  primary   = var.site # ERROR: Sensitive side name
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
