package health

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

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
		Doc: "A PromQL query: healthy when every series' value is within [min, max] (inclusive), " +
			"at the engine's time, or at every step of the last `for` when set.",
		Attributes: []providers.Attribute{
			providers.Required("address", cty.String, "Prometheus base URL, e.g. http://prometheus:9090 (a path prefix is kept)."),
			providers.Required("query", cty.String, "PromQL expression; each series of its result is judged."),
			providers.Optional("min", cty.Number, cty.NilVal, "Lowest healthy value (inclusive); min, max or both must be set."),
			providers.Optional("max", cty.Number, cty.NilVal, "Highest healthy value (inclusive)."),
			providers.Optional("for", cty.String, cty.NilVal, "A duration: every sample from now-for to now must be in bounds (a range query)."),
			providers.Optional("step", cty.String, cty.NilVal, "Resolution of the range query, with for; default the check's interval."),
			providers.Optional("empty", cty.String, cty.StringVal(promEmptyUnknown), "What a result without series means: \"unknown\" (no evidence), \"unhealthy\" or \"healthy\"."),
			providers.Secret(providers.Optional("bearer_token", cty.String, cty.NilVal, "Token sent as Authorization: Bearer TOKEN.")),
			providers.Secret(providers.Optional("basic_auth", cty.Object(map[string]cty.Type{"username": cty.String, "password": cty.String}), cty.NilVal,
				"{ username, password } for HTTP basic authentication.")),
			providers.Optional("ca_file", cty.String, cty.NilVal, "PEM file of CAs to trust instead of the system roots."),
			providers.Optional("headers", cty.Map(cty.String), cty.NilVal, "Request headers."),
		},
		Validate: validatePrometheus,
		NewCheck: newPrometheusCheck,
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

// validatePrometheus is the prometheus kind's validation, shared by the
// policy language and the constructor: everything but ca_file, which is
// read from disk when the check is built.
func validatePrometheus(v cty.Value) []providers.Problem {
	p := providers.URLProblem(v, "address", "http", "https")
	if s, ok := providers.StringAttr(v, "address"); ok && len(p) == 0 {
		if u, err := url.Parse(s); err == nil && (u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "") {
			p = append(p, providers.Problem{Attr: "address", Summary: "Invalid address",
				Detail: "address is a base URL: no user info (use basic_auth), query string or fragment."})
		}
	}
	p = append(p, providers.NotBlank(v, "query")...)
	lo, okLo := numberAttr(v, "min")
	hi, okHi := numberAttr(v, "max")
	for _, b := range []struct {
		attr string
		f    float64
		ok   bool
	}{{"min", lo, okLo}, {"max", hi, okHi}} {
		if b.ok && (math.IsInf(b.f, 0) || math.IsNaN(b.f)) {
			p = append(p, providers.Problem{Attr: b.attr, Summary: "Invalid " + b.attr, Detail: b.attr + " must be a finite number."})
		}
	}
	if okLo && okHi && lo > hi {
		p = append(p, providers.Problem{Attr: "max", Summary: "Invalid max", Detail: "max must not be below min."})
	}
	if unmarkedAttr(v, "min").IsNull() && unmarkedAttr(v, "max").IsNull() {
		p = append(p, providers.Problem{Summary: "Missing bounds",
			Detail: "A prometheus check needs min, max or both: the bounds a healthy value stays within."})
	}
	window, okFor, pf := promDuration(v, "for")
	p = append(p, pf...)
	step, okStep, ps := promDuration(v, "step")
	p = append(p, ps...)
	if !unmarkedAttr(v, "step").IsNull() && unmarkedAttr(v, "for").IsNull() {
		p = append(p, providers.Problem{Attr: "step", Summary: "Invalid step",
			Detail: "step is the resolution of the range query over for; set for, or remove step."})
	}
	if okFor && okStep {
		switch {
		case step > window:
			p = append(p, providers.Problem{Attr: "step", Summary: "Invalid step", Detail: "step must not be longer than for."})
		case window/step > promMaxPoints:
			p = append(p, providers.Problem{Attr: "step", Summary: "Invalid step",
				Detail: fmt.Sprintf("for / step must be at most %d (Prometheus refuses more points per series); make step longer.", promMaxPoints)})
		}
	}
	p = append(p, providers.OneOf(v, "empty", promEmptyUnknown, promEmptyUnhealthy, promEmptyHealthy)...)
	if tok, ok := providers.StringAttr(v, "bearer_token"); ok && (strings.TrimSpace(tok) == "" || strings.ContainsAny(tok, "\r\n\x00")) {
		p = append(p, providers.Problem{Attr: "bearer_token", Summary: "Invalid bearer_token",
			Detail: "bearer_token must not be blank or contain a line break or NUL."})
	}
	if ba := unmarkedAttr(v, "basic_auth"); !ba.IsNull() && ba.IsWhollyKnown() && ba.Type().IsObjectType() &&
		ba.Type().HasAttribute("username") && ba.Type().HasAttribute("password") {
		user, pass := ba.GetAttr("username"), ba.GetAttr("password")
		switch {
		case user.IsNull() || pass.IsNull():
			p = append(p, providers.Problem{Attr: "basic_auth", Summary: "Invalid basic_auth", Detail: "basic_auth needs a username and a password."})
		case user.AsString() == "" || strings.ContainsAny(user.AsString(), ":\r\n\x00"):
			p = append(p, providers.Problem{Attr: "basic_auth", Summary: "Invalid basic_auth",
				Detail: "basic_auth's username must not be empty or contain a colon, a line break or NUL."})
		}
	}
	if providers.IsSet(v, "bearer_token") && providers.IsSet(v, "basic_auth") {
		p = append(p, providers.Problem{Attr: "basic_auth", Summary: "Conflicting authentication",
			Detail: "Set bearer_token or basic_auth, not both."})
	}
	if m, ok := stringMap(v, "headers"); ok && (providers.IsSet(v, "bearer_token") || providers.IsSet(v, "basic_auth")) {
		for k := range m {
			if strings.EqualFold(k, "Authorization") {
				p = append(p, providers.Problem{Attr: "headers", Summary: "Conflicting authentication",
					Detail: "headers sets Authorization, and so does bearer_token or basic_auth; keep one."})
			}
		}
	}
	// Only header problems quote anything (a header's name): every other
	// Detail here is fixed text, kept whole even for a marked attribute.
	p = append(p, providers.HideMarked(v, headerProblems(v))...)
	if f, ok := providers.StringAttr(v, "ca_file"); ok && (strings.TrimSpace(f) == "" || strings.ContainsRune(f, 0)) {
		p = append(p, providers.Problem{Attr: "ca_file", Summary: "Invalid ca_file", Detail: "ca_file must be a file name."})
	}
	return p
}

// promDuration parses a duration attribute of the prometheus kind: set
// (ok) and positive, or a Problem. Its Detail never quotes the value.
func promDuration(v cty.Value, attr string) (time.Duration, bool, []providers.Problem) {
	s, ok := providers.StringAttr(v, attr)
	if !ok {
		return 0, false, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, false, []providers.Problem{{Attr: attr, Summary: "Invalid " + attr,
			Detail: attr + " must be a positive duration such as \"90s\", \"10m\" or \"1h30m\"."}}
	}
	return d, true, nil
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
