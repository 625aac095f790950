# A notify block's url is checked like the http check's, and never quoted.
notify "webhook" "ops" {
  url = "ftp://hooks.example.com/T0/B0/secretpath" # ERROR: Invalid url
}

notify "webhook" "noscheme" {
  url = "hooks.example.com/x" # ERROR: Invalid url
}

notify "webhook" "missing" { # ERROR: Missing required argument
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
