package powerdns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// Target is the powerdns_weighted target: the LUA record of one zone, name
// and type (A or AAAA) whose content is a weight table of pickwrandom or
// pickwhashed, e.g.
//
//	A "pickwrandom({{950, '192.0.2.1'}, {50, '192.0.2.2'}})"
//
// # The record it owns
//
// PowerDNS keeps every LUA record of a name in one rrset of type LUA; the
// record whose content starts with the target's type is the target's.
// Other LUA records of the name (an AAAA one beside an A one) are kept as
// they are. fbctl never creates records: the LUA record must exist (so a
// typo cannot publish a new name), and must be a weight table: a LUA record
// of that type holding anything else (another function, a Lua expression),
// a plain rrset of that type at the name, a CNAME, or a second LUA record
// of that type is an error naming it, for Observe and Apply alike, and
// nothing is changed.
//
// # Reading the share
//
// Observe reads the zone (GET /api/v1/servers/SERVER/zones/ZONE), once per
// run through the run cache, and parses the table. The share is the
// primary's weights over all weights of the table, which is how both
// functions pick: an address in neither list is foreign, counts in the
// denominator, and is reported by Foreign; the next Apply that changes the
// table writes it without them. A table whose weights sum to 0 is an
// error: PowerDNS answers nothing for it.
//
// # Writing the share
//
// Apply gives every primary address one weight a and every secondary
// address one weight b, both in 0..1000 and not both 0, chosen as for
// HAProxy (providers.SplitWeights), and writes the table, primary
// addresses first, in the policy's order, with the policy's function. A
// side at 0 % stays in the table with weight 0: PowerDNS never picks an
// entry of weight 0 while another has weight (its pick is the first entry
// whose running sum exceeds a number below the total). The rrset is
// changed with one PATCH (changetype REPLACE) of that rrset only, its TTL
// and other LUA records kept; the rest of the zone is untouched, and
// PowerDNS raises the SOA serial as the zone's soa_edit_api says. If the
// table already holds exactly that, Apply writes nothing. Apply then reads
// the record back and returns the share it holds.
//
// # Resolution
//
// The widest gap between neighbouring shares the weights can express for
// the address counts (for one address a side 1/1001 of the traffic, 10
// basis points). With pickwhashed the real split also depends on the
// clients: each client address keeps one answer, so a few clients split
// coarsely; with pickwrandom every query is drawn anew.
//
// Apply calls of one process on the same API, server and zone are
// serialized; every method is safe for concurrent use and honours ctx.
type Target struct {
	name   string
	spec   spec
	client *Client
	red    *providers.Redactor
	res    providers.Share
	lock   chan struct{}
	cache  string
	where  string
}

var (
	_ providers.Target          = (*Target)(nil)
	_ providers.ForeignReporter = (*Target)(nil)
)

var zoneLocks sync.Map // api_url + server + zone -> chan struct{}

// NewTarget builds a powerdns_weighted target from its block and its
// powerdns provider block. It does no I/O.
func NewTarget(cfg providers.Config) (*Target, error) {
	red := &providers.Redactor{}
	fail := func(format string, args ...any) error {
		return red.Hide(fmt.Errorf("%s %q: "+format, append([]any{Kind, cfg.Name}, args...)...))
	}
	if cfg.Provider == nil || cfg.Provider.Type != ProviderType {
		return nil, fail("needs a %s provider block", ProviderType)
	}
	pa := cfg.Provider.Attrs
	if pa.IsNull() || !pa.IsWhollyKnown() || !pa.Type().IsObjectType() {
		return nil, fail("the provider's attributes are not all known")
	}
	get := func(attr string) (string, bool) {
		if !pa.Type().HasAttribute(attr) {
			return "", false
		}
		v := pa.GetAttr(attr)
		raw, _ := v.UnmarkDeep()
		if raw.IsNull() || raw.Type() != cty.String {
			return "", false
		}
		if v.ContainsMarked() || attr == "api_key" {
			red.Add(raw.AsString())
		}
		return raw.AsString(), true
	}
	apiURL, _ := get("api_url")
	key, _ := get("api_key")
	server, _ := get("server_id")
	markedSecrets(red, cfg.Attrs)
	s, problems, known := parseSpec(cfg.Attrs)
	if len(problems) > 0 {
		return nil, fail("%s", strings.TrimSuffix(problems[0].Detail, "."))
	}
	if !known {
		return nil, fail("the attributes are not all known")
	}
	c, err := NewClient(apiURL, key, server)
	if err != nil {
		return nil, fail("%v", err)
	}
	ident := apiURL + "\x00" + c.serverID + "\x00" + s.zone
	lock, _ := zoneLocks.LoadOrStore(ident, make(chan struct{}, 1))
	return &Target{
		name:   cfg.Name,
		spec:   s,
		client: c,
		red:    red,
		res:    providers.SplitResolution(len(s.primary), len(s.secondary), MaxWeight),
		lock:   lock.(chan struct{}),
		cache:  "powerdns\x00" + ident,
		where:  fmt.Sprintf("PowerDNS zone %s (server %s at %s)", s.zone, c.serverID, c.base),
	}, nil
}

// markedSecrets adds the sensitive values among the target's attributes.
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
		red.AddValue(v)
		raw, _ := v.UnmarkDeep()
		if raw.Type() == cty.String && raw.IsKnown() && !raw.IsNull() {
			s := strings.ToLower(raw.AsString())
			red.Add(strings.TrimSuffix(s, "."), s+".")
		} else if raw.IsWhollyKnown() && raw.CanIterateElements() {
			for it := raw.ElementIterator(); it.Next(); {
				_, e := it.Element()
				if e.Type() == cty.String && !e.IsNull() {
					for _, t := range []string{"A", "AAAA"} {
						if n, err := normAddr(t, e.AsString()); err == nil {
							red.Add(n)
						}
					}
				}
			}
		}
	}
}

// Resolution implements providers.Target.
func (t *Target) Resolution() providers.Share { return t.res }

// state is the target's record as read.
type state struct {
	rrset   RRset // the whole LUA rrset of the name
	index   int   // the target's record in rrset.Records
	record  luaRecord
	foreign []entry
}

// Observe implements providers.Target.
func (t *Target) Observe(ctx context.Context) (providers.Share, error) {
	st, err := t.read(ctx, true)
	if err != nil {
		return 0, err
	}
	return t.share(st)
}

// Foreign implements providers.ForeignReporter: the table's addresses in
// neither list.
func (t *Target) Foreign(ctx context.Context) ([]string, error) {
	st, err := t.read(ctx, true)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(st.foreign))
	for _, e := range st.foreign {
		out = append(out, t.red.Redact(fmt.Sprintf("address %s (weight %d)", e.addr, e.weight)))
	}
	return out, nil
}

// Apply implements providers.Target.
func (t *Target) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if err := providers.CheckShare(want); err != nil {
		return 0, t.errorf("%w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, t.wrap(err)
	}
	select {
	case t.lock <- struct{}{}:
		defer func() { <-t.lock }()
	case <-ctx.Done():
		return 0, t.errorf("waiting for another change of this zone: %w", ctx.Err())
	}
	cur, err := t.read(ctx, false)
	if err != nil {
		return 0, err
	}
	a, b := providers.SplitWeights(want, len(t.spec.primary), len(t.spec.secondary), MaxWeight)
	next := luaRecord{rtype: t.spec.rtype, function: t.spec.function}
	for _, addr := range t.spec.primary {
		next.entries = append(next.entries, entry{weight: a, addr: addr})
	}
	for _, addr := range t.spec.secondary {
		next.entries = append(next.entries, entry{weight: b, addr: addr})
	}
	if !sameRecord(cur.record, next) || cur.rrset.Records[cur.index].Content != next.String() {
		rs := RRset{Name: cur.rrset.Name, Type: "LUA", TTL: cur.rrset.TTL, ChangeType: "REPLACE",
			Records: slices.Clone(cur.rrset.Records), Comments: cur.rrset.Comments}
		rs.Records[cur.index] = Record{Content: next.String()}
		err := t.client.Patch(ctx, t.spec.zone, []RRset{rs})
		providers.ObserveRequest(ctx, ProviderType, "PATCH zone", code(err))
		if rc := providers.RunCacheFrom(ctx); rc != nil {
			rc.Forget(t.cache)
		}
		if err != nil {
			return 0, t.wrap(fmt.Errorf("replacing LUA %s %s: %w", t.spec.rtype, t.spec.name, err))
		}
	}
	st, err := t.read(ctx, false)
	if err != nil {
		return 0, err
	}
	return t.share(st)
}

func sameRecord(a, b luaRecord) bool {
	return a.rtype == b.rtype && a.function == b.function && slices.Equal(a.entries, b.entries)
}

func code(err error) string {
	if err == nil {
		return "ok"
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return fmt.Sprint(ae.Status)
	}
	return providers.RequestError
}

// share is the primary's weight over the table's.
func (t *Target) share(st state) (providers.Share, error) {
	var p, total int64
	for _, e := range st.record.entries {
		total += int64(e.weight)
		if slices.Contains(t.spec.primary, canon(t.spec.rtype, e.addr)) {
			p += int64(e.weight)
		}
	}
	if total == 0 {
		return 0, t.errorf("LUA %s %s has no weight: every entry of its table is 0, so PowerDNS answers nothing", t.spec.rtype, t.red.Quote(t.spec.name))
	}
	return providers.RoundShare(p, total), nil
}

func canon(rtype, addr string) string {
	if n, err := normAddr(rtype, addr); err == nil {
		return n
	}
	return addr
}

// read reads the zone (through the run cache when cached) and finds the
// target's record.
func (t *Target) read(ctx context.Context, cached bool) (state, error) {
	load := func(ctx context.Context) (*Zone, error) {
		z, err := t.client.Zone(ctx, t.spec.zone)
		providers.ObserveRequest(ctx, ProviderType, "GET zone", code(err))
		return z, err
	}
	var z *Zone
	var err error
	if cached {
		z, err = providers.Cached(ctx, t.cache, load)
	} else {
		z, err = load(ctx)
		if rc := providers.RunCacheFrom(ctx); rc != nil && err == nil {
			rc.Forget(t.cache)
		}
	}
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == 404 {
			return state{}, t.wrap(fmt.Errorf("zone not found (%w)", err))
		}
		if errors.As(err, &ae) && (ae.Status == 401 || ae.Status == 403) {
			return state{}, t.wrap(fmt.Errorf("the API refused the key (%w)", err))
		}
		return state{}, t.wrap(fmt.Errorf("reading the zone: %w", err))
	}
	return t.find(z)
}

func (t *Target) find(z *Zone) (state, error) {
	name := t.red.Quote(t.spec.name)
	var st state
	found := false
	for _, rs := range z.RRsets {
		if !strings.EqualFold(rs.Name, t.spec.name) {
			continue
		}
		switch strings.ToUpper(rs.Type) {
		case t.spec.rtype, "CNAME":
			return state{}, t.errorf("%s has a plain %s rrset, which fbctl did not write: a LUA %s record there would conflict with it; nothing was changed",
				name, strings.ToUpper(rs.Type), t.spec.rtype)
		case "LUA":
			for i, r := range rs.Records {
				if recordType(r.Content) != t.spec.rtype {
					continue
				}
				if found {
					return state{}, t.errorf("%s has more than one LUA %s record, which fbctl did not write; nothing was changed", name, t.spec.rtype)
				}
				if r.Disabled {
					return state{}, t.errorf("the LUA %s record at %s is disabled; fbctl does not enable records; nothing was changed", t.spec.rtype, name)
				}
				rec, err := parseLUA(r.Content)
				if err != nil {
					return state{}, t.errorf("the LUA %s record at %s, %s, %s, which fbctl did not write; nothing was changed",
						t.spec.rtype, name, t.red.Quote(r.Content), err)
				}
				st = state{rrset: rs, index: i, record: rec}
				found = true
			}
		}
	}
	if !found {
		return state{}, t.errorf("no LUA %s record at %s: fbctl never creates records; create it with a weight table, e.g. %s",
			t.spec.rtype, name, t.red.Quote(t.example()))
	}
	for _, e := range st.record.entries {
		a := canon(t.spec.rtype, e.addr)
		if !slices.Contains(t.spec.primary, a) && !slices.Contains(t.spec.secondary, a) {
			st.foreign = append(st.foreign, e)
		}
	}
	return st, nil
}

// example is the record at a 100 % share.
func (t *Target) example() string {
	r := luaRecord{rtype: t.spec.rtype, function: t.spec.function}
	for _, a := range t.spec.primary {
		r.entries = append(r.entries, entry{MaxWeight, a})
	}
	for _, a := range t.spec.secondary {
		r.entries = append(r.entries, entry{0, a})
	}
	return r.String()
}

func (t *Target) errorf(format string, args ...any) error {
	return t.red.Hide(fmt.Errorf("%s: "+format, append([]any{t.where}, args...)...))
}

func (t *Target) wrap(err error) error {
	return t.red.Hide(fmt.Errorf("%s: %w", t.where, err))
}
