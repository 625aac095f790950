# Two targets of one failback on the same server, from its other side:
# one raises its weight while the other lowers it.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "10.0.0.5:9999"
    backend     = "app"
    primary     = ["dc1-a", "dc1-b"]
    secondary   = ["dc2-a"]
  }
  target "haproxy_backend" "lb2" {
    runtime_api = "10.0.0.5:9999"
    backend     = "app"
    primary     = ["dc2-a"] # ERROR: Targets steer the same object # DETAIL: both steer HAProxy server app/dc2-a at 10.0.0.5:9999 (and 1 more in common). Their writes
    secondary   = ["dc1-a"]
  }
}
