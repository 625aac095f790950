# A value over 64 bytes from outside the policy text is described by length.
# VAR: d=yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy
variable "d" {
  type = string
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "up" {
    url = "https://dc1.example.com/"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }

  rollout {
    bake = var.d # ERROR: Invalid duration # DETAIL: bake is a string of 100 bytes (not shown)
  }
}
