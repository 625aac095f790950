# Two failbacks steering the same HAProxy server: a rollback of one and a
# shift of the other would undo each other every run.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "app"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}

failback "api" {
  primary   = "dc1"
  secondary = "dc3"

  check "tcp" "up" {
    address = "dc1.example.com:8443"
  }

  target "haproxy_backend" "edge" {
    runtime_api = "unix:/run/haproxy/../haproxy/admin.sock"
    backend     = "app"
    primary     = ["dc1-a"] # ERROR: Targets steer the same object # DETAIL: target "haproxy_backend" "lb" of failback "web" (testdata/invalid/overlap_haproxy_two_failbacks.hcl:14) and target "haproxy_backend" "edge" of failback "api" (testdata/invalid/overlap_haproxy_two_failbacks.hcl:30) both steer HAProxy server app/dc1-a
    secondary   = ["dc3-a"]
  }
}
