# A value read by file() is named by its origin, never printed.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "http" "up" {
    url = "https://dc1.example.com/"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }

  rollout {
    bake = file("file_content_named.txt") # ERROR: Invalid duration # DETAIL: bake is the contents of file_content_named.txt, which is not a duration
  }
}
