package libdns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/libdns/libdns"
	"github.com/miekg/dns"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// RRset is the dns_rrset target: one RRset (a name and a type, A, AAAA or
// CNAME) of a zone, reached through a libdns driver.
//
// # Writing the share
//
// Plain DNS has no weights: resolvers and clients spread over the
// addresses of an RRset about evenly, so an RRset of k primary and m
// secondary addresses sends about k/(k+m) of the traffic to the primary.
// Apply writes the composition (first k primary addresses, first m
// secondary ones, in the policy's order, so that a step never reshuffles
// which addresses serve) whose k/(k+m) is closest to the share; see
// [Compose] for the tie rule. 0 % is every secondary address, 100 % every
// primary one. A CNAME points at the primary's target when the share is at
// or above cname_threshold, else at the secondary's.
//
// The RRset is replaced whole with one SetRecords call (for rfc2136 one
// UPDATE that deletes the RRset and adds the new records, atomic at the
// server), or through the driver's Client.Replace where its SetRecords
// does not replace RRsets (cloudflare: add, then delete); no other RRset
// is touched. Its TTL is kept unless the policy
// sets ttl. If the RRset already holds exactly those addresses (as a set)
// with that TTL, Apply writes nothing. An RRset that does not exist is an
// error: fbctl never creates records, so a typo cannot publish a new name.
// Apply then reads the RRset back and returns the share it holds.
//
// # Reading the share
//
// Observe reads the zone with GetRecords (for rfc2136 a TSIG-signed AXFR),
// once per run and zone through the run cache, and keeps the records of the
// name and type. Each address is the primary's, the secondary's, or
// foreign: in neither list. Foreign addresses take their part of the
// traffic, so they count in the denominator: the share is the primary's
// addresses over all addresses of the RRset, which is what resolvers do.
// Foreign lists them for plan and reconcile to report. The target owns the
// whole RRset, so the next Apply that changes it writes the composition
// without them. An RRset that is missing, or that holds no value of either
// side, is an error naming it, for Observe and Apply alike: Apply does not
// overwrite an RRset someone pointed elsewhere entirely.
//
// # Resolution
//
// Resolution is the widest gap between neighbouring shares the
// compositions can deliver (for 1+1 addresses 50 %: 0, 50 and 100 % only;
// for a CNAME 100 %). Deliverable tells, from the policy alone, what a
// share really delivers; plan shows it.
//
// Apply calls of one process on the same zone and server are serialized;
// every method is safe for concurrent use and honours ctx.
type RRset struct {
	name     string
	spec     spec
	client   *Client
	red      *providers.Redactor
	res      providers.Share
	lockKey  string
	cacheKey string
	where    string // "zone Z at server S (libdns D)", for messages
}

var (
	_ providers.Target          = (*RRset)(nil)
	_ providers.Quantizer       = (*RRset)(nil)
	_ providers.ForeignReporter = (*RRset)(nil)
)

// NewTarget builds a dns_rrset target from its block and its libdns
// provider block. It does no I/O.
func NewTarget(cfg providers.Config) (*RRset, error) {
	pc, err := decodeProvider(cfg.Provider)
	if err != nil {
		return nil, fmt.Errorf("dns_rrset %q: %w", cfg.Name, err)
	}
	red := pc.red.Merged(nil)
	markedSecrets(red, cfg.Attrs)
	fail := func(format string, args ...any) error {
		return red.Hide(fmt.Errorf("dns_rrset %q: "+format, append([]any{cfg.Name}, args...)...))
	}
	s, problems, known := parseSpec(cfg.Attrs, false)
	if len(problems) > 0 {
		return nil, fail("%s", strings.TrimSuffix(problems[0].Detail, "."))
	}
	if !known {
		return nil, fail("the attributes are not all known")
	}
	c, err := pc.client()
	if err != nil {
		return nil, fail("%w", err)
	}
	// Keys hold raw identities (never printed), so that two blocks on the
	// same server share the lock even when its address is sensitive.
	ident := c.Driver + "\x00" + c.identity + "\x00" + s.zone
	return &RRset{
		name:     cfg.Name,
		spec:     s,
		client:   c,
		red:      red,
		res:      s.resolution(),
		lockKey:  "libdns\x00" + ident,
		cacheKey: "libdns\x00" + pc.addr + "\x00" + ident,
		where:    fmt.Sprintf("zone %s at %s (libdns %s)", s.zone, c.Endpoint, c.Driver),
	}, nil
}

// markedSecrets adds every sensitive value among the target's attributes
// to red, in the forms messages may show them.
func markedSecrets(red *providers.Redactor, obj cty.Value) {
	if obj.IsNull() || !obj.IsKnown() || !obj.Type().IsObjectType() {
		return
	}
	for _, attr := range []string{"zone", "name", "primary", "secondary"} {
		if !obj.Type().HasAttribute(attr) {
			continue
		}
		v := obj.GetAttr(attr)
		if !v.ContainsMarked() {
			continue
		}
		whole := v.IsMarked()
		v, _ = v.Unmark()
		if !v.IsWhollyKnown() || v.IsNull() {
			continue
		}
		add := func(e cty.Value) {
			raw, _ := e.UnmarkDeep()
			if raw.IsNull() || raw.Type() != cty.String {
				return
			}
			s := raw.AsString()
			if strings.TrimSpace(s) == "" {
				return // hides nothing; redacting it would blank out spaces
			}
			red.Add(s, strings.TrimSuffix(s, "."), dns.Fqdn(s))
			for _, t := range []string{"A", "AAAA", "CNAME"} {
				if n, err := normValue(t, s); err == nil {
					red.Add(n, strings.TrimSuffix(n, "."))
				}
			}
		}
		if v.Type() == cty.String {
			add(v)
			continue
		}
		if v.CanIterateElements() {
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				if whole || e.ContainsMarked() {
					add(e)
				}
			}
		}
	}
}

// Resolution implements providers.Target.
func (t *RRset) Resolution() providers.Share { return t.res }

// Deliverable implements providers.Quantizer.
func (t *RRset) Deliverable(want providers.Share) providers.Share { return t.spec.deliverable(want) }

// Observe implements providers.Target.
func (t *RRset) Observe(ctx context.Context) (providers.Share, error) {
	cur, err := t.read(ctx)
	if err != nil {
		return 0, err
	}
	return t.share(cur)
}

// Foreign implements providers.ForeignReporter: the RRset's addresses (or
// CNAME target) that belong to neither side.
func (t *RRset) Foreign(ctx context.Context) ([]string, error) {
	cur, err := t.read(ctx)
	if err != nil {
		return nil, err
	}
	what := "address"
	if t.spec.rtype == "CNAME" {
		what = "target"
	}
	out := make([]string, 0, len(cur.foreign))
	for _, f := range cur.foreign {
		out = append(out, what+" "+t.red.Quote(f))
	}
	return out, nil
}

// Apply implements providers.Target.
func (t *RRset) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if err := providers.CheckShare(want); err != nil {
		return 0, t.errorf("%v", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, t.errorf("%s: %w", t.where, err)
	}
	unlock, err := t.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()

	rc := providers.RunCacheFrom(ctx)
	// Decide on the zone as it is now, not as the run first read it.
	rc.Forget(t.cacheKey)
	cur, err := t.read(ctx)
	if err != nil {
		return 0, err
	}
	// A missing RRset, or one that holds nothing of either side (someone
	// pointed the name elsewhere on purpose), is not the target's to write.
	if _, err := t.share(cur); err != nil {
		return 0, err
	}
	next := t.compose(want)
	ttl := t.spec.ttl
	if ttl == 0 {
		ttl = cur.ttl
	}
	if !cur.equals(next, ttl) {
		recs, err := t.records(next, ttl)
		if err != nil {
			return 0, t.errorf("%s: %w", t.where, err)
		}
		err = t.setRecords(ctx, cur, recs)
		rc.Forget(t.cacheKey)
		if err != nil {
			return 0, t.fail(ctx, "replacing the RRset "+t.rrsetName(), err)
		}
	}
	cur, err = t.read(ctx)
	if err != nil {
		return 0, err
	}
	return t.share(cur)
}

// compose returns the normalised values of the RRset for want.
func (t *RRset) compose(want providers.Share) []string {
	if t.spec.rtype == "CNAME" {
		if t.spec.deliverable(want) == providers.ShareFull {
			return []string{t.spec.primary[0]}
		}
		return []string{t.spec.secondary[0]}
	}
	c := Compose(want, len(t.spec.primary), len(t.spec.secondary))
	out := make([]string, 0, c.K+c.M)
	out = append(out, t.spec.primary[:c.K]...)
	return append(out, t.spec.secondary[:c.M]...)
}

// records builds the libdns records of an RRset.
func (t *RRset) records(values []string, ttl uint32) ([]libdns.Record, error) {
	d := time.Duration(ttl) * time.Second
	out := make([]libdns.Record, 0, len(values))
	for _, v := range values {
		if t.spec.rtype == "CNAME" {
			out = append(out, libdns.CNAME{Name: t.spec.name, TTL: d, Target: v})
			continue
		}
		ip, err := netip.ParseAddr(v)
		if err != nil {
			return nil, err
		}
		out = append(out, libdns.Address{Name: t.spec.name, TTL: d, IP: ip})
	}
	return out, nil
}

// rrset is the live RRset, its values normalised as the policy's are.
type rrset struct {
	values             []string
	ttl                uint32 // the smallest TTL of its records
	uniformTTL         bool   // every record has ttl
	primary, secondary int
	foreign            []string
}

// equals reports whether the RRset holds exactly values (as a set), every
// record with the TTL ttl.
func (r rrset) equals(values []string, ttl uint32) bool {
	if r.ttl != ttl || !r.uniformTTL || len(r.foreign) > 0 {
		return false
	}
	a, b := slices.Clone(r.values), slices.Clone(values)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

func (t *RRset) share(r rrset) (providers.Share, error) {
	if len(r.values) == 0 {
		return 0, t.notPresent()
	}
	if r.primary+r.secondary == 0 {
		q := make([]string, len(r.foreign))
		for i, f := range r.foreign {
			q[i] = t.red.Quote(f)
		}
		return 0, t.errorf("%s: the RRset %s holds none of the policy's primary or secondary values, only %s: it sends no traffic to either side",
			t.where, t.rrsetName(), strings.Join(q, ", "))
	}
	total := len(r.values)
	return providers.RoundShare(int64(r.primary), int64(total)), nil
}

func (t *RRset) notPresent() error {
	return t.errorf("%s: name not present: there is no %s RRset %s; fbctl never creates records, so add it (e.g. with the secondary's values) before the failback steers it",
		t.where, t.spec.rtype, t.spec.fqdn())
}

func (t *RRset) rrsetName() string { return t.spec.fqdn() + " " + t.spec.rtype }

// read returns the live RRset, from the zone as the run cache holds it.
func (t *RRset) read(ctx context.Context) (rrset, error) {
	if err := ctx.Err(); err != nil {
		return rrset{}, t.errorf("%s: %w", t.where, err)
	}
	recs, err := t.zone(ctx)
	if err != nil {
		return rrset{}, t.fail(ctx, "reading the zone", err)
	}
	side := map[string]int{}
	for _, v := range t.spec.primary {
		side[v] = 1
	}
	for _, v := range t.spec.secondary {
		side[v] = 2
	}
	var out rrset
	out.uniformTTL = true
	first := true
	for _, rr := range recs {
		if rr.Type != t.spec.rtype || relName(rr.Name, t.spec.zone) != t.spec.name {
			continue
		}
		v, err := normValue(t.spec.rtype, rr.Data)
		if err != nil {
			v = rr.Data // unparseable: foreign, shown as it is
		}
		ttl := uint32(min(max(rr.TTL/time.Second, 0), 1<<31-1))
		switch {
		case first:
			out.ttl = ttl
		case ttl != out.ttl:
			out.uniformTTL = false
			out.ttl = min(out.ttl, ttl)
		}
		first = false
		out.values = append(out.values, v)
		switch side[v] {
		case 1:
			out.primary++
		case 2:
			out.secondary++
		default:
			out.foreign = append(out.foreign, v)
		}
	}
	return out, nil
}

// relName is a record name as libdns gives it, relative to zone, lower
// case, "@" for the apex; drivers differ in how they spell the apex.
func relName(name, zone string) string {
	n := strings.ToLower(name)
	switch {
	case n == "" || n == "@":
		return "@"
	case strings.HasSuffix(n, "."):
		if n == zone {
			return "@"
		}
		if rel, ok := strings.CutSuffix(n, "."+zone); ok {
			return rel
		}
	}
	return n
}

// zone returns the zone's records, loaded once per run.
func (t *RRset) zone(ctx context.Context) ([]libdns.RR, error) {
	return providers.Cached(ctx, t.cacheKey, t.getRecords)
}

// getRecords calls the driver's GetRecords. Drivers do not all stop a
// transfer when ctx ends (rfc2136 honours it only while dialling), so the
// call runs aside and is abandoned then; it ends on its own time-outs.
func (t *RRset) getRecords(ctx context.Context) ([]libdns.RR, error) {
	type result struct {
		recs []libdns.Record
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				ch <- result{err: fmt.Errorf("the libdns driver panicked: %v", p)}
			}
		}()
		recs, err := t.client.Provider.GetRecords(ctx, t.spec.zone)
		providers.ObserveRequest(ctx, requestProvider, t.client.Driver+".GetRecords", callCode(err))
		ch <- result{recs, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		out := make([]libdns.RR, 0, len(r.recs))
		for _, rec := range r.recs {
			if rec != nil {
				out = append(out, rec.RR())
			}
		}
		return out, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// setRecords replaces the RRset cur with recs: with the driver's Replace
// when it has one, else with SetRecords. It is not abandoned when ctx
// ends: the zone's lock must be held until the write is really over.
func (t *RRset) setRecords(ctx context.Context, cur rrset, recs []libdns.Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the libdns driver panicked: %v", p)
		}
	}()
	if t.client.Replace != nil {
		old := make([]libdns.Record, 0, len(cur.values))
		d := time.Duration(cur.ttl) * time.Second
		for _, v := range cur.values {
			old = append(old, libdns.RR{Name: t.spec.name, Type: t.spec.rtype, TTL: d, Data: v})
		}
		err = t.client.Replace(ctx, t.spec.zone, old, recs)
		providers.ObserveRequest(ctx, requestProvider, t.client.Driver+".Replace", callCode(err))
		return err
	}
	_, err = t.client.Provider.SetRecords(ctx, t.spec.zone, recs)
	providers.ObserveRequest(ctx, requestProvider, t.client.Driver+".SetRecords", callCode(err))
	return err
}

// requestProvider is the provider a providers.RequestObserver is told of.
const requestProvider = "libdns"

// callCode is the code of a driver call for a providers.RequestObserver:
// a driver hides its wire protocol (a DNS UPDATE, HTTP pages), so a call
// counts once, as "ok" or providers.RequestError.
func callCode(err error) string {
	if err != nil {
		return providers.RequestError
	}
	return "ok"
}

// lock serializes this process's writes to one zone on one server: read,
// decide, write and read back happen under the lock.
func (t *RRset) lock(ctx context.Context) (func(), error) {
	unlock, err := providers.Lock(ctx, t.lockKey, "the zone")
	if err != nil {
		return nil, t.errorf("%s: %w", t.where, err)
	}
	return unlock, nil
}

// fail explains a driver's error: context first, then what the driver can
// tell, always naming the target, zone and server and never a secret. The
// error's class (providers.ErrorClass) is the driver's Diagnose's when it
// gives one, else providers.Classify's (a refused or timed-out connection
// is Transient); it is Fatal once ctx is done.
func (t *RRset) fail(ctx context.Context, doing string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		if !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return t.errorf("%s: %s: %w", t.where, doing, providers.FatalError(err))
	}
	if t.client.Diagnose != nil {
		err = t.client.Diagnose(ctx, t.spec.zone, err)
	}
	return t.errorf("%s: %s: %w", t.where, doing, err)
}

func (t *RRset) errorf(format string, args ...any) error {
	return t.red.Hide(fmt.Errorf("dns_rrset %q: "+format, append([]any{t.name}, args...)...))
}
