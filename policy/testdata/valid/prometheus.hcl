# Metric analysis: an error ratio and a p99 latency over a window, with
# credentials from sensitive variables.
variable "prom_token" {
  type      = string
  sensitive = true
  default   = "placeholder-token"
}
variable "prom_password" {
  type      = string
  sensitive = true
  default   = "placeholder-password"
}

failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "prometheus" "error_ratio" {
    address      = "https://prometheus.example.com/"
    query        = "sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m]))"
    max          = 0.01
    for          = "10m"
    step         = "30s"
    empty        = "unhealthy"
    bearer_token = var.prom_token
    ca_file      = "/etc/ssl/prometheus-ca.pem"
    headers      = { "X-Scope-OrgID" = "checkout" }
    interval     = "30s"
    timeout      = "5s"
  }
  check "prometheus" "p99" {
    address    = "http://prometheus:9090/prom"
    query      = "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"
    max        = 0.3
    for        = "5m"
    basic_auth = { username = "fbctl", password = var.prom_password }
  }
  check "prometheus" "replicas" {
    of      = "secondary"
    address = "http://prometheus:9090"
    query   = "count(up{job=\"api\"} == 1)"
    min     = 2
    max     = 10
    empty   = "unknown"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
