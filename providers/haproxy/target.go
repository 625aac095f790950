package haproxy

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/providers"
)

// Target is the haproxy_backend target: the primary and secondary servers of
// one backend, steered by their weights through the runtime API.
//
// # Reading the share
//
// Observe reads every named server's current weight with `show servers state
// BACKEND` and reports the primary's part of the summed weight, rounded to a
// basis point. With `balance roundrobin` that ratio is the traffic split, so
// it is reported even when the weights are not a state fbctl writes (a
// primary server weighted differently from another, a weight above
// max_weight): those are what HAProxy does, not a guess, and refusing to read
// them would leave a person nothing to act on.
//
// Only servers that take new traffic count: a server in maintenance (MAINT,
// set by hand, by the configuration, inherited from a tracked server or by
// DNS resolution), draining (DRAIN) or down (its health check failed, or
// stopping) delivers nothing whatever its weight, so its weight counts as
// 0. A server with no health check is up for HAProxy. The share is thus
// the real split, and ObserveSides says which side, if any, has no server
// left that delivers: the engine then never moves traffic towards it. No
// weight on any delivering server is an error, because HAProxy would then
// answer 503.
//
// # Writing the share
//
// Apply gives every primary server one weight a and every secondary server
// one weight b, both in 0..max_weight and not both 0, chosen so that
// P*a / (P*a + S*b) (P and S the server counts) is as close to the wanted
// share as integers allow; among equally close pairs it takes the one
// nearest to a = max_weight*share, b = max_weight*(1-share), which is what
// a person reading the weights expects. P and S count the servers that
// deliver (every server of a side when none of it does), so the share
// Apply returns, read back, is the one asked for; a server in maintenance
// gets its side's weight too, and takes its part when it comes back. If the
// live weights already deliver that share, Apply writes nothing.
//
// The weights are written one `set server B/S weight N` at a time, in this
// order: secondary servers whose weight rises, primary servers whose weight
// rises, primary servers whose weight falls, secondary servers whose weight
// falls. Raises before falls means every server's weight stays at or above
// min(old, new), so the named servers never all reach 0 at once (no 503
// moment). Within that, moving traffic towards the secondary first means
// that, between states fbctl writes, the primary's share never exceeds the
// larger of the old and the new share, even for a moment.
//
// # Resolution
//
// Resolution is the widest gap between two neighbouring shares the weights
// can express for the configured server counts and max_weight, so Apply
// lands within it (in fact within half of it) of any wanted share. For one
// server a side and max_weight 256 it is 39 basis points (the first step
// above 0 is weights 1 and 256, 1/257 of the traffic).
//
// Targets of one process that steer the same backend through the same API
// serialize their Apply calls; every method is safe for concurrent use.
type Target struct {
	client    *Client
	backend   string
	primary   []string
	secondary []string
	maxWeight int
	res       providers.Share
	// lock serializes Apply across every Target of this process on the
	// same API and backend; a channel so that waiting honours ctx.
	lock chan struct{}
	// red holds the sensitive attribute values, hidden from every error
	// through the one redactor every provider uses.
	red *providers.Redactor
}

var (
	_ providers.Target       = (*Target)(nil)
	_ providers.SideReporter = (*Target)(nil)
)

var backendLocks sync.Map // network+address+backend -> chan struct{}

// maxServers bounds the servers a side may name, which keeps the weight
// arithmetic well inside int64.
const maxServers = 10000

// NewTarget builds a Target from a decoded haproxy_backend block.
func NewTarget(cfg providers.Config) (*Target, error) {
	d := decoder{kind: "haproxy_backend", name: cfg.Name, obj: cfg.Attrs}
	if cfg.Attrs.IsNull() || !cfg.Attrs.IsKnown() || !cfg.Attrs.Type().IsObjectType() {
		return nil, d.errorf("the attributes are not a known object")
	}
	addr := d.str("runtime_api")
	backend := d.str("backend")
	primary := d.strs("primary")
	secondary := d.strs("secondary")
	maxWeight := d.int("max_weight", MaxWeight)
	if d.err != nil {
		return nil, d.err
	}
	client, err := NewClient(addr)
	if err != nil {
		return nil, d.hide(d.errorf("%v", err))
	}
	if d.isSecret(addr) {
		client.name = providers.Redacted
	}
	if maxWeight < 1 || maxWeight > MaxWeight {
		return nil, d.errorf("max_weight must be a whole number between 1 and %d", MaxWeight)
	}
	if !validName(backend) {
		return nil, d.hide(d.errorf("backend %q is not a valid HAProxy name (letters, digits, '-', '_', '.', ':')", backend))
	}
	seen := map[string]string{}
	for _, side := range []struct {
		name    string
		servers []string
	}{{"primary", primary}, {"secondary", secondary}} {
		if len(side.servers) == 0 {
			return nil, d.errorf("%s names no server", side.name)
		}
		if len(side.servers) > maxServers {
			return nil, d.errorf("%s names %d servers; at most %d are supported", side.name, len(side.servers), maxServers)
		}
		for _, s := range side.servers {
			if !validName(s) {
				return nil, d.hide(d.errorf("%s server %q is not a valid HAProxy name (letters, digits, '-', '_', '.', ':')", side.name, s))
			}
			if other, dup := seen[s]; dup {
				return nil, d.hide(d.errorf("server %q is named twice (in %s and in %s)", s, other, side.name))
			}
			seen[s] = side.name
		}
	}
	key := client.network + "\x00" + client.address + "\x00" + backend
	lock, _ := backendLocks.LoadOrStore(key, make(chan struct{}, 1))
	return &Target{
		client:    client,
		backend:   backend,
		primary:   primary,
		secondary: secondary,
		maxWeight: maxWeight,
		res:       providers.SplitResolution(len(primary), len(secondary), maxWeight),
		lock:      lock.(chan struct{}),
		red:       &d.red,
	}, nil
}

// Resolution implements providers.Target.
func (t *Target) Resolution() providers.Share { return t.res }

// Observe implements providers.Target.
func (t *Target) Observe(ctx context.Context) (providers.Share, error) {
	s, _, err := t.ObserveSides(ctx)
	return s, err
}

// ObserveSides implements providers.SideReporter.
func (t *Target) ObserveSides(ctx context.Context) (providers.Share, providers.Sides, error) {
	w, err := t.read(ctx)
	if err != nil {
		return 0, providers.Sides{}, t.hide(err)
	}
	s, err := t.share(w)
	if err != nil {
		return 0, providers.Sides{}, t.hide(err)
	}
	sides := providers.Sides{
		PrimaryOut:   outWhy("primary", t.primary, w.primaryOut),
		SecondaryOut: outWhy("secondary", t.secondary, w.secondaryOut),
	}
	if t.red != nil {
		sides.PrimaryOut = t.red.Redact(sides.PrimaryOut)
		sides.SecondaryOut = t.red.Redact(sides.SecondaryOut)
	}
	return s, sides, nil
}

// outWhy says why a side delivers nothing, "" when one of its servers does.
func outWhy(side string, servers, out []string) string {
	var parts []string
	for i, s := range servers {
		if out[i] == "" {
			return ""
		}
		parts = append(parts, strconv.Quote(s)+" "+out[i])
	}
	return fmt.Sprintf("every %s server is in MAINT, DRAIN or DOWN (%s)", side, strings.Join(parts, ", "))
}

// Apply implements providers.Target.
func (t *Target) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if err := providers.CheckShare(want); err != nil {
		return 0, fmt.Errorf("haproxy backend %s: %w", t.quote(t.backend), err)
	}
	if err := ctx.Err(); err != nil {
		return 0, t.hide(&ConnError{Addr: t.client.name, Msg: err.Error(), Err: err})
	}
	select {
	case t.lock <- struct{}{}:
		defer func() { <-t.lock }()
	case <-ctx.Done():
		return 0, t.hide(fmt.Errorf("haproxy backend %s: waiting for another change of this backend: %w", t.quote(t.backend), ctx.Err()))
	}

	cur, err := t.read(ctx)
	if err != nil {
		return 0, t.hide(err)
	}
	p, q := cur.serving()
	if p == 0 {
		p = len(t.primary)
	}
	if q == 0 {
		q = len(t.secondary)
	}
	a, b := providers.SplitWeights(want, p, q, t.maxWeight)
	next := weights{primary: repeat(a, len(t.primary)), secondary: repeat(b, len(t.secondary)),
		primaryOut: cur.primaryOut, secondaryOut: cur.secondaryOut}
	if s, err := t.share(cur); err != nil || s != shareOf(next.delivering()) {
		changes := planChanges(t.primary, t.secondary, cur, next)
		for i, c := range changes {
			if err := t.client.SetWeight(ctx, t.backend, c.server, c.to); err != nil {
				return 0, t.hide(fmt.Errorf("%w (%d of %d weight changes were made before this one)", err, i, len(changes)))
			}
		}
	}
	w, err := t.read(ctx)
	if err != nil {
		return 0, t.hide(err)
	}
	s, err := t.share(w)
	return s, t.hide(err)
}

// weights holds the current weight of each named server, in declared order,
// and why each delivers nothing ("MAINT", "DRAIN", "DOWN"; "" when it
// takes traffic). Nil out slices mean every server takes traffic.
type weights struct {
	primary, secondary       []int
	primaryOut, secondaryOut []string
}

// delivering is w with the weight of every server that delivers nothing
// set to 0: the weights HAProxy really balances by.
func (w weights) delivering() weights {
	zero := func(ws []int, out []string) []int {
		r := make([]int, len(ws))
		for i, x := range ws {
			if i >= len(out) || out[i] == "" {
				r[i] = x
			}
		}
		return r
	}
	return weights{primary: zero(w.primary, w.primaryOut), secondary: zero(w.secondary, w.secondaryOut),
		primaryOut: w.primaryOut, secondaryOut: w.secondaryOut}
}

// serving counts the servers of each side that take traffic.
func (w weights) serving() (primary, secondary int) {
	count := func(n int, out []string) int {
		c := 0
		for i := 0; i < n; i++ {
			if i >= len(out) || out[i] == "" {
				c++
			}
		}
		return c
	}
	return count(len(w.primary), w.primaryOut), count(len(w.secondary), w.secondaryOut)
}

func (w weights) sums() (primary, total int) {
	for _, x := range w.primary {
		primary += x
	}
	total = primary
	for _, x := range w.secondary {
		total += x
	}
	return primary, total
}

func shareOf(w weights) providers.Share {
	p, total := w.sums()
	if total == 0 {
		return providers.ShareNone
	}
	return providers.RoundShare(int64(p), int64(total))
}

// share is the share w delivers: servers that deliver nothing do not count.
func (t *Target) share(w weights) (providers.Share, error) {
	if _, total := w.sums(); total == 0 {
		return 0, fmt.Errorf("haproxy runtime API at %s: backend %s has no weight: its primary (%s) and secondary (%s) servers all have weight 0, so HAProxy would answer 503",
			t.client.name, t.quote(t.backend), strings.Join(t.primary, ", "), strings.Join(t.secondary, ", "))
	}
	d := w.delivering()
	if _, total := d.sums(); total == 0 {
		var parts []string
		for _, side := range []struct {
			names []string
			ws    []int
			out   []string
		}{{t.primary, w.primary, w.primaryOut}, {t.secondary, w.secondary, w.secondaryOut}} {
			for i, s := range side.names {
				why := "weight 0"
				if side.out[i] != "" {
					why = side.out[i]
				}
				parts = append(parts, t.quote(s)+" "+why)
			}
		}
		return 0, fmt.Errorf("haproxy runtime API at %s: backend %s delivers nothing: no server with weight takes traffic (%s), so HAProxy would answer 503",
			t.client.name, t.quote(t.backend), strings.Join(parts, ", "))
	}
	return shareOf(d), nil
}

// Bits of srv_admin_state (HAProxy's SRV_ADMF_*): maintenance forced by
// hand, inherited from a tracked server, from the configuration
// ("disabled") or from DNS resolution; draining by hand or inherited.
const (
	adminForcedMaint   = 0x01
	adminInheritMaint  = 0x02
	adminConfigMaint   = 0x04
	adminForcedDrain   = 0x08
	adminInheritDrain  = 0x10
	adminResolverMaint = 0x20

	adminMaint = adminForcedMaint | adminInheritMaint | adminConfigMaint | adminResolverMaint
	adminDrain = adminForcedDrain | adminInheritDrain
)

// Values of srv_op_state (SRV_ST_*) that take traffic: starting (slow
// start) and running. Stopped (0) and stopping (3, a soft stop such as
// disable-on-404) take none.
const (
	opStarting = 1
	opRunning  = 2
)

// outOf says why a server delivers nothing: "MAINT", "DRAIN" or "DOWN"
// (stopped or stopping); "" when it takes new traffic.
func outOf(s ServerState) string {
	switch {
	case s.AdminState&adminMaint != 0:
		return "MAINT"
	case s.AdminState&adminDrain != 0:
		return "DRAIN"
	case s.OpState != opRunning && s.OpState != opStarting:
		return "DOWN"
	}
	return ""
}

// read returns the live weights of the named servers.
func (t *Target) read(ctx context.Context) (weights, error) {
	states, err := t.client.ServersState(ctx, t.backend)
	if err != nil {
		return weights{}, err
	}
	live := make(map[string]ServerState, len(states))
	var names []string
	for _, s := range states {
		if s.Backend != t.backend {
			continue
		}
		live[s.Name] = s
		names = append(names, s.Name)
	}
	var w weights
	var missing []string
	pick := func(servers []string) ([]int, []string) {
		ws, out := make([]int, len(servers)), make([]string, len(servers))
		for i, s := range servers {
			x, ok := live[s]
			if !ok {
				missing = append(missing, t.quote(s))
			}
			ws[i], out[i] = x.Weight, outOf(x)
		}
		return ws, out
	}
	w.primary, w.primaryOut = pick(t.primary)
	w.secondary, w.secondaryOut = pick(t.secondary)
	if len(missing) > 0 {
		sort.Strings(names)
		if len(names) > 20 {
			names = append(names[:20], "...")
		}
		has := "no servers"
		if len(names) > 0 {
			has = "servers " + strings.Join(names, ", ")
		}
		what := "server " + missing[0] + " is"
		if len(missing) > 1 {
			what = "servers " + strings.Join(missing, ", ") + " are"
		}
		return weights{}, fmt.Errorf("haproxy runtime API at %s: %s not in backend %s, which has %s", t.client.name, what, t.quote(t.backend), has)
	}
	return w, nil
}

// change is one `set server` to make.
type change struct {
	server   string
	from, to int
}

// planChanges lists the weight changes from cur to next in the order the
// Target documents: secondary raises, primary raises, primary falls,
// secondary falls, each in declared order. Unchanged servers are left out.
func planChanges(primary, secondary []string, cur, next weights) []change {
	var out []change
	add := func(servers []string, from, to []int, up bool) {
		for i, s := range servers {
			if (up && to[i] > from[i]) || (!up && to[i] < from[i]) {
				out = append(out, change{server: s, from: from[i], to: to[i]})
			}
		}
	}
	add(secondary, cur.secondary, next.secondary, true)
	add(primary, cur.primary, next.primary, true)
	add(primary, cur.primary, next.primary, false)
	add(secondary, cur.secondary, next.secondary, false)
	return out
}

func repeat(x, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = x
	}
	return out
}

// validName reports whether s is a name HAProxy accepts for a proxy or a
// server. It also keeps anything that could end or split a runtime API
// command (spaces, ';', newlines) out of the commands fbctl sends.
func validName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == ':':
		default:
			return false
		}
	}
	return true
}

// quote quotes a name for a message, or says providers.Redacted.
func (t *Target) quote(s string) string { return t.red.Quote(s) }

func (t *Target) hide(err error) error { return t.red.Hide(err) }

// decoder reads a block's attributes, remembering the first error and the
// sensitive values it met.
type decoder struct {
	kind, name string
	obj        cty.Value
	err        error
	red        providers.Redactor
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%s %q: "+format, append([]any{d.kind, d.name}, args...)...)
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// get returns the unmarked attribute, noting a marked value as a secret.
func (d *decoder) get(name string) (cty.Value, bool) {
	if !d.obj.Type().HasAttribute(name) {
		d.fail(d.errorf("missing attribute %s", name))
		return cty.NilVal, false
	}
	v := d.obj.GetAttr(name)
	raw, _ := v.UnmarkDeep()
	if !raw.IsWhollyKnown() {
		d.fail(d.errorf("%s is not known", name))
		return cty.NilVal, false
	}
	return raw, true
}

func (d *decoder) secret(v cty.Value, s string) {
	if v.ContainsMarked() && s != "" {
		d.red.Add(s)
	}
}

func (d *decoder) isSecret(s string) bool { return d.red.IsSecret(s) }

func (d *decoder) hide(err error) error { return d.red.Hide(err) }

func (d *decoder) str(name string) string {
	raw, ok := d.get(name)
	if !ok {
		return ""
	}
	if raw.IsNull() || raw.Type() != cty.String {
		d.fail(d.errorf("%s must be a string", name))
		return ""
	}
	d.secret(d.obj.GetAttr(name), raw.AsString())
	return raw.AsString()
}

func (d *decoder) strs(name string) []string {
	raw, ok := d.get(name)
	if !ok {
		return nil
	}
	if raw.IsNull() || !(raw.Type().IsListType() || raw.Type().IsSetType() || raw.Type().IsTupleType()) {
		d.fail(d.errorf("%s must be a list of strings", name))
		return nil
	}
	marked := d.obj.GetAttr(name)
	whole := marked.IsMarked() // the list itself is sensitive: so is every element
	marked, _ = marked.Unmark()
	var out []string
	for it := marked.ElementIterator(); it.Next(); {
		_, e := it.Element()
		re, _ := e.UnmarkDeep()
		if re.IsNull() || re.Type() != cty.String {
			d.fail(d.errorf("%s must be a list of strings", name))
			return nil
		}
		if whole {
			e = e.Mark("sensitive")
		}
		d.secret(e, re.AsString())
		out = append(out, re.AsString())
	}
	return out
}

func (d *decoder) int(name string, def int) int {
	raw, ok := d.get(name)
	if !ok {
		return 0
	}
	if raw.IsNull() {
		return def
	}
	if raw.Type() != cty.Number {
		d.fail(d.errorf("%s must be a number", name))
		return 0
	}
	bf := raw.AsBigFloat()
	i, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 || i < -1<<31 || i > 1<<31 {
		return -1 // out of every range the caller accepts
	}
	return int(i)
}
