# The curated functions, file() relative to this file, sensitive(), and
# env(), which is unknown when validating.
variable "region" {
  type    = string
  default = "EU-WEST-1"
}

failback "fn" {
  primary   = lower("A")
  secondary = format("%s-%d", "b", 2)

  check "http" "formatted" {
    url    = format("https://%s.api.example.com:%d/healthz", lower(var.region), 8443)
    method = upper("head")
  }
  check "http" "from-json" {
    url           = "https://a.example.com/"
    expect_status = jsondecode("[200, 204]")
  }
  check "http" "from-file" {
    url        = "https://a.example.com/"
    body_regex = trimspace(file("data/body_regex.txt"))
  }
  check "http" "secret-header" {
    url     = "https://a.example.com/"
    headers = sensitive({ Authorization = "Bearer not-a-real-token" })
  }
  check "http" "env-url" {
    of  = "secondary"
    url = env("HEALTH_URL")
  }

  target "haproxy_backend" "lb" {
    runtime_api = join(":", ["127.0.0.1", "9999"])
    backend     = "fn"
    primary     = concat(["a-1"], [replace("a_2", "_", "-")], ["a-3"])
    secondary   = split(",", "b-1,b-2")
    max_weight  = length(["x", "y", "z"])
  }
}
