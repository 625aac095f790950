# A state "gcs" block is checked statically.
state "gcs" {
  bucket       = "fbctl-state"
  endpoint_url = "https://user:secret@gcs.example.com" # ERROR: Credentials in endpoint_url
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
