# A check kind that does not exist. No "No check of the primary" follows.
failback "web" {
  primary   = "dc1"
  secondary = "dc2"

  check "https" "up" { # ERROR: Unknown check kind # DETAIL: Known check kinds: alb_target_health, azure_endpoint_health, dns, gcp_backend_health, http, mysql_replication, postgres_replication, prometheus, route53_health, sql, tcp.
    url = "https://dc1.example.com/"
  }

  target "haproxy_backend" "lb" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "web"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
}
