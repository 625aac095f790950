# A notify block's events are known names, each once, at least one.
notify "webhook" "ops" {
  url = "https://hooks.example.com/fbctl"
  events = [
    "shift",
    "rolback", # ERROR: Unknown event # DETAIL: Did you mean "rollback"?
    "shift",   # ERROR: Duplicate event
  ]
}

notify "webhook" "none" {
  url    = "https://hooks.example.com/fbctl"
  events = [] # ERROR: Invalid events
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
