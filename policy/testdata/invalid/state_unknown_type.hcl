# The state stores are "file", "s3" and "gcs"; a near miss gets a suggestion.
state "gcp" { # ERROR: Unknown state type # DETAIL: Did you mean "gcs"?
  bucket = "fbctl-state"
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
