# A variable with no default and no value from --var, --var-file or the
# environment is unknown to validate, as in terraform validate: everything
# that does not depend on it is checked (plan and the run commands need it:
# TestRequiredVariableUnsetAtRun).
variable "backend" {
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
