package health

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/miekg/dns"

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
		Validate: validateTCP,
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
		Validate: validatePrometheus,
	})
}

// validateHTTP is the http kind's validation, shared by the policy language
// (through the registry) and the constructor: everything but ca_file, which
// is read from disk when the check is built.
func validateHTTP(v cty.Value) []providers.Problem {
	p := providers.NumbersInRange(v, "expect_status", 100, 599, true)
	if emptyList(v, "expect_status") {
		p = append(p, providers.Problem{Attr: "expect_status", Summary: "Invalid expect_status",
			Detail: "expect_status must list at least one status code."})
	}
	p = append(p, providers.OneOf(v, "method", "GET", "HEAD", "POST", "PUT", "OPTIONS")...)
	if re, ok := providers.StringAttr(v, "body_regex"); ok {
		if _, err := regexp.Compile(re); err != nil {
			p = append(p, providers.Problem{Attr: "body_regex", Summary: "Invalid body_regex", Detail: err.Error()})
		}
	}
	p = append(p, providers.URLProblem(v, "url", "http", "https")...)
	p = append(p, headerProblems(v)...)
	// ca_file is read when the check is built (it need not exist where
	// the policy is validated); only a name no file can have is refused.
	if f, ok := providers.StringAttr(v, "ca_file"); ok && (strings.TrimSpace(f) == "" || strings.ContainsRune(f, 0)) {
		p = append(p, providers.Problem{Attr: "ca_file", Summary: "Invalid ca_file", Detail: "ca_file must be a file name."})
	}
	for _, attr := range []string{"host", "server_name"} {
		if s, ok := providers.StringAttr(v, attr); ok && strings.ContainsAny(s, " \t\r\n\x00") {
			p = append(p, providers.Problem{Attr: attr, Summary: "Invalid " + attr,
				Detail: attr + " must not contain white space, a line break or NUL."})
		}
	}
	return p
}

// headerProblems checks the headers map: each name an HTTP token, no value
// with a line break or NUL (which would end or split the header). Values
// are never quoted: they are often tokens.
func headerProblems(v cty.Value) []providers.Problem {
	m, ok := stringMap(v, "headers")
	if !ok {
		return nil
	}
	var p []providers.Problem
	for _, k := range sortedKeys(m) {
		if !validHeaderName(k) {
			p = append(p, providers.Problem{Attr: "headers", Summary: "Invalid headers",
				Detail: fmt.Sprintf("%q is not a valid header name.", k)})
			continue
		}
		if strings.ContainsAny(m[k], "\r\n\x00") {
			p = append(p, providers.Problem{Attr: "headers", Summary: "Invalid headers",
				Detail: fmt.Sprintf("The value of %q contains a line break or NUL.", k)})
		}
	}
	return p
}

// validateTCP is the tcp kind's validation.
func validateTCP(v cty.Value) []providers.Problem {
	return providers.HostPortProblem(v, "address")
}

// validatePrometheus is the prometheus kind's validation, ready for the
// constructor it will get.
func validatePrometheus(v cty.Value) []providers.Problem {
	p := providers.URLProblem(v, "address", "http", "https")
	p = append(p, providers.NotBlank(v, "query")...)
	lo, okLo := numberAttr(v, "min")
	hi, okHi := numberAttr(v, "max")
	if okLo && okHi && lo > hi {
		p = append(p, providers.Problem{Attr: "max", Summary: "Invalid max", Detail: "max must not be below min."})
	}
	return p
}

// numberAttr returns a known, set number attribute as a float64.
func numberAttr(obj cty.Value, attr string) (float64, bool) {
	v := unmarkedAttr(obj, attr)
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.Number {
		return 0, false
	}
	f, _ := v.AsBigFloat().Float64()
	return f, true
}

// dnsTypes are the query types the dns kind accepts.
var dnsTypes = []string{"A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "SOA", "PTR", "CAA"}

// validateDNS is the dns kind's validation.
func validateDNS(v cty.Value) []providers.Problem {
	p := providers.OneOf(v, "type", dnsTypes...)
	if name, ok := providers.StringAttr(v, "name"); ok {
		if _, valid := dns.IsDomainName(name); !valid || strings.TrimSpace(name) == "" || providers.BadNameChars(name) {
			p = append(p, providers.Problem{Attr: "name", Summary: "Invalid name", Detail: "name must be a domain name."})
		}
	}
	p = append(p, providers.HostPortProblem(v, "server")...)
	t, okT := providers.StringAttr(v, "type")
	qt, known := dns.StringToType[strings.ToUpper(t)]
	if exp, ok := providers.StringsAttr(v, "expect"); ok && okT && known {
		for _, e := range exp {
			if _, err := normExpect(qt, e); err != nil {
				p = append(p, providers.Problem{Attr: "expect", Summary: "Invalid expect", Detail: "expect: " + err.Error()})
				break
			}
		}
	}
	return providers.HideMarked(v, p)
}

// emptyList reports whether obj[attr] is a known, empty list.
func emptyList(obj cty.Value, attr string) bool {
	v := unmarkedAttr(obj, attr)
	return !v.IsNull() && v.IsKnown() && v.CanIterateElements() && v.LengthInt() == 0
}

// stringMap returns the map of strings obj[attr] when it is set and wholly
// known; a null value is skipped.
func stringMap(obj cty.Value, attr string) (map[string]string, bool) {
	v := unmarkedAttr(obj, attr)
	if v.IsNull() || !v.IsWhollyKnown() || !(v.Type().IsMapType() || v.Type().IsObjectType()) {
		return nil, false
	}
	out := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			continue
		}
		out[k.AsString()] = e.AsString()
	}
	return out, true
}

func unmarkedAttr(obj cty.Value, attr string) cty.Value {
	if obj == cty.NilVal || obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() || !obj.Type().HasAttribute(attr) {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	v, _ := obj.GetAttr(attr).UnmarkDeep()
	return v
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
