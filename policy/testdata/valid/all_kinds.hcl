# Every target kind and every check kind, once each.
provider "aws" "prod" {
  region       = "eu-west-1"
  endpoint_url = "http://127.0.0.1:5000"
}
provider "gcp" "prod" {
  project          = "acme"
  credentials_file = "/etc/fbctl/gcp.json"
}
provider "libdns" "bind" {
  driver = "rfc2136"
  config = {
    server   = "127.0.0.1:53"
    key_name = "fbctl"
    key      = "c2VjcmV0"
  }
}
provider "azure" "prod" {
  subscription_id = "00000000-0000-0000-0000-000000000001"
  tenant_id       = "00000000-0000-0000-0000-000000000002"
  client_id       = "00000000-0000-0000-0000-000000000003"
  client_secret   = "secret"
}
provider "powerdns" "auth" {
  api_url = "http://127.0.0.1:8081"
  api_key = "secret"
}

failback "everything" {
  primary   = "site-a"
  secondary = "site-b"

  check "http" "web" {
    url                  = "https://a.example.com/healthz"
    body_regex           = "^ok"
    headers              = { Accept = "text/plain" }
    host                 = "a.example.com"
    server_name          = "a.example.com"
    ca_file              = "/etc/ssl/ca.pem"
    insecure_skip_verify = false
  }
  check "tcp" "db" {
    address = "a.example.com:5432"
  }
  check "dns" "ns" {
    name   = "a.example.com"
    type   = "AAAA"
    server = "127.0.0.1:53"
    expect = ["2001:db8::1"]
  }
  check "prometheus" "errors" {
    address = "http://prometheus:9090"
    query   = "sum(rate(http_errors_total[5m]))"
    min     = 0
    max     = 0.05
  }
  check "route53_health" "r53" {
    health_check_id = "abcdef01-2345-6789-abcd-ef0123456789"
    threshold       = 50
  }
  check "alb_target_health" "tg" {
    target_group_arn    = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/a/0123456789abcdef"
    min_healthy         = 2
    min_healthy_percent = 50
  }
  check "gcp_backend_health" "backends" {
    of                  = "secondary"
    backend_service     = "b"
    region              = "europe-west1"
    groups              = ["europe-west1-b/b-ig"]
    min_healthy_percent = 75
  }
  check "azure_endpoint_health" "east" {
    provider       = azure.prod
    resource_group = "rg-web"
    profile        = "web"
    endpoint       = "east"
  }
  check "sql" "orders_synced" {
    driver = "postgres"
    dsn    = "postgres://fbctl:pw@db-a.example.org:5432/shop?sslmode=require"
    query  = "SELECT count(*) FROM pending_sync"
    max    = 0
  }
  check "postgres_replication" "pg" {
    dsn           = "host=db-a.example.org user=fbctl dbname=postgres"
    upstream_dsn  = "host=db-b.example.org user=fbctl dbname=postgres"
    max_lag_bytes = 1048576
  }
  check "mysql_replication" "mysql" {
    dsn     = "fbctl:pw@tcp(mysql-a.example.org:3306)/"
    max_lag = 10
  }

  target "route53_weighted" "dns" {
    zone_id   = "Z0123456789"
    name      = "www.example.com"
    type      = "AAAA"
    primary   = ["a"]
    secondary = ["b"]
  }
  target "alb_forward" "alb" {
    listener_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/a/0123456789abcdef/0123456789abcdef"
    primary      = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/a/0123456789abcdef"]
    secondary    = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/b/0123456789abcdef"]
  }
  target "gcp_url_map" "urlmap" {
    url_map      = "www"
    region       = "europe-west1"
    path_matcher = "api"
    route_rule   = 10
    primary      = ["to-a"]
    secondary    = ["b"]
  }
  target "cloud_dns_wrr" "clouddns" {
    managed_zone = "example-org"
    name         = "www.example.org."
    type         = "A"
    primary      = ["192.0.2.10"]
    secondary    = ["198.51.100.10", "198.51.100.11"]
  }
  target "gcp_backend_capacity" "capacity" {
    backend_service = "b"
    primary         = ["europe-west1-b/a-neg"]
    secondary       = ["europe-west1-b/b-ig"]
  }
  target "dns_rrset" "rrset" {
    zone            = "example.org"
    name            = "www"
    type            = "CNAME"
    primary         = ["a.example.org."]
    secondary       = ["b.example.org."]
    cname_threshold = 25
  }
  target "haproxy_backend" "haproxy" {
    runtime_api = "127.0.0.1:9999"
    backend     = "www"
    primary     = ["a1", "a2"]
    secondary   = ["b1", "b2"]
  }
  target "azure_traffic_manager" "tm" {
    provider       = azure.prod
    resource_group = "rg-web"
    profile        = "web"
    primary        = ["east"]
    secondary      = ["west", "west-2"]
  }
  target "powerdns_weighted" "lua" {
    zone      = "example.net"
    name      = "www"
    type      = "AAAA"
    primary   = ["2001:db8::1"]
    secondary = ["2001:db8::2"]
    function  = "pickwhashed"
  }
}
