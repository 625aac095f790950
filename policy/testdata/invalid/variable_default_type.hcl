# A default that does not convert to the declared type is reported once:
# not again as "no value for required variable", nor where it is used.
variable "weight" {
  type    = number
  default = "heavy" # ERROR: Invalid default value for variable
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
    max_weight  = var.weight
  }
}
