# A syntax error stops the load before any other rule.
failback "web" {
  primary   = "dc1"
  secondary = = "dc2" # ERROR: Invalid expression
}
