# A variable with no default and no value from --var, --var-file or the
# environment; the error is at its declaration, and nothing that uses it is
# reported again.
variable "backend" { # ERROR: No value for required variable # DETAIL: FBCTL_VAR_backend
  type = string
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = var.backend
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
