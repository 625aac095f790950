# Targets that look alike but steer different objects: none overlaps.
provider "aws" "prod" {
  region = "us-east-1"
}
provider "aws" "other" {
  region  = "us-east-1"
  profile = "other-account"
}
provider "gcp" "prod" {
  project = "acme"
}
provider "libdns" "ns1" {
  driver = "rfc2136"
  config = { server = "ns1.example.net:53", key_name = "fbctl", key = "c2VjcmV0" }
}
provider "libdns" "ns2" {
  driver = "rfc2136"
  config = { server = "ns2.example.net:53", key_name = "fbctl", key = "c2VjcmV0" }
}

failback "one" {
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
  target "route53_weighted" "dns" {
    provider  = aws.prod
    zone      = "example.com"
    name      = "api.example.com"
    type      = "A"
    primary   = ["dc1"]
    secondary = ["dc2"]
  }
  target "alb_forward" "edge" {
    provider     = aws.prod
    listener_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/0123456789abcdef/0123456789abcdef"
    primary      = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef"]
    secondary    = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef"]
  }
  target "gcp_url_map" "map" {
    provider     = gcp.prod
    url_map      = "www"
    path_matcher = "api"
    primary      = ["web-a"]
    secondary    = ["web-b"]
  }
  target "gcp_backend_capacity" "cap" {
    provider        = gcp.prod
    backend_service = "web"
    primary         = ["europe-west1-b/ig-a"]
    secondary       = ["europe-west1-c/ig-b"]
  }
  target "dns_rrset" "www" {
    provider  = libdns.ns1
    zone      = "example.com"
    name      = "www"
    primary   = ["192.0.2.1"]
    secondary = ["198.51.100.1"]
  }
  rollout {
    steps = [50, 100]
  }
}

failback "two" {
  primary   = "dc1"
  secondary = "dc2"

  check "tcp" "up" {
    address = "dc1.example.com:443"
  }

  # The same server names in another backend, and on another HAProxy.
  target "haproxy_backend" "other-backend" {
    runtime_api = "/run/haproxy/admin.sock"
    backend     = "api"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
  target "haproxy_backend" "other-haproxy" {
    runtime_api = "/run/haproxy-edge/admin.sock"
    backend     = "app"
    primary     = ["dc1-a"]
    secondary   = ["dc2-a"]
  }
  # The same record name and set identifiers with another type; and the
  # same zone name in another account.
  target "route53_weighted" "dns-v6" {
    provider  = aws.prod
    zone      = "example.com"
    name      = "api.example.com"
    type      = "AAAA"
    primary   = ["dc1"]
    secondary = ["dc2"]
  }
  target "route53_weighted" "dns-other-account" {
    provider  = aws.other
    zone      = "example.com"
    name      = "api.example.com"
    type      = "A"
    primary   = ["dc1"]
    secondary = ["dc2"]
  }
  # The same target groups in another listener, and in a rule of the
  # same listener.
  target "alb_forward" "other-listener" {
    provider     = aws.prod
    listener_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/0123456789abcdef/fedcba9876543210"
    primary      = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef"]
    secondary    = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef"]
  }
  target "alb_forward" "rule" {
    provider  = aws.prod
    rule_arn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/0123456789abcdef/0123456789abcdef/1111111111111111"
    primary   = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef"]
    secondary = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef"]
  }
  # The same services in a route rule of the same path matcher, and in
  # the map's default route.
  target "gcp_url_map" "route-rule" {
    provider     = gcp.prod
    url_map      = "www"
    path_matcher = "api"
    route_rule   = 1
    primary      = ["web-a"]
    secondary    = ["web-b"]
  }
  target "gcp_url_map" "default" {
    provider  = gcp.prod
    url_map   = "www"
    primary   = ["web-a"]
    secondary = ["web-b"]
  }
  # The same groups in another backend service.
  target "gcp_backend_capacity" "cap" {
    provider        = gcp.prod
    backend_service = "api"
    primary         = ["europe-west1-b/ig-a"]
    secondary       = ["europe-west1-c/ig-b"]
  }
  # The same name with another type, and on another server.
  target "dns_rrset" "www-v6" {
    provider  = libdns.ns1
    zone      = "example.com"
    name      = "www"
    type      = "AAAA"
    primary   = ["2001:db8::1"]
    secondary = ["2001:db8::2"]
  }
  target "dns_rrset" "www-ns2" {
    provider  = libdns.ns2
    zone      = "example.com"
    name      = "www"
    primary   = ["192.0.2.1"]
    secondary = ["198.51.100.1"]
  }
  # Not known at validate time (no Terraform outputs): not compared.
  target "alb_forward" "from-tf" {
    provider     = aws.prod
    listener_arn = tf.listener_arn
    primary      = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef"]
    secondary    = ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef"]
  }
  rollout {
    steps = [50, 100]
  }
}
