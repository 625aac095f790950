package health

import (
	"regexp"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// Register adds the generic check kinds (http, tcp, dns, prometheus) to r.
// They need no provider block.
func Register(r *providers.Registry) {
	r.Register(providers.Kind{
		Class: providers.ClassCheck,
		Name:  "http",
		Doc:   "An HTTP(S) request: healthy when the status is expected (and the body matches body_regex, when set).",
		Attributes: []providers.Attribute{
			providers.Required("url", cty.String, "URL to request."),
			providers.Optional("method", cty.String, cty.StringVal("GET"), "HTTP method."),
			providers.Optional("expect_status", cty.List(cty.Number), cty.ListVal([]cty.Value{cty.NumberIntVal(200)}), "Status codes that count as healthy."),
			providers.Optional("body_regex", cty.String, cty.NilVal, "RE2 regular expression the body must match."),
			providers.Optional("headers", cty.Map(cty.String), cty.NilVal, "Request headers."),
			providers.Optional("host", cty.String, cty.NilVal, "Host header (and TLS server name unless server_name is set)."),
			providers.Optional("server_name", cty.String, cty.NilVal, "TLS server name (SNI) to send and verify."),
			providers.Optional("ca_file", cty.String, cty.NilVal, "PEM file of CAs to trust instead of the system roots."),
			providers.Optional("insecure_skip_verify", cty.Bool, cty.False, "Skip TLS certificate verification (verification is on by default)."),
		},
		Validate: validateHTTP,
		NewCheck: newHTTPCheck,
	})

	r.Register(providers.Kind{
		Class: providers.ClassCheck,
		Name:  "tcp",
		Doc:   "A TCP connect: healthy when the connection opens within the timeout.",
		Attributes: []providers.Attribute{
			providers.Required("address", cty.String, "host:port to connect to."),
		},
		NewCheck: newTCPCheck,
	})

	r.Register(providers.Kind{
		Class: providers.ClassCheck,
		Name:  "dns",
		Doc:   "A DNS query at a given server: healthy when it answers (with the expected records, when set).",
		Attributes: []providers.Attribute{
			providers.Required("name", cty.String, "Name to resolve."),
			providers.Optional("type", cty.String, cty.StringVal("A"), "Query type."),
			providers.Required("server", cty.String, "Server to ask, host:port."),
			providers.Optional("expect", providers.StringList, cty.NilVal, "Records that must all be in the answer; any answer counts when unset."),
		},
		Validate: validateDNS,
		NewCheck: newDNSCheck,
	})

	r.Register(providers.Kind{
		Class: providers.ClassCheck,
		Name:  "prometheus",
		Doc:   "A PromQL instant query: healthy when it returns a value within [min, max] (any value when neither is set).",
		// No NewCheck yet: prometheus probing comes with the controller work.
		Attributes: []providers.Attribute{
			providers.Required("address", cty.String, "Prometheus base URL, e.g. http://prometheus:9090."),
			providers.Required("query", cty.String, "PromQL expression returning one scalar or a one-element vector."),
			providers.Optional("min", cty.Number, cty.NilVal, "Lowest healthy value."),
			providers.Optional("max", cty.Number, cty.NilVal, "Highest healthy value."),
		},
	})
}

// validateHTTP is the http kind's validation, shared by the policy language
// (through the registry) and the constructor.
func validateHTTP(v cty.Value) []providers.Problem {
	p := providers.NumbersInRange(v, "expect_status", 100, 599, true)
	p = append(p, providers.OneOf(v, "method", "GET", "HEAD", "POST", "PUT", "OPTIONS")...)
	if re, ok := providers.StringAttr(v, "body_regex"); ok {
		if _, err := regexp.Compile(re); err != nil {
			p = append(p, providers.Problem{Attr: "body_regex", Summary: "Invalid body_regex", Detail: err.Error()})
		}
	}
	if u, ok := providers.StringAttr(v, "url"); ok && !validHTTPURL(u) {
		p = append(p, providers.Problem{Attr: "url", Summary: "Invalid url",
			Detail: "url must be an absolute http:// or https:// URL with a host."})
	}
	return p
}

// dnsTypes are the query types the dns kind accepts.
var dnsTypes = []string{"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "SOA", "PTR", "CAA"}

// validateDNS is the dns kind's validation.
func validateDNS(v cty.Value) []providers.Problem {
	return providers.OneOf(v, "type", dnsTypes...)
}
