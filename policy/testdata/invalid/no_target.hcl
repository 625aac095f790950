# Without a target there is nothing to steer; the error is at the failback.
failback "web" { # ERROR: No targets
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }
}
