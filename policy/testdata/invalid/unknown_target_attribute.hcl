# A misspelled target argument, with a "did you mean" hint.
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
    max_wieght  = 100 # ERROR: Unsupported argument # DETAIL: Did you mean "max_weight"?
  }
}
