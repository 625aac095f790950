package route53sim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RecordSet is one resource record set as the Route 53 API models it
// (ResourceRecordSet). Pointer fields distinguish "absent" from a zero
// value, as on the wire: Weight 0 is a weight, a nil Weight is none.
//
// Names are kept in the form the API answers with: lower case, trailing
// dot, and every character other than a-z, 0-9, '-' and '_' escaped as
// \ooo (so "*.example.com" is "\052.example.com.").
type RecordSet struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	SetIdentifier string `json:"set_identifier,omitempty"`
	// Routing policy. A set with a SetIdentifier has exactly one of these.
	Weight               *int64                `json:"weight,omitempty"`
	Region               string                `json:"region,omitempty"`
	GeoLocation          *GeoLocation          `json:"geo_location,omitempty"`
	Failover             string                `json:"failover,omitempty"`
	MultiValueAnswer     *bool                 `json:"multi_value_answer,omitempty"`
	CidrRoutingConfig    *CidrRoutingConfig    `json:"cidr_routing_config,omitempty"`
	GeoProximityLocation *GeoProximityLocation `json:"geo_proximity_location,omitempty"`

	TTL                     *int64       `json:"ttl,omitempty"`
	ResourceRecords         []string     `json:"resource_records,omitempty"`
	AliasTarget             *AliasTarget `json:"alias_target,omitempty"`
	HealthCheckId           string       `json:"health_check_id,omitempty"`
	TrafficPolicyInstanceId string       `json:"traffic_policy_instance_id,omitempty"`
}

// AliasTarget is the target of an alias record.
type AliasTarget struct {
	HostedZoneId         string `json:"hosted_zone_id"`
	DNSName              string `json:"dns_name"`
	EvaluateTargetHealth bool   `json:"evaluate_target_health"`
}

// GeoLocation is a geolocation routing policy, kept as opaque codes.
type GeoLocation struct {
	ContinentCode   string `json:"continent_code,omitempty"`
	CountryCode     string `json:"country_code,omitempty"`
	SubdivisionCode string `json:"subdivision_code,omitempty"`
}

// CidrRoutingConfig is an IP-based routing policy, kept opaque.
type CidrRoutingConfig struct {
	CollectionId string `json:"collection_id"`
	LocationName string `json:"location_name"`
}

// GeoProximityLocation is a geoproximity routing policy, kept opaque.
type GeoProximityLocation struct {
	AWSRegion      string `json:"aws_region,omitempty"`
	LocalZoneGroup string `json:"local_zone_group,omitempty"`
	Latitude       string `json:"latitude,omitempty"`
	Longitude      string `json:"longitude,omitempty"`
	Bias           *int64 `json:"bias,omitempty"`
}

// CheckerStatus is one Route 53 health checker's last observation, as
// GetHealthCheckStatus reports it.
type CheckerStatus struct {
	Region    string `json:"region"`
	IPAddress string `json:"ip_address,omitempty"`
	// Status is the StatusReport text; Route 53 starts it with "Success:"
	// or "Failure:" (e.g. "Success: HTTP Status Code 200, OK").
	Status string `json:"status"`
	// CheckedTime defaults to Options.Now() when zero.
	CheckedTime time.Time `json:"checked_time,omitzero"`
}

// Healthy reports whether the observation is a success.
func (c CheckerStatus) Healthy() bool { return strings.HasPrefix(c.Status, "Success") }

// checkerRegions are the health checker regions Route 53 uses by default.
var checkerRegions = []string{
	"us-east-1", "us-west-1", "us-west-2", "eu-west-1",
	"ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1",
}

// Checkers returns healthy successful and unhealthy failed observations,
// spread over Route 53's checker regions with documentation addresses.
func Checkers(healthy, unhealthy int) []CheckerStatus {
	out := make([]CheckerStatus, 0, healthy+unhealthy)
	for i := 0; i < healthy+unhealthy; i++ {
		st := "Success: HTTP Status Code 200, OK"
		if i >= healthy {
			st = "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall."
		}
		out = append(out, CheckerStatus{
			Region:    checkerRegions[i%len(checkerRegions)],
			IPAddress: fmt.Sprintf("15.177.%d.%d", i/250, i%250+1),
			Status:    st,
		})
	}
	return out
}

// clone returns a deep copy.
func (r RecordSet) clone() RecordSet {
	c := r
	c.Weight = clonePtr(r.Weight)
	c.TTL = clonePtr(r.TTL)
	c.MultiValueAnswer = clonePtr(r.MultiValueAnswer)
	if r.ResourceRecords != nil {
		c.ResourceRecords = append([]string(nil), r.ResourceRecords...)
	}
	if r.AliasTarget != nil {
		a := *r.AliasTarget
		c.AliasTarget = &a
	}
	if r.GeoLocation != nil {
		g := *r.GeoLocation
		c.GeoLocation = &g
	}
	if r.CidrRoutingConfig != nil {
		x := *r.CidrRoutingConfig
		c.CidrRoutingConfig = &x
	}
	if r.GeoProximityLocation != nil {
		g := *r.GeoProximityLocation
		g.Bias = clonePtr(g.Bias)
		c.GeoProximityLocation = &g
	}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// policy names the routing policy of a set: "simple" for a set without a
// SetIdentifier.
func (r *RecordSet) policy() string {
	switch {
	case r.SetIdentifier == "":
		return "simple"
	case r.Weight != nil:
		return "weighted"
	case r.Failover != "":
		return "failover"
	case r.Region != "":
		return "latency"
	case r.GeoLocation != nil:
		return "geolocation"
	case r.GeoProximityLocation != nil:
		return "geoproximity"
	case r.CidrRoutingConfig != nil:
		return "ip-based"
	case r.MultiValueAnswer != nil:
		return "multivalue"
	}
	return "unknown"
}

// policyFields lists which routing-policy elements a set carries.
func (r *RecordSet) policyFields() []string {
	var f []string
	if r.Weight != nil {
		f = append(f, "Weight")
	}
	if r.Region != "" {
		f = append(f, "Region")
	}
	if r.Failover != "" {
		f = append(f, "Failover")
	}
	if r.GeoLocation != nil {
		f = append(f, "GeoLocation")
	}
	if r.GeoProximityLocation != nil {
		f = append(f, "GeoProximityLocation")
	}
	if r.MultiValueAnswer != nil {
		f = append(f, "MultiValueAnswer")
	}
	if r.CidrRoutingConfig != nil {
		f = append(f, "CidrRoutingConfig")
	}
	return f
}

// key is the identity of a set: (Name, Type, SetIdentifier).
func (r *RecordSet) key() string { return r.Name + "\x00" + r.Type + "\x00" + r.SetIdentifier }

// groupKey is the (Name, Type) group a set belongs to.
func (r *RecordSet) groupKey() string { return r.Name + "\x00" + r.Type }

// describe renders a set the way Route 53 names it in messages.
func (r *RecordSet) describe() string {
	s := fmt.Sprintf("[name='%s', type='%s'", r.Name, r.Type)
	if r.SetIdentifier != "" {
		s += fmt.Sprintf(", set-identifier='%s'", r.SetIdentifier)
	}
	return s + "]"
}

// sameAs reports whether two sets are identical in every field that the
// API compares when it deletes a set: the resource record values are
// compared as a multiset, names case-insensitively.
func sameAs(a, b *RecordSet) bool {
	if a.key() != b.key() || !eqPtr(a.Weight, b.Weight) || !eqPtr(a.TTL, b.TTL) ||
		a.Region != b.Region || a.Failover != b.Failover || !eqPtr(a.MultiValueAnswer, b.MultiValueAnswer) ||
		a.HealthCheckId != b.HealthCheckId || a.TrafficPolicyInstanceId != b.TrafficPolicyInstanceId ||
		!eqPtr(a.GeoLocation, b.GeoLocation) || !eqPtr(a.CidrRoutingConfig, b.CidrRoutingConfig) {
		return false
	}
	if (a.GeoProximityLocation == nil) != (b.GeoProximityLocation == nil) {
		return false
	}
	if g, h := a.GeoProximityLocation, b.GeoProximityLocation; g != nil {
		if g.AWSRegion != h.AWSRegion || g.LocalZoneGroup != h.LocalZoneGroup || g.Latitude != h.Latitude ||
			g.Longitude != h.Longitude || !eqPtr(g.Bias, h.Bias) {
			return false
		}
	}
	if (a.AliasTarget == nil) != (b.AliasTarget == nil) {
		return false
	}
	if x, y := a.AliasTarget, b.AliasTarget; x != nil {
		if x.HostedZoneId != y.HostedZoneId || x.EvaluateTargetHealth != y.EvaluateTargetHealth ||
			!strings.EqualFold(strings.TrimSuffix(x.DNSName, "."), strings.TrimSuffix(y.DNSName, ".")) {
			return false
		}
	}
	if len(a.ResourceRecords) != len(b.ResourceRecords) {
		return false
	}
	av := append([]string(nil), a.ResourceRecords...)
	bv := append([]string(nil), b.ResourceRecords...)
	sort.Strings(av)
	sort.Strings(bv)
	for i := range av {
		if av[i] != bv[i] {
			return false
		}
	}
	return true
}

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// rrTypes is the RRType enumeration of the API.
var rrTypes = map[string]bool{
	"SOA": true, "A": true, "TXT": true, "NS": true, "CNAME": true, "MX": true, "NAPTR": true,
	"PTR": true, "SRV": true, "SPF": true, "AAAA": true, "CAA": true, "DS": true, "TLSA": true,
	"SSHFP": true, "SVCB": true, "HTTPS": true,
}

// normalizeName returns a DNS name in the API's answer form: lower case,
// with a trailing dot, and every byte other than a-z, 0-9, '-', '_' (and
// the dots between labels) escaped as \ooo. Input may use the escapes or
// the characters themselves, with or without the trailing dot.
func normalizeName(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty domain name")
	}
	if s == "." {
		return ".", nil
	}
	raw, err := unescapeName(s)
	if err != nil {
		return "", err
	}
	raw = strings.TrimSuffix(raw, ".")
	if len(raw) > 254 {
		return "", fmt.Errorf("domain name %q is longer than 255 characters", s)
	}
	var b strings.Builder
	for i, label := range strings.Split(raw, ".") {
		if label == "" {
			return "", fmt.Errorf("domain name %q has an empty label", s)
		}
		if len(label) > 63 {
			return "", fmt.Errorf("domain name %q has a label longer than 63 characters", s)
		}
		if i > 0 {
			b.WriteByte('.')
		}
		for j := 0; j < len(label); j++ {
			c := label[j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '-' || c == '_' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "\\%03o", c)
			}
		}
	}
	b.WriteByte('.')
	return b.String(), nil
}

// unescapeName resolves \ooo (octal, as Route 53 writes them) escapes.
// A backslash followed by anything else stands for that character.
func unescapeName(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v, _ := strconv.ParseUint(s[i+1:i+4], 8, 16)
			if v > 255 {
				return "", fmt.Errorf("bad escape in domain name %q", s)
			}
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("domain name %q ends with a backslash", s)
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String(), nil
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

// sortName is the key Route 53 lists names by: the labels reversed, in
// the escaped form it stores, with the trailing dot ("www.example.com." ->
// "com.example.www."), compared as strings. The API reference of
// ListResourceRecordSets and ListHostedZonesByName notes that the trailing
// dot changes the order of names with characters below '.', such as '-':
// "a-b.example.com." sorts before "a.example.com.".
func sortName(wire string) string {
	labels := strings.Split(strings.TrimSuffix(wire, "."), ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".") + "."
}

// inZone reports whether name lies in (or is the apex of) zone.
func inZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}

// compareStart compares a set with a listing position.
func compareStart(a *RecordSet, name, typ, id string) int {
	if c := strings.Compare(sortName(a.Name), name); c != 0 {
		return c
	}
	if c := strings.Compare(a.Type, typ); c != 0 {
		return c
	}
	return strings.Compare(a.SetIdentifier, id)
}
