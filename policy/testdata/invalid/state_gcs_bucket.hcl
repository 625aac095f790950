# A state "gcs" block is checked statically.
state "gcs" {
  bucket = "Fbctl_State" # ERROR: Invalid bucket
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
