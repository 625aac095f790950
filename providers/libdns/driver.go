package libdns

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/libdns/cloudflare"
	"github.com/libdns/libdns"
	"github.com/libdns/rfc2136"
	"github.com/miekg/dns"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// Provider is the subset of the libdns interfaces fbctl uses: read a whole
// zone, replace whole RRsets. Every driver's provider type implements it.
type Provider interface {
	libdns.RecordGetter
	libdns.RecordSetter
}

// Client is one provider block's driver, ready to use.
type Client struct {
	// Provider is the libdns provider the driver built.
	Provider Provider
	// Driver is the driver's name.
	Driver string
	// Endpoint names where the zone lives, for messages and for
	// serializing writes: "server 127.0.0.1:53", "the Cloudflare API".
	// It never holds a secret.
	Endpoint string
	// identity is Endpoint before any redaction: what locks and caches are
	// keyed on, never printed.
	identity string
	// Diagnose, when set, explains a failed call on zone in the terms of
	// the driver (a rejected key, a zone the server does not serve). It
	// returns err unchanged when it has nothing to add. It may ask the
	// server within ctx.
	Diagnose func(ctx context.Context, zone string, err error) error
	// Replace, when set, replaces the RRset old (as read) with new for a
	// driver whose SetRecords does not replace whole RRsets. When nil,
	// SetRecords(new) does, atomically at the server (rfc2136: one UPDATE
	// that deletes the RRset and adds the new records).
	Replace func(ctx context.Context, zone string, old, new []libdns.Record) error
}

// replaceByDiff replaces an RRset through a driver whose SetRecords matches
// records by name and type only (libdns/cloudflare v0.2.1 updates one
// record in place and refuses an RRset of several): it adds the values
// new has and old lacks, then deletes the values old has and new lacks.
// Adding first keeps the RRset from ever being empty; the replacement is
// not atomic, and a failure in between leaves both sides' values, which
// the next run reads as a share and converges from. A kept value keeps its
// TTL.
func replaceByDiff(p interface {
	libdns.RecordAppender
	libdns.RecordDeleter
}) func(ctx context.Context, zone string, old, new []libdns.Record) error {
	return func(ctx context.Context, zone string, old, new []libdns.Record) error {
		key := func(r libdns.Record) string { rr := r.RR(); return rr.Type + " " + rr.Data }
		have, want := map[string]bool{}, map[string]bool{}
		for _, r := range old {
			have[key(r)] = true
		}
		for _, r := range new {
			want[key(r)] = true
		}
		var add, del []libdns.Record
		for _, r := range new {
			if !have[key(r)] {
				add = append(add, r)
			}
		}
		for _, r := range old {
			if !want[key(r)] {
				del = append(del, r)
			}
		}
		if len(add) > 0 {
			if _, err := p.AppendRecords(ctx, zone, add); err != nil {
				return fmt.Errorf("adding %d records: %w", len(add), err)
			}
		}
		if len(del) > 0 {
			if _, err := p.DeleteRecords(ctx, zone, del); err != nil {
				return fmt.Errorf("deleting %d records (the new ones were added): %w", len(del), err)
			}
		}
		return nil
	}
}

// rfc2136Algs are the TSIG algorithms the rfc2136 driver (through
// miekg/dns) can sign with.
var rfc2136Algs = []string{"hmac-sha256", "hmac-sha512", "hmac-sha384", "hmac-sha224", "hmac-sha1"}

// checkRFC2136 checks the rfc2136 settings; the key (a secret) only when
// withSecret is set. Its errors never quote a setting.
func checkRFC2136(cfg map[string]string, withSecret bool) (alg string, err error) {
	host, port, err := net.SplitHostPort(cfg["server"])
	if err != nil || host == "" {
		return "", errors.New("server must be host:port, e.g. ns1.example.net:53")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", errors.New("server's port must be a number between 1 and 65535")
	}
	keyName := cfg["key_name"]
	if _, ok := dns.IsDomainName(keyName); !ok || keyName == "" || keyName == "." {
		return "", errors.New("key_name must be the TSIG key's name, a domain name such as fbctl-key")
	}
	if withSecret {
		if raw, err := base64.StdEncoding.DecodeString(cfg["key"]); err != nil || len(raw) == 0 {
			return "", errors.New("key must be the TSIG key's secret in base64 (the secret line of tsig-keygen's output)")
		}
	}
	alg = strings.ToLower(strings.TrimSuffix(cfg["key_alg"], "."))
	if alg == "" {
		alg = "hmac-sha256"
	}
	if !slices.Contains(rfc2136Algs, alg) {
		return "", fmt.Errorf("key_alg must be one of %s", strings.Join(rfc2136Algs, ", "))
	}
	return alg, nil
}

// newRFC2136 builds the rfc2136 driver: dynamic updates (RFC 2136) and
// zone transfers (AXFR), both TSIG-signed, over TCP to one server.
func newRFC2136(cfg map[string]string) (*Client, error) {
	alg, err := checkRFC2136(cfg, true)
	if err != nil {
		return nil, err
	}
	server, keyName, key := cfg["server"], cfg["key_name"], cfg["key"]
	p := &rfc2136.Provider{KeyName: keyName, KeyAlg: alg, Key: key, Server: server}
	return &Client{
		Provider: p,
		Driver:   "rfc2136",
		Endpoint: "server " + server,
		Diagnose: func(ctx context.Context, zone string, err error) error {
			return diagnoseRFC2136(ctx, server, keyName, zone, err)
		},
	}, nil
}

// newCloudflare builds the cloudflare driver. It is constructed and
// validated here, but fbctl's tests cannot reach Cloudflare (they run
// without network), so its behaviour is the libdns/cloudflare package's.
func newCloudflare(cfg map[string]string) (*Client, error) {
	if strings.TrimSpace(cfg["api_token"]) == "" {
		return nil, errors.New("api_token must be a Cloudflare API token with Zone.DNS:Edit")
	}
	p := &cloudflare.Provider{APIToken: cfg["api_token"], ZoneToken: cfg["zone_token"]}
	return &Client{
		Provider: p,
		Driver:   "cloudflare",
		Endpoint: "the Cloudflare API",
		// Its SetRecords matches by name and type only: see replaceByDiff.
		Replace: replaceByDiff(p),
	}, nil
}

// diagnoseRFC2136 explains a failed AXFR or UPDATE, and classifies it
// (providers.ErrorClass): a refused connection or a time-out is
// Transient; a zone the server does not serve, a rejected TSIG key and
// an update or transfer the zone's policy refuses are Fatal, whatever
// the transport said on the way. miekg/dns reports a wrong key, key name
// or algorithm, and a zone the server does not serve, all as "bad
// authentication" (the server's NOTAUTH answer is not signed with our
// key), so it asks the server, unsigned, for the zone's SOA: an
// authoritative answer means the zone is served and the key is at fault.
func diagnoseRFC2136(ctx context.Context, server, keyName, zone string, err error) error {
	switch {
	case err == nil, ctx.Err() != nil:
		return err
	case errors.Is(err, syscall.ECONNREFUSED):
		return providers.TransientError(fmt.Errorf("the server is not reachable (connection refused): %w", err))
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		// The driver's own time-out: ctx is not done.
		return providers.TransientError(fmt.Errorf("the server did not answer in time: %w", err))
	}
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(zone), dns.TypeSOA)
	m.RecursionDesired = false
	c := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
	r, _, qerr := c.ExchangeContext(qctx, m, server)
	if qerr != nil {
		return err
	}
	served := r.Rcode == dns.RcodeSuccess && r.Authoritative && hasSOA(r.Answer, zone)
	auth := errors.Is(err, dns.ErrAuth) || errors.Is(err, dns.ErrSig) || errors.Is(err, dns.ErrKeyAlg) || errors.Is(err, dns.ErrKey) ||
		strings.Contains(err.Error(), "NOTAUTH") || strings.Contains(err.Error(), "rcode: 9")
	switch {
	case !served:
		rc := dns.RcodeToString[r.Rcode]
		if r.Rcode == dns.RcodeSuccess {
			rc = "a non-authoritative answer"
		}
		return providers.FatalError(fmt.Errorf("the server does not serve the zone (its SOA query gets %s): %w", rc, err))
	case auth:
		return providers.FatalError(fmt.Errorf("the server serves the zone but rejected the TSIG key %q (NOTAUTH: BADKEY or BADSIG): check key_name, key and key_alg, and that the zone's update-policy and allow-transfer name the key: %w", dns.Fqdn(keyName), err))
	case strings.Contains(err.Error(), "xfr rcode: 5"):
		return providers.FatalError(fmt.Errorf("the server refused the zone transfer (REFUSED): the zone's allow-transfer must list the key %q: %w", dns.Fqdn(keyName), err))
	case strings.Contains(err.Error(), "REFUSED"):
		return providers.FatalError(fmt.Errorf("the server refused the update (REFUSED): the zone's update-policy must grant the key %q this RRset (grant %s name NAME TYPE; or zonesub ANY): %w", dns.Fqdn(keyName), dns.Fqdn(keyName), err))
	}
	return err
}

func hasSOA(rrs []dns.RR, zone string) bool {
	for _, rr := range rrs {
		if rr.Header().Rrtype == dns.TypeSOA && strings.EqualFold(rr.Header().Name, dns.Fqdn(zone)) {
			return true
		}
	}
	return false
}

// providerConfig is a decoded `provider "libdns"` block.
type providerConfig struct {
	addr   string // "libdns.NAME", for messages
	driver Driver
	config map[string]string
	red    *providers.Redactor
}

// decodeProvider reads a libdns provider block. The driver's secret
// settings (Driver.Secrets) and every setting that is sensitive on its own
// (from a sensitive variable) go into the Redactor; the others (a server
// address, a key name) may be named in errors, which need them to be clear.
func decodeProvider(p *providers.ProviderConfig) (*providerConfig, error) {
	if p == nil {
		return nil, errors.New("a dns_rrset target needs a libdns provider block (provider = libdns.NAME)")
	}
	out := &providerConfig{addr: p.Type + "." + p.Name, red: &providers.Redactor{}, config: map[string]string{}}
	if p.Type != ProviderType {
		return nil, fmt.Errorf("provider %s is not a %s provider", out.addr, ProviderType)
	}
	obj := p.Attrs
	if obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() ||
		!obj.Type().HasAttribute("driver") || !obj.Type().HasAttribute("config") {
		return nil, fmt.Errorf("provider %s: the attributes are not a known object with driver and config", out.addr)
	}
	dv := obj.GetAttr("driver")
	driverName, dMarked := dv.UnmarkDeep()
	if driverName.IsNull() || !driverName.IsKnown() || driverName.Type() != cty.String {
		return nil, fmt.Errorf("provider %s: driver must be a known string", out.addr)
	}
	d, ok := driver(driverName.AsString())
	if !ok {
		if len(dMarked) > 0 {
			return nil, fmt.Errorf("provider %s: unknown libdns driver (the name is sensitive); known drivers: %s", out.addr, driverNames())
		}
		return nil, fmt.Errorf("provider %s: unknown libdns driver %q; known drivers: %s", out.addr, driverName.AsString(), driverNames())
	}
	out.driver = d
	cfg, _ := obj.GetAttr("config").Unmark() // the map as a whole is always marked
	if cfg.IsNull() {
		return out, nil
	}
	if !cfg.IsWhollyKnown() || !cfg.CanIterateElements() {
		return nil, fmt.Errorf("provider %s: config must be a known map of strings", out.addr)
	}
	secret := map[string]bool{}
	for _, k := range d.Secrets {
		secret[k] = true
	}
	for it := cfg.ElementIterator(); it.Next(); {
		k, v := it.Element()
		raw, marks := v.UnmarkDeep()
		kr, _ := k.UnmarkDeep()
		if raw.IsNull() || raw.Type() != cty.String || kr.Type() != cty.String {
			return nil, fmt.Errorf("provider %s: config must be a map of strings", out.addr)
		}
		out.config[kr.AsString()] = raw.AsString()
		// A blank value hides nothing, and redacting it would blank out
		// every space of a message.
		if (secret[kr.AsString()] || len(marks) > 0) && strings.TrimSpace(raw.AsString()) != "" {
			out.red.Add(raw.AsString())
			if kr.AsString() == "server" {
				out.red.AddHostPort(raw.AsString())
			}
		}
	}
	return out, nil
}

// client builds the driver's Client.
func (pc *providerConfig) client() (*Client, error) {
	c, err := pc.driver.New(pc.config)
	if err != nil {
		return nil, pc.red.Hide(fmt.Errorf("provider %s (libdns %s): %w", pc.addr, pc.driver.Name, err))
	}
	c.identity = strings.ToLower(c.Endpoint)
	if pc.red.IsSecret(pc.config["server"]) {
		c.Endpoint = "server " + providers.Redacted
	}
	return c, nil
}
