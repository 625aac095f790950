package main

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/fbctl/fbctl/internal/testenv"
)

// dnsZone is the zone setupDNS serves. www starts with the secondary's
// four addresses (all traffic on the secondary); the primary's are
// 192.0.2.11-14. The other records are there to prove they stay as they
// are.
const dnsZone = "example.test"

const dnsZoneRecords = `
www   60 IN A     198.51.100.11
www   60 IN A     198.51.100.12
www   60 IN A     198.51.100.13
www   60 IN A     198.51.100.14
www   60 IN AAAA  2001:db8::1
www   60 IN TXT   "not fbctl's"
api   60 IN A     198.51.100.11
@     60 IN MX    10 mail
mail  60 IN A     192.0.2.25
`

type dnsKey struct{}

// setupDNS starts, for a script named dns_*, a real BIND serving dnsZone
// (TSIG-signed updates and transfers) and two HTTP backends, stopped when
// the script ends, and exports BIND_ADDR, TSIG_KEY_NAME, TSIG_KEY (base64;
// TSIG_KEY_RE is it quoted for a regular expression), ZONE, PRIMARY_URL
// and SECONDARY_URL. Its command:
//
//	dnsanswer NAME TYPE   print the answers BIND gives to NAME TYPE, sorted,
//	                      one a line (for A and AAAA the address, for CNAME
//	                      the target), or the rcode when it is not NOERROR;
//	                      TYPE AXFR prints the zone NAME by a signed transfer,
//	                      SOA left out, one record a line, sorted
func setupDNS(env *testscript.Env) error {
	t, ok := env.T().(testing.TB)
	if !ok {
		return fmt.Errorf("testscript's T is a %T, not a testing.TB", env.T())
	}
	if !strings.HasPrefix(path.Base(t.Name()), "dns_") {
		return nil
	}
	b := testenv.StartBIND(t, testenv.BINDConfig{Zones: []testenv.BINDZone{{Name: dnsZone, Records: dnsZoneRecords}}})
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	for k, v := range map[string]string{
		"BIND_ADDR": b.Addr, "TSIG_KEY_NAME": b.KeyName, "TSIG_KEY": b.KeySecret,
		"TSIG_KEY_RE": regexp.QuoteMeta(b.KeySecret), "ZONE": dnsZone,
		"PRIMARY_URL": be[0].URL, "SECONDARY_URL": be[1].URL,
	} {
		env.Setenv(k, v)
	}
	env.Values[dnsKey{}] = &dnsEnv{t: t, bind: b}
	return nil
}

type dnsEnv struct {
	t    testing.TB
	bind *testenv.BIND
}

// cmdDNSAnswer prints what BIND answers, independently of fbctl.
func cmdDNSAnswer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: dnsanswer NAME TYPE")
	}
	e, _ := ts.Value(dnsKey{}).(*dnsEnv)
	if e == nil {
		ts.Fatalf("dnsanswer: only dns_* scripts have a BIND")
	}
	tb := scriptTB{e.t, ts}
	typ := strings.ToUpper(args[1])
	if typ == "AXFR" {
		for _, r := range e.bind.Records(tb, args[0]) {
			fmt.Fprintln(ts.Stdout(), strings.Join(strings.Fields(r), " "))
		}
		return
	}
	qtype, ok := dns.StringToType[typ]
	if !ok {
		ts.Fatalf("dnsanswer: unknown type %q", args[1])
	}
	rrs, rcode := e.bind.Query(tb, args[0], qtype)
	if rcode != dns.RcodeSuccess {
		fmt.Fprintln(ts.Stdout(), dns.RcodeToString[rcode])
		return
	}
	out := testenv.RRData(rrs)
	sort.Strings(out)
	for _, a := range out {
		fmt.Fprintln(ts.Stdout(), a)
	}
}
