package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/zclconf/go-cty/cty"
	dns "google.golang.org/api/dns/v1"
	"google.golang.org/api/option"

	"github.com/fbctl/fbctl/internal/gcpauth"
	"github.com/fbctl/fbctl/providers"
)

// dnsScope is the OAuth scope of the Cloud DNS calls fbctl makes.
const dnsScope = "https://www.googleapis.com/auth/ndev.clouddns.readwrite"

// wrrMaxWeight is the largest weight of a WRR item.
const wrrMaxWeight = 1000

// wrrMembers is how the constructor reads the sides; Validate checks the
// same.
var wrrMembers = providers.Members{What: "rrdata", Limit: maxServices, NoBlank: true}

var (
	zoneNameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)
	rrTypes    = []string{"A", "AAAA", "CNAME", "TXT", "MX", "SRV", "CAA", "PTR", "NS", "SPF", "HTTPS", "SVCB"}
)

// cloudDNSKind is the cloud_dns_wrr registration.
func cloudDNSKind() providers.Kind {
	return providers.Kind{
		Class:    providers.ClassTarget,
		Name:     "cloud_dns_wrr",
		Provider: ProviderType,
		Doc:      "A Cloud DNS record set with a weighted-round-robin routing policy (routingPolicy.wrr, weights 0-1000): primary and secondary name its items by their rrdatas; other items, health-checked targets and record sets are kept.",
		Attributes: []providers.Attribute{
			providers.Required("managed_zone", cty.String, "Managed zone name (not its DNS name)."),
			providers.Required("name", cty.String, "Record set name: a fully qualified name with a trailing dot, or a name relative to the zone (\"@\" for the apex)."),
			providers.Optional("type", cty.String, cty.StringVal("A"), "Record type (A, AAAA, CNAME, ...)."),
			providers.Required("primary", providers.StringList, "Rrdatas of the primary's items: each names the item that holds it, and every rrdata of a named item is named on its side."),
			providers.Required("secondary", providers.StringList, "Rrdatas of the secondary's items."),
		},
		Validate: validateCloudDNS,
		Steers:   cloudDNSSteers,
		NewTarget: func(cfg providers.Config) (providers.Target, error) {
			t, err := NewCloudDNSWRR(cfg)
			if err != nil {
				return nil, err
			}
			return t, nil
		},
	}
}

// validateCloudDNS is the cloud_dns_wrr kind's validation: everything
// NewCloudDNSWRR checks without calling Cloud DNS.
func validateCloudDNS(v cty.Value) []providers.Problem {
	var p []providers.Problem
	if s, ok := providers.StringAttr(v, "managed_zone"); ok && !zoneNameRE.MatchString(strings.TrimSpace(s)) {
		p = append(p, providers.Problem{Attr: "managed_zone", Summary: "Invalid managed_zone",
			Detail: "managed_zone must be a managed zone's name: 1-63 lower-case letters, digits or '-', starting with a letter (not its DNS name)."})
	}
	if s, ok := providers.StringAttr(v, "name"); ok {
		if n := strings.TrimSpace(s); n == "" || n == "." || strings.Contains(n, "..") || providers.BadNameChars(n) {
			p = append(p, providers.Problem{Attr: "name", Summary: "Invalid name",
				Detail: "name must be a DNS name: fully qualified with a trailing dot, or relative to the zone, or \"@\"; no white space."})
		}
	}
	if s, ok := providers.StringAttr(v, "type"); ok && !slices.Contains(rrTypes, strings.ToUpper(strings.TrimSpace(s))) {
		p = append(p, providers.Problem{Attr: "type", Summary: "Invalid type",
			Detail: "type must be one of " + strings.Join(rrTypes, ", ") + "."})
	}
	return providers.HideMarked(v, append(p, wrrMembers.Problems(v)...))
}

// CloudDNSWRR is the cloud_dns_wrr target: the weights of a Cloud DNS
// record set's weighted-round-robin items (routingPolicy.wrr.items[]).
//
// # Reading the share
//
// Observe lists the record set (rrsets.list filtered by name and type,
// once per run: the run cache). Each rrdata of primary and secondary
// names the item holding it; every rrdata of a named item must be named on
// the same side. The share is the primary items' summed weight over the
// named items' summed weight. A zone or record set that does not exist, a
// record set without a WRR policy, an rrdata no item holds, a weight
// outside 0-1000 and named items that all weigh 0 are errors naming the
// zone and record. Items the policy does not name (health-checked ones
// too) take traffic the share does not account for: Foreign lists them.
//
// # Writing the share
//
// Apply gives every primary item one weight and every secondary item
// another, 0-1000 and not both 0 (providers.SplitWeights); nothing else of
// the record set changes. The change goes by changes.create with the
// record set as read in deletions and the new one in additions: Cloud DNS
// applies it atomically, and refuses it (HTTP 412 conditionNotMet) when
// the record set changed since the read; fbctl then reads again and
// redoes its change, MaxConflicts times in all. It waits for the change
// to be done (changes.get every WithPollInterval) and reads the record
// set back.
//
// Writes of one process to one zone are serialized. In a run, Stage
// batches the changes of every target on one zone into one change (see
// Stage).
type CloudDNSWRR struct {
	acct       *account
	red        *providers.Redactor
	name       string // block name
	zone       string
	rname      string // as configured, trimmed
	typ        string
	primary    []string
	secondary  []string
	opts       options
	resolution providers.Share
}

var (
	_ providers.Target          = (*CloudDNSWRR)(nil)
	_ providers.ForeignReporter = (*CloudDNSWRR)(nil)
)

// NewCloudDNSWRR builds a cloud_dns_wrr target from its block.
func NewCloudDNSWRR(cfg providers.Config, opts ...Option) (*CloudDNSWRR, error) {
	acct, err := accountFor(cfg.Provider)
	if err != nil {
		return nil, err
	}
	red := acct.red.Merged(nil)
	d := providers.NewDecoder(fmt.Sprintf("cloud_dns_wrr %q", cfg.Name), cfg.Attrs, red)
	zone := strings.TrimSpace(d.Str("managed_zone"))
	name := strings.TrimSpace(d.Str("name"))
	typ := strings.ToUpper(strings.TrimSpace(d.OptStr("type")))
	if typ == "" {
		typ = "A"
	}
	primary, secondary := d.Sides(wrrMembers)
	if d.Err() == nil {
		if ps := validateCloudDNS(cfg.Attrs); len(ps) > 0 {
			d.Fail(d.Errorf("%s: %s", ps[0].Summary, ps[0].Detail))
		}
	}
	if d.Err() != nil {
		return nil, red.Hide(d.Err())
	}
	t := &CloudDNSWRR{acct: acct, red: red, name: cfg.Name, zone: zone, rname: name, typ: typ, opts: buildOptions(opts)}
	for _, s := range primary {
		t.primary = append(t.primary, strings.TrimSpace(s))
	}
	for _, s := range secondary {
		t.secondary = append(t.secondary, strings.TrimSpace(s))
	}
	t.resolution = providers.SplitResolution(len(t.primary), len(t.secondary), wrrMaxWeight)
	return t, nil
}

func (t *CloudDNSWRR) errorf(format string, args ...any) error {
	return t.red.Hide(fmt.Errorf("cloud_dns_wrr %q: "+format, append([]any{t.name}, args...)...))
}

func (t *CloudDNSWRR) wrap(err error) error {
	if err == nil || strings.HasPrefix(err.Error(), fmt.Sprintf("cloud_dns_wrr %q: ", t.name)) {
		return err
	}
	return t.errorf("%w", err)
}

// where names the record set for messages.
func (t *CloudDNSWRR) where(fqdn string) string {
	if fqdn == "" {
		fqdn = t.rname
	}
	return t.red.Redact(fmt.Sprintf("record set %s %s in managed zone %s (project %s)", fqdn, t.typ, t.zone, t.acct.set.project))
}

// Resolution implements providers.Target: the resolution of one item per
// named rrdata; items holding several rrdatas are fewer, and their
// resolution finer. (Not a providers.Quantizer: what Apply delivers
// depends on how many items hold the rrdatas.)
func (t *CloudDNSWRR) Resolution() providers.Share { return t.resolution }

// ---- Cloud DNS client ----

// dnsClients are the Cloud DNS services of the provider blocks, by key.
var dnsClients struct {
	mu  sync.Mutex
	svc map[string]*dns.Service
	fq  map[string]string // zone key -> dnsName, which never changes
}

func (a *account) dnsService(ctx context.Context) (*dns.Service, error) {
	dnsClients.mu.Lock()
	defer dnsClients.mu.Unlock()
	if s := dnsClients.svc[a.set.key()]; s != nil {
		return s, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	var opts []option.ClientOption
	if a.set.endpoint != "" {
		opts = []option.ClientOption{option.WithEndpoint(a.set.endpoint + "/"), option.WithoutAuthentication()}
	} else {
		o, err := gcpauth.Options(ctx, a.set.credentialsFile, a.set.impersonate, dnsScope)
		if err != nil {
			return nil, a.red.Hide(fmt.Errorf("provider %s: %w", a.set.addr, err))
		}
		opts = o
	}
	s, err := dns.NewService(ctx, opts...)
	if err != nil {
		return nil, a.red.Hide(fmt.Errorf("provider %s: creating the Cloud DNS client: %w", a.set.addr, err))
	}
	if dnsClients.svc == nil {
		dnsClients.svc, dnsClients.fq = map[string]*dns.Service{}, map[string]string{}
	}
	dnsClients.svc[a.set.key()] = s
	return s, nil
}

// key names the record set in run-cache and lock keys.
func (t *CloudDNSWRR) zoneKey() string {
	return "clouddns\x00" + t.acct.endpointKey() + "\x00" + t.zone
}

// fqdn is the record set's fully qualified name: a relative name gets the
// zone's DNS name (managedZones.get, once per process and zone).
func (t *CloudDNSWRR) fqdn(ctx context.Context, svc *dns.Service) (string, error) {
	if strings.HasSuffix(t.rname, ".") {
		return t.rname, nil
	}
	dnsClients.mu.Lock()
	dn, ok := dnsClients.fq[t.zoneKey()]
	dnsClients.mu.Unlock()
	if !ok {
		var z *dns.ManagedZone
		err := call(ctx, "dns.managedZones.get", func(ctx context.Context) error {
			var err error
			z, err = svc.ManagedZones.Get(t.acct.set.project, t.zone).Context(ctx).Do()
			return err
		})
		if err != nil {
			return "", t.callErr(err, "")
		}
		dn = z.DnsName
		dnsClients.mu.Lock()
		dnsClients.fq[t.zoneKey()] = dn
		dnsClients.mu.Unlock()
	}
	if t.rname == "@" {
		return dn, nil
	}
	return t.rname + "." + dn, nil
}

// callErr names the zone or record set in a failed call's error.
func (t *CloudDNSWRR) callErr(err error, fqdn string) error {
	if isNotFound(err) && strings.Contains(err.Error(), "parameters.managedZone") {
		return t.errorf("managed zone %s does not exist in project %s: %w", t.red.Quote(t.zone), t.red.Redact(t.acct.set.project), err)
	}
	return t.errorf("%s: %w", t.where(fqdn), err)
}

// read lists the record set (rrsets.list by name and type).
func (t *CloudDNSWRR) read(ctx context.Context) (*dns.ResourceRecordSet, error) {
	if err := ctx.Err(); err != nil {
		return nil, t.wrap(err)
	}
	svc, err := t.acct.dnsService(ctx)
	if err != nil {
		return nil, t.wrap(err)
	}
	fq, err := t.fqdn(ctx, svc)
	if err != nil {
		return nil, err
	}
	var resp *dns.ResourceRecordSetsListResponse
	err = call(ctx, "dns.resourceRecordSets.list", func(ctx context.Context) error {
		var err error
		resp, err = svc.ResourceRecordSets.List(t.acct.set.project, t.zone).Name(fq).Type(t.typ).Context(ctx).Do()
		return err
	})
	if err != nil {
		return nil, t.callErr(err, fq)
	}
	for _, r := range resp.Rrsets {
		if strings.EqualFold(r.Name, fq) && strings.EqualFold(r.Type, t.typ) {
			return r, nil
		}
	}
	return nil, t.errorf("%s does not exist", t.where(fq))
}

func (t *CloudDNSWRR) cacheKey() string {
	return "gcp/clouddns\x00" + t.zoneKey() + "\x00" + t.rname + "\x00" + t.typ
}

// cachedRead reads the record set once per run. The value is shared.
func (t *CloudDNSWRR) cachedRead(ctx context.Context) (*dns.ResourceRecordSet, error) {
	return providers.Cached(ctx, t.cacheKey(), t.read)
}

// wrrSplit is the record set's items located.
type wrrSplit struct {
	items              []*dns.RRSetRoutingPolicyWrrPolicyWrrPolicyItem
	primary, secondary []int
	foreign            []int
}

func sameRRData(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// find locates the named items of r.
func (t *CloudDNSWRR) find(r *dns.ResourceRecordSet) (*wrrSplit, error) {
	if r.RoutingPolicy == nil || r.RoutingPolicy.Wrr == nil {
		what := "no routing policy (plain rrdatas)"
		if r.RoutingPolicy != nil {
			switch {
			case r.RoutingPolicy.Geo != nil:
				what = "a geolocation (GEO) routing policy"
			case r.RoutingPolicy.PrimaryBackup != nil:
				what = "a failover (primaryBackup) routing policy"
			default:
				what = "a routing policy that is not WRR"
			}
		}
		return nil, t.errorf("%s has %s; fbctl steers a weighted round robin (routingPolicy.wrr) only", t.where(r.Name), what)
	}
	sp := &wrrSplit{items: r.RoutingPolicy.Wrr.Items}
	side := make([]string, len(sp.items))
	for i, it := range sp.items {
		if math.IsNaN(it.Weight) || it.Weight < 0 || it.Weight > wrrMaxWeight {
			return nil, t.errorf("%s: item %d has weight %v, outside 0-%d", t.where(r.Name), i, it.Weight, wrrMaxWeight)
		}
		for _, s := range []struct {
			name string
			data []string
		}{{"primary", t.primary}, {"secondary", t.secondary}} {
			for _, rd := range it.Rrdatas {
				if slices.ContainsFunc(s.data, func(x string) bool { return sameRRData(x, rd) }) {
					if side[i] != "" && side[i] != s.name {
						return nil, t.errorf("%s: item %d holds rrdatas of both primary and secondary", t.where(r.Name), i)
					}
					side[i] = s.name
				}
			}
		}
		if side[i] != "" {
			for _, rd := range it.Rrdatas {
				names := t.primary
				if side[i] == "secondary" {
					names = t.secondary
				}
				if !slices.ContainsFunc(names, func(x string) bool { return sameRRData(x, rd) }) {
					return nil, t.errorf("%s: item %d (%s) holds %s, which %s does not name; name every rrdata of an item on its side",
						t.where(r.Name), i, t.red.Redact(strings.Join(it.Rrdatas, " ")), t.red.Redact(rd), side[i])
				}
			}
		}
	}
	var missing []string
	for _, s := range []struct {
		data []string
		name string
		out  *[]int
	}{{t.primary, "primary", &sp.primary}, {t.secondary, "secondary", &sp.secondary}} {
		for _, rd := range s.data {
			found := false
			for i, it := range sp.items {
				if slices.ContainsFunc(it.Rrdatas, func(x string) bool { return sameRRData(x, rd) }) {
					found = true
					if !slices.Contains(*s.out, i) {
						*s.out = append(*s.out, i)
					}
				}
			}
			if !found {
				missing = append(missing, t.red.Redact(rd))
			}
		}
	}
	if len(missing) > 0 {
		var has []string
		for _, it := range sp.items {
			has = append(has, "["+t.red.Redact(strings.Join(it.Rrdatas, " "))+"]")
		}
		return nil, t.errorf("%s has no WRR item holding %s (its items: %s)", t.where(r.Name), strings.Join(missing, ", "), strings.Join(has, ", "))
	}
	for i := range sp.items {
		if side[i] == "" {
			sp.foreign = append(sp.foreign, i)
		}
	}
	return sp, nil
}

func (t *CloudDNSWRR) share(r *dns.ResourceRecordSet, sp *wrrSplit) (providers.Share, error) {
	var p, total float64
	for _, i := range sp.primary {
		p += sp.items[i].Weight
	}
	total = p
	for _, i := range sp.secondary {
		total += sp.items[i].Weight
	}
	if total == 0 {
		return 0, t.errorf("%s: every named item has weight 0, so %d other items take all its traffic", t.where(r.Name), len(sp.foreign))
	}
	return providers.RoundShare(int64(math.Round(p*1000)), int64(math.Round(total*1000))), nil
}

// Observe implements providers.Target.
func (t *CloudDNSWRR) Observe(ctx context.Context) (providers.Share, error) {
	r, err := t.cachedRead(ctx)
	if err != nil {
		return 0, t.wrap(err)
	}
	sp, err := t.find(r)
	if err != nil {
		return 0, err
	}
	return t.share(r, sp)
}

// Foreign implements providers.ForeignReporter: the items the policy does
// not name, as `item [RRDATAS] (weight N)`, sorted.
func (t *CloudDNSWRR) Foreign(ctx context.Context) ([]string, error) {
	r, err := t.cachedRead(ctx)
	if err != nil {
		return nil, t.wrap(err)
	}
	sp, err := t.find(r)
	if err != nil {
		return nil, err
	}
	return describe(sp.foreign, func(i int) string {
		it := sp.items[i]
		what := "[" + t.red.Redact(strings.Join(it.Rrdatas, " ")) + "]"
		if it.HealthCheckedTargets != nil {
			what += " (health-checked)"
		}
		return fmt.Sprintf("item %s (weight %v)", what, it.Weight)
	}), nil
}

// edit returns a changed copy of r with the named items weighted for
// want, or nil when r already delivers that share. The weights count
// items, not rrdatas: an item may hold several.
func (t *CloudDNSWRR) edit(r *dns.ResourceRecordSet, want providers.Share) (*dns.ResourceRecordSet, error) {
	next, err := cloneRRSet(r)
	if err != nil {
		return nil, t.errorf("%s: %v", t.where(r.Name), err)
	}
	sp, err := t.find(next)
	if err != nil {
		return nil, err
	}
	a, b := providers.SplitWeights(want, len(sp.primary), len(sp.secondary), wrrMaxWeight)
	P, S := int64(len(sp.primary)), int64(len(sp.secondary))
	if cur, err := t.share(next, sp); err == nil && cur == providers.RoundShare(P*int64(a), P*int64(a)+S*int64(b)) {
		return nil, nil
	}
	changed := false
	for _, s := range []struct {
		idx []int
		w   int
	}{{sp.primary, a}, {sp.secondary, b}} {
		for _, i := range s.idx {
			if sp.items[i].Weight != float64(s.w) {
				sp.items[i].Weight = float64(s.w)
				changed = true
			}
		}
	}
	if !changed {
		return nil, nil
	}
	return next, nil
}

func cloneRRSet(r *dns.ResourceRecordSet) (*dns.ResourceRecordSet, error) {
	b, err := r.MarshalJSON()
	if err != nil {
		return nil, err
	}
	out := &dns.ResourceRecordSet{}
	return out, json.Unmarshal(b, out)
}

// wire makes weight 0 go over the wire (the SDK omits zero values).
func wire(r *dns.ResourceRecordSet) *dns.ResourceRecordSet {
	if r.RoutingPolicy != nil && r.RoutingPolicy.Wrr != nil {
		for _, it := range r.RoutingPolicy.Wrr.Items {
			if !slices.Contains(it.ForceSendFields, "Weight") {
				it.ForceSendFields = append(it.ForceSendFields, "Weight")
			}
		}
	}
	return r
}

// Apply implements providers.Target.
func (t *CloudDNSWRR) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if err := providers.CheckShare(want); err != nil {
		return 0, t.errorf("%v", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, t.wrap(err)
	}
	unlock, err := providers.Lock(ctx, t.zoneKey(), t.red.Redact("managed zone "+t.zone))
	if err != nil {
		return 0, t.wrap(err)
	}
	err = t.write(ctx, want)
	providers.RunCacheFrom(ctx).Forget(t.cacheKey())
	unlock()
	if err != nil {
		return 0, err
	}
	return t.Observe(ctx)
}

// write is the read-modify-write of Apply, under the zone's lock.
func (t *CloudDNSWRR) write(ctx context.Context, want providers.Share) error {
	st := &stagedWRR{t: t, want: want}
	if err := zoneChange(ctx, []*stagedWRR{st}); err != nil {
		return err
	}
	return st.err
}

// zoneChange makes ONE changes.create in the zone of every staging of
// ok (all of one zone): for each record set they steer it starts from the
// run's read (a fresh read after a conflict), applies every staging's
// edit in turn, and puts the changed record sets in one change: the old
// ones in deletions, the new ones in additions. On 412 or 409 it reads
// again and redoes it, MaxConflicts times in all. An error of one
// staging's edit sets its err and leaves it out; the error returned is
// that of the change. The caller holds the zone's lock.
func zoneChange(ctx context.Context, ok []*stagedWRR) error {
	t := ok[0].t
	svc, err := t.acct.dnsService(ctx)
	if err != nil {
		return t.wrap(err)
	}
	defer func() {
		for _, st := range ok {
			providers.RunCacheFrom(ctx).Forget(st.t.cacheKey())
		}
	}()
	var last error
	var where []string
	for attempt := 1; attempt <= MaxConflicts; attempt++ {
		type rec struct {
			old, next *dns.ResourceRecordSet
		}
		var order []string
		recs := map[string]*rec{}
		for _, st := range ok {
			st.err = nil
			read := st.t.cachedRead
			if attempt > 1 {
				read = st.t.read
			}
			cur, err := read(ctx)
			if err != nil {
				st.err = st.t.wrap(err)
				continue
			}
			k := strings.ToLower(cur.Name) + " " + strings.ToUpper(cur.Type)
			r := recs[k]
			if r == nil {
				r = &rec{old: cur}
				recs[k] = r
				order = append(order, k)
			}
			base := r.old
			if r.next != nil {
				base = r.next
			}
			next, err := st.t.edit(base, st.want)
			if err != nil {
				st.err = err
				continue
			}
			if next != nil {
				r.next = next
			}
		}
		change := &dns.Change{}
		where = where[:0]
		for _, k := range order {
			r := recs[k]
			if r.next == nil {
				continue
			}
			old, err := cloneRRSet(r.old)
			if err != nil {
				return t.errorf("%s: %v", t.where(r.old.Name), err)
			}
			change.Deletions = append(change.Deletions, wire(old))
			change.Additions = append(change.Additions, wire(r.next))
			where = append(where, r.old.Name+" "+r.old.Type)
		}
		if len(change.Additions) == 0 {
			return nil
		}
		var done *dns.Change
		err = call(ctx, "dns.changes.create", func(ctx context.Context) error {
			var err error
			done, err = svc.Changes.Create(t.acct.set.project, t.zone, change).Context(ctx).Do()
			return err
		})
		if err == nil {
			return t.waitChange(ctx, svc, done, strings.Join(where, ", "))
		}
		if !isConflict(err) && statusOf(err) != 409 {
			return t.callErr(err, strings.Join(where, ", "))
		}
		last = err
	}
	return t.errorf("%s: gave up after %d attempts, each refused (HTTP 412/409) because another writer changed the record set between fbctl's read and its change; nothing was changed (last: %w)",
		t.red.Redact(fmt.Sprintf("record sets %s in managed zone %s (project %s)", strings.Join(where, ", "), t.zone, t.acct.set.project)), MaxConflicts, last)
}

// waitChange polls changes.get until the change is done.
func (t *CloudDNSWRR) waitChange(ctx context.Context, svc *dns.Service, c *dns.Change, fqdn string) error {
	ctx, cancel := context.WithTimeout(ctx, t.opts.maxWait)
	defer cancel()
	d := t.opts.pollInterval
	for c.Status != "done" {
		if err := providers.Sleep(ctx, d); err != nil {
			return &providers.UncertainError{Err: t.errorf("%s: waiting for change %s: %w", t.where(fqdn), c.Id, err)}
		}
		d = min(2*d, 8*t.opts.pollInterval)
		id := c.Id
		err := call(ctx, "dns.changes.get", func(ctx context.Context) error {
			var err error
			c, err = svc.Changes.Get(t.acct.set.project, t.zone, id).Context(ctx).Do()
			return err
		})
		if err != nil {
			return &providers.UncertainError{Err: t.callErr(err, fqdn)}
		}
	}
	return nil
}
