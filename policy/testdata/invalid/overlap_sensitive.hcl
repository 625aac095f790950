# An overlap whose object is named by sensitive values: the message names
# both places but never the values.
variable "sock" {
  default   = "/run/haproxy/secret-admin.sock"
  sensitive = true
}
variable "server" {
  default   = "hidden-server"
  sensitive = true
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = var.sock
    backend     = "app"
    primary     = [var.server]
    secondary   = ["dc2-a"]
  }
  target "haproxy_backend" "lb2" {
    runtime_api = var.sock
    backend     = "app"
    primary     = [var.server] # ERROR: Targets steer the same object # DETAIL: both steer HAProxy server app/(sensitive value) at (sensitive value). Their
    secondary   = ["dc3-a"]
  }
}
