# steps belongs in the rollout block, not directly in the failback.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"
  steps     = [50, 100] # ERROR: Misplaced argument # DETAIL: rollout { steps = ... }

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
