# Variables of collection and structural types, with defaults, used in
# expressions of several types.
variable "servers" {
  type    = list(string)
  default = ["s1", "s2"]
}
variable "weights" {
  type        = map(number)
  default     = { max = 128 }
  description = "Weights by purpose"
}
variable "api" {
  type = object({ host = string, port = number })
  default = {
    host = "10.0.0.5"
    port = 9999
  }
}
variable "steps" {
  type    = list(number)
  default = [20, 100]
}
variable "anything" {
  default = { nested = [1, "two"] }
}

failback "typed" {
  primary   = "p"
  secondary = "s"

  check "tcp" "api" {
    address = "${var.api.host}:${var.api.port}"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "${var.api.host}:${var.api.port}"
    backend     = "typed"
    primary     = ["p1"]
    secondary   = var.servers
    max_weight  = var.weights["max"]
  }

  rollout {
    steps = var.steps
  }
}
