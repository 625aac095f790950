# A function that is not in the curated set, with a hint.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = lowr("DC1.example.com:443") # ERROR: Call to unknown function # DETAIL: Did you mean "lower"?
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
