# primary is a list of strings; a list of lists does not convert.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = [["dc1-a"]] # ERROR: Invalid value for primary
    secondary   = ["dc2-a"]
  }
}
