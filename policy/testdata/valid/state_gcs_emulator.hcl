# A state "gcs" block with an emulator endpoint: credentials are then unused, which is a warning.
state "gcs" {
  bucket           = "fbctl_state.example.com"
  prefix           = "team/prod"
  endpoint_url     = "http://127.0.0.1:4443"
  credentials_file = "/etc/fbctl/gcs.json" # WARNING: Credentials unused with endpoint_url
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
