# format and timeout of a notify block.
notify "webhook" "ops" {
  url     = "https://hooks.example.com/fbctl"
  format  = "slak" # ERROR: Invalid format # DETAIL: Did you mean "slack"?
  timeout = "10h"  # ERROR: Invalid timeout
}

notify "webhook" "neg" {
  url     = "https://hooks.example.com/fbctl"
  timeout = "-1s" # ERROR: Invalid duration
  retries = 3     # ERROR: Unsupported argument
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
