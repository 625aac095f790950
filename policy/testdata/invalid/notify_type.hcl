# Only webhooks; names are unique; the block sits at the top level.
notify "email" "ops" { # ERROR: Unknown notify type
  url = "https://hooks.example.com/fbctl"
}

notify "webhook" "ops" {
  url = "https://hooks.example.com/a"
}

notify "webhook" "ops" { # ERROR: Duplicate notify block
  url = "https://hooks.example.com/b"
}

notify "webhook" "bad name" { # ERROR: Invalid notify name
  url = "https://hooks.example.com/c"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  notify "webhook" "inner" { # ERROR: Misplaced block
    url = "https://hooks.example.com/d"
  }

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
