package health

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/fbctl/fbctl/providers"
)

// dnsUDPSize is the EDNS0 buffer size advertised: the DNS flag day 2020
// value, which avoids IP fragmentation. Larger answers come back truncated
// and are asked again over TCP.
const dnsUDPSize = 1232

// dnsCheck is the dns check kind.
type dnsCheck struct {
	name    string // fully qualified
	qtype   uint16
	tname   string // "A", for Detail
	server  string
	expect  []string // normalised, see normExpect
	raw     []string // as written, for Detail
	hideRaw bool     // expect is sensitive: never list values
	timeout time.Duration
	red     *providers.Redactor
}

// newDNSCheck is the dns kind's CheckFactory.
func newDNSCheck(cfg providers.Config) (providers.Check, error) {
	a, err := readAttrs("dns", cfg)
	if err != nil {
		return nil, err
	}
	c, err := buildDNSCheck(a, cfg)
	if err != nil {
		return nil, a.wrap(cfg.Name, err)
	}
	return c, nil
}

func buildDNSCheck(a *attrs, cfg providers.Config) (*dnsCheck, error) {
	// validateDNS has judged the block already (see buildHTTPCheck).
	c := &dnsCheck{timeout: cfg.Timeout, red: a.red, hideRaw: a.marked["expect"]}
	name, err := a.requireStr("name")
	if err != nil {
		return nil, err
	}
	if _, ok := dns.IsDomainName(name); !ok {
		return nil, fmt.Errorf("name %q is not a valid domain name", name)
	}
	c.name = dns.Fqdn(name)
	if a.marked["name"] {
		a.red.Add(c.name, strings.TrimSuffix(c.name, "."))
	}

	c.tname = "A"
	if t, ok := a.str("type"); ok {
		c.tname = strings.ToUpper(t)
	}
	qt, ok := dns.StringToType[c.tname]
	if !ok {
		return nil, fmt.Errorf("type %q is not a DNS record type", c.tname)
	}
	c.qtype = qt

	if c.server, err = a.requireStr("server"); err != nil {
		return nil, err
	}
	if err := checkHostPort("server", c.server); err != nil {
		return nil, err
	}
	if a.marked["server"] {
		a.red.AddHostPort(c.server)
	}

	raw, err := a.strList("expect")
	if err != nil {
		return nil, err
	}
	for _, e := range raw {
		n, err := normExpect(c.qtype, e)
		if err != nil {
			return nil, fmt.Errorf("expect: %v", err)
		}
		c.expect = append(c.expect, n)
		c.raw = append(c.raw, e)
	}
	return c, nil
}

// Probe asks the server once over UDP (again over TCP when the answer is
// truncated) and judges the answer.
func (c *dnsCheck) Probe(ctx context.Context) (res providers.Result) {
	start := time.Now()
	defer finishProbe(c.red, start, &res)

	pctx, cancel := probeContext(ctx, c.timeout)
	defer cancel()
	q := fmt.Sprintf("%s %s", c.name, c.tname)

	m := new(dns.Msg)
	m.SetQuestion(c.name, c.qtype)
	m.RecursionDesired = true
	m.SetEdns0(dnsUDPSize, false)

	resp, err := c.exchange(pctx, m, "udp")
	if err == nil && resp.Truncated {
		resp, err = c.exchange(pctx, m, "tcp")
	}
	lat := time.Since(start)
	if err != nil {
		return providers.Result{Healthy: false, Latency: lat, Detail: q + ": " + failure(ctx, pctx, c.timeout, err)}
	}
	if resp.Rcode != dns.RcodeSuccess {
		rc, ok := dns.RcodeToString[resp.Rcode]
		if !ok {
			rc = "rcode " + strconv.Itoa(resp.Rcode)
		}
		return providers.Result{Healthy: false, Latency: lat, Detail: q + ": " + rc}
	}

	var got []dns.RR
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype == c.qtype {
			got = append(got, rr)
		}
	}
	if len(got) == 0 {
		return providers.Result{Healthy: false, Latency: lat, Detail: fmt.Sprintf("%s: no %s record in the answer", q, c.tname)}
	}
	shown := make([]string, len(got))
	for i, rr := range got {
		shown[i] = rdata(rr)
	}

	var missing []string
	for i, want := range c.expect {
		if !answerHas(got, want) {
			missing = append(missing, c.raw[i])
		}
	}
	if len(missing) > 0 {
		if c.hideRaw {
			return providers.Result{Healthy: false, Latency: lat,
				Detail: fmt.Sprintf("%s: answer lacks %d of the expected records", q, len(missing))}
		}
		return providers.Result{Healthy: false, Latency: lat,
			Detail: fmt.Sprintf("%s: answer lacks %s (got %s)", q, strings.Join(missing, ", "), summary(shown))}
	}
	if c.hideRaw {
		return providers.Result{Healthy: true, Latency: lat, Detail: fmt.Sprintf("%s: %d records, every expected one present", q, len(got))}
	}
	return providers.Result{Healthy: true, Latency: lat, Detail: q + ": " + summary(shown)}
}

// exchange sends m over the given network. It honours the cancellation of
// ctx, not only its deadline, by closing the connection.
func (c *dnsCheck) exchange(ctx context.Context, m *dns.Msg, network string) (*dns.Msg, error) {
	client := &dns.Client{Net: network, Timeout: c.timeout, UDPSize: dnsUDPSize}
	co, err := client.DialContext(ctx, c.server)
	if err != nil {
		return nil, err
	}
	defer co.Close()
	stop := context.AfterFunc(ctx, func() { _ = co.Close() })
	defer stop()
	r, _, err := client.ExchangeWithConnContext(ctx, m, co)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("empty response")
	}
	return r, nil
}

// summary lists at most a few values for a Detail.
func summary(vals []string) string {
	const most = 5
	out := make([]string, 0, most)
	for i, v := range vals {
		if i == most {
			out = append(out, fmt.Sprintf("and %d more", len(vals)-most))
			break
		}
		if len(v) > 80 {
			v = v[:77] + "..."
		}
		out = append(out, v)
	}
	return strings.Join(out, ", ")
}

// rdata is a record's data in presentation format, without its header.
func rdata(rr dns.RR) string {
	switch r := rr.(type) {
	case *dns.A:
		return r.A.String()
	case *dns.AAAA:
		return r.AAAA.String()
	}
	return strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String()))
}

// normName is a domain name lower-cased and fully qualified.
func normName(s string) string { return strings.ToLower(dns.Fqdn(s)) }

// normFields lower-cases and collapses white space.
func normFields(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// normExpect normalises an expected value of a record of type t so that it
// compares equal to one of the forms answerForms gives a matching record:
//   - A, AAAA: an IP address (compared as an address);
//   - CNAME, NS, PTR: a name, case-insensitive, trailing dot optional;
//   - MX: "exchange" or "preference exchange";
//   - SRV: "target" or "priority weight port target";
//   - SOA: "mname" or the whole record data;
//   - TXT: the record's strings joined, compared exactly;
//   - CAA: the value, or "flag tag value".
func normExpect(t uint16, s string) (string, error) {
	switch t {
	case dns.TypeA, dns.TypeAAAA:
		ip, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return "", fmt.Errorf("%q is not an IP address", s)
		}
		ip = ip.Unmap()
		if t == dns.TypeA && !ip.Is4() {
			return "", fmt.Errorf("%q is not an IPv4 address", s)
		}
		if t == dns.TypeAAAA && ip.Is4() {
			return "", fmt.Errorf("%q is not an IPv6 address", s)
		}
		return ip.String(), nil
	case dns.TypeCNAME, dns.TypeNS, dns.TypePTR:
		return normName(strings.TrimSpace(s)), nil
	case dns.TypeMX, dns.TypeSRV, dns.TypeSOA:
		f := strings.Fields(s)
		if len(f) == 0 {
			return "", errors.New("empty value")
		}
		if len(f) == 1 {
			return normName(f[0]), nil
		}
		switch t {
		case dns.TypeMX:
			if len(f) == 2 {
				return f[0] + " " + normName(f[1]), nil
			}
		case dns.TypeSRV:
			if len(f) == 4 {
				return strings.Join(f[:3], " ") + " " + normName(f[3]), nil
			}
		case dns.TypeSOA:
			if len(f) == 7 {
				return normName(f[0]) + " " + normName(f[1]) + " " + strings.Join(f[2:], " "), nil
			}
		}
		return "", fmt.Errorf("%q is not a valid %s value", s, dns.TypeToString[t])
	case dns.TypeTXT:
		return s, nil
	case dns.TypeCAA:
		f := strings.Fields(s)
		if len(f) >= 3 {
			return f[0] + " " + strings.ToLower(f[1]) + " " + strings.Trim(strings.Join(f[2:], " "), `"`), nil
		}
		return strings.Trim(s, `"`), nil
	}
	return normFields(s), nil
}

// answerForms gives the normalised forms an expected value may take to
// match rr (see normExpect).
func answerForms(rr dns.RR) []string {
	switch r := rr.(type) {
	case *dns.A:
		if ip, ok := netip.AddrFromSlice(r.A); ok {
			return []string{ip.Unmap().String()}
		}
	case *dns.AAAA:
		if ip, ok := netip.AddrFromSlice(r.AAAA); ok {
			return []string{ip.String()}
		}
	case *dns.CNAME:
		return []string{normName(r.Target)}
	case *dns.NS:
		return []string{normName(r.Ns)}
	case *dns.PTR:
		return []string{normName(r.Ptr)}
	case *dns.MX:
		return []string{normName(r.Mx), fmt.Sprintf("%d %s", r.Preference, normName(r.Mx))}
	case *dns.SRV:
		return []string{normName(r.Target), fmt.Sprintf("%d %d %d %s", r.Priority, r.Weight, r.Port, normName(r.Target))}
	case *dns.SOA:
		return []string{normName(r.Ns), fmt.Sprintf("%s %s %d %d %d %d %d",
			normName(r.Ns), normName(r.Mbox), r.Serial, r.Refresh, r.Retry, r.Expire, r.Minttl)}
	case *dns.TXT:
		return []string{strings.Join(r.Txt, "")}
	case *dns.CAA:
		return []string{r.Value, fmt.Sprintf("%d %s %s", r.Flag, strings.ToLower(r.Tag), r.Value)}
	}
	return []string{normFields(rdata(rr))}
}

func answerHas(rrs []dns.RR, want string) bool {
	for _, rr := range rrs {
		for _, f := range answerForms(rr) {
			if f == want {
				return true
			}
		}
	}
	return false
}
