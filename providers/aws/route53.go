package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/fbctl/fbctl/providers"
)

// Route53Weighted is the route53_weighted target: the weighted record sets
// of one name and type in a hosted zone, the primary's and the
// secondary's by SetIdentifier.
//
// # Reading the share
//
// Observe reads the whole hosted zone with one ListResourceRecordSets walk
// (every page), kept in the run cache (providers.RunCache) under the API
// endpoint and the zone ID, so that every target of one run on the same
// zone shares that one walk. Names compare without the trailing dot, case
// and Route 53's \ooo escapes ("\052" is "*"). The share is the primary
// sets' summed weight over the summed weight of every named set, rounded
// to a basis point. A named set that is missing, or that is not a weighted
// set, is an error naming it; so is a group whose named sets all weigh 0,
// because Route 53 then answers every set of the group alike (or only the
// sets fbctl does not name) and the weights no longer say where traffic
// goes; and so is a named set weighing less than 0 or more than 255, which
// Route 53 never stores (an endpoint that is not Route 53, such as moto,
// may): Observe reads no share from it and Apply does not overwrite it.
//
// # Foreign weight
//
// Weighted sets of the same name and type that the policy does not name
// take traffic too, so the delivered split differs from the share. Observe
// does not fail on them (it reports the split between the sets it steers,
// which is what Apply sets); Foreign lists them, for plan and validate to
// report, at no extra API cost within a run.
//
// # Writing the share
//
// Apply gives every primary set one weight a and every secondary set one
// weight b in 0..255, not both 0, chosen by providers.SplitWeights (closest to the
// share; ties to the lower share, then to the weights a person expects).
// If the live weights already deliver that share it writes nothing.
// Otherwise it sends ONE ChangeResourceRecordSets holding an UPSERT of
// each named set whose weight changes, each a copy of the set as listed
// with only Weight replaced (TTL, ResourceRecords, AliasTarget,
// HealthCheckId, SetIdentifier and every other field as they were; the
// one exception is a TTL listed on an alias set, which Route 53 never lists
// and rejects in a change, and which is left out), so the change is atomic. It then forgets the zone in the run cache and
// reads it again: the share it returns is read back.
//
// # Waiting
//
// Wait polls GetChange for the last change Apply made until Route 53
// reports INSYNC, every poll interval, within the context and at most the
// maximum wait (WithPollInterval, WithMaxWait).
//
// Apply calls of one process on the same endpoint and zone are serialized;
// every method is safe for concurrent use.
type Route53Weighted struct {
	name      string
	acct      *account
	zoneID    string // from zone_id, without "/hostedzone/"; "" when zone is given
	zoneName  string // normalized zone name, when given
	record    string // normalized record name
	display   string // the record name as written, for messages
	rtype     string
	primary   []string
	secondary []string
	res       providers.Share
	red       *providers.Redactor
	opt       options

	mu         sync.Mutex
	lastChange string // ID of the last change Apply made, until INSYNC
}

var (
	_ providers.Target = (*Route53Weighted)(nil)
	_ providers.Waiter = (*Route53Weighted)(nil)
)

// maxWeightedSets is Route 53's limit of weighted sets per name and type.
const maxWeightedSets = 100

// NewRoute53Weighted builds a route53_weighted target from its block.
func NewRoute53Weighted(cfg providers.Config, opts ...Option) (*Route53Weighted, error) {
	acct, err := accountFor(cfg.Provider)
	if err != nil {
		return nil, err
	}
	red := acct.red.Merged(nil)
	d := providers.NewDecoder(fmt.Sprintf("route53_weighted %q", cfg.Name), cfg.Attrs, red)
	zoneID := d.OptStr("zone_id")
	zone := d.OptStr("zone")
	record := d.Str("name")
	rtype := strings.ToUpper(strings.TrimSpace(d.OptStr("type")))
	if rtype == "" {
		rtype = "A"
	}
	primary, secondary := d.Sides(route53Members)
	if d.Err() == nil {
		switch {
		case (zoneID == "") == (zone == ""):
			d.Fail(d.Errorf("set exactly one of zone_id and zone"))
		case zoneID != "" && strings.TrimPrefix(strings.TrimPrefix(zoneID, "/"), "hostedzone/") == "":
			d.Fail(d.Errorf("zone_id is empty"))
		}
		for _, id := range append(append([]string{}, primary...), secondary...) {
			if len(id) > 128 {
				d.Fail(d.Errorf("set identifier %s is longer than 128 characters", red.Quote(id)))
			}
		}
	}
	if d.Err() != nil {
		return nil, red.Hide(d.Err())
	}
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	t := &Route53Weighted{
		name:      cfg.Name,
		acct:      acct,
		zoneID:    strings.TrimPrefix(strings.TrimPrefix(zoneID, "/"), "hostedzone/"),
		zoneName:  normName(zone),
		record:    normName(record),
		display:   strings.TrimSuffix(record, ".") + ".",
		rtype:     rtype,
		primary:   primary,
		secondary: secondary,
		res:       providers.SplitResolution(len(primary), len(secondary), route53MaxWeight),
		red:       red,
		opt:       o,
	}
	return t, nil
}

// Resolution implements providers.Target.
func (t *Route53Weighted) Resolution() providers.Share { return t.res }

// Observe implements providers.Target.
func (t *Route53Weighted) Observe(ctx context.Context) (providers.Share, error) {
	if err := ctx.Err(); err != nil {
		return 0, t.errorf("%w", err)
	}
	zone, g, err := t.read(ctx)
	if err != nil {
		return 0, err
	}
	return t.share(zone, g)
}

// Foreign lists the weighted sets of the same name and type that the
// policy does not name, as `set "ID" (weight N)`, sorted. They take
// traffic the share does not account for. Within a run it costs no API
// call beyond Observe's.
func (t *Route53Weighted) Foreign(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, t.errorf("%w", err)
	}
	_, g, err := t.read(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range g.foreign {
		w := "no weight"
		if rr.Weight != nil {
			w = "weight " + strconv.FormatInt(*rr.Weight, 10)
		}
		out = append(out, fmt.Sprintf("set %s (%s)", t.red.Quote(aws.ToString(rr.SetIdentifier)), w))
	}
	sort.Strings(out)
	return out, nil
}

// Apply implements providers.Target.
func (t *Route53Weighted) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if err := providers.CheckShare(want); err != nil {
		return 0, t.errorf("%v", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, t.errorf("%w", err)
	}
	zone, err := t.zone(ctx)
	if err != nil {
		return 0, err
	}
	unlock, err := providers.Lock(ctx, "route53\x00"+t.acct.endpointKey()+"\x00"+zone, "hosted zone "+t.red.Redact(zone))
	if err != nil {
		return 0, t.errorf("%w", err)
	}
	defer unlock()

	_, g, err := t.read(ctx)
	if err != nil {
		return 0, err
	}
	P, S := len(t.primary), len(t.secondary)
	a, b := providers.SplitWeights(want, P, S, route53MaxWeight)
	target := shareOf(int64(P*a), int64(P*a+S*b))
	if cur, err := t.share(zone, g); err == nil && cur == target {
		return cur, nil
	}
	changes := weightChanges(g, a, b)
	if len(changes) > 0 {
		client, err := t.acct.route53(ctx)
		if err != nil {
			return 0, t.errorf("%w", err)
		}
		out, err := client.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
			HostedZoneId: aws.String(zone),
			ChangeBatch: &r53types.ChangeBatch{
				Changes: changes,
				Comment: aws.String(fmt.Sprintf("fbctl route53_weighted %q: share %s", t.name, target)),
			},
		})
		// Whatever happened, the next read must be a real one.
		providers.RunCacheFrom(ctx).Forget(t.recordsKey(zone))
		if err != nil {
			return 0, t.errorf("hosted zone %s: changing the weights of %s %s: %w", zone, t.display, t.rtype, callError("ChangeResourceRecordSets", err))
		}
		if out.ChangeInfo != nil && out.ChangeInfo.Id != nil {
			t.mu.Lock()
			t.lastChange = *out.ChangeInfo.Id
			t.mu.Unlock()
		}
	}
	_, g, err = t.read(ctx)
	if err != nil {
		return 0, err
	}
	return t.share(zone, g)
}

// Wait implements providers.Waiter: it returns when the last change Apply
// (or the run's batch) made is INSYNC (at once when there is none). The
// targets of one run batched into one change share its polling through the
// run cache.
func (t *Route53Weighted) Wait(ctx context.Context) error {
	t.mu.Lock()
	id := t.lastChange
	t.mu.Unlock()
	if id == "" {
		return nil
	}
	key := "aws/route53/insync\x00" + t.acct.endpointKey() + "\x00" + id
	if _, err := providers.Cached(ctx, key, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, t.waitChange(ctx, id)
	}); err != nil {
		return t.errorf("%w", err)
	}
	t.mu.Lock()
	if t.lastChange == id {
		t.lastChange = ""
	}
	t.mu.Unlock()
	return nil
}

// waitChange polls GetChange until the change is INSYNC. Its errors name no
// target: they are shared by every target waiting for the change.
func (t *Route53Weighted) waitChange(ctx context.Context, id string) error {
	client, err := t.acct.route53(ctx)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, t.opt.maxWait)
	defer cancel()
	tick := time.NewTicker(t.opt.pollInterval)
	defer tick.Stop()
	status := "unknown"
	for {
		out, err := client.GetChange(wctx, &route53.GetChangeInput{Id: aws.String(id)})
		switch {
		case err == nil && out.ChangeInfo != nil && out.ChangeInfo.Status == r53types.ChangeStatusInsync:
			return nil
		case err == nil && out.ChangeInfo != nil:
			status = string(out.ChangeInfo.Status)
		case err != nil && !isContextErr(err):
			return fmt.Errorf("waiting for change %s: %w", id, callError("GetChange", err))
		}
		select {
		case <-tick.C:
		case <-wctx.Done():
			if ctx.Err() != nil {
				return fmt.Errorf("waiting for change %s (last status %s): %w", id, status, ctx.Err())
			}
			return fmt.Errorf("change %s is still %s after %s: %w", id, status, t.opt.maxWait, context.DeadlineExceeded)
		}
	}
}

// weightChanges is the UPSERT of each named set whose weight changes: a
// copy of the set as listed with only Weight replaced (primary sets get a,
// secondary sets b).
func weightChanges(g *group, a, b int) []r53types.Change {
	var changes []r53types.Change
	add := func(sets []r53types.ResourceRecordSet, w int) {
		for _, rr := range sets {
			if rr.Weight != nil && *rr.Weight == int64(w) {
				continue
			}
			next := rr // a copy: every field as listed, only the weight new
			next.Weight = aws.Int64(int64(w))
			if next.AliasTarget != nil {
				// Route 53 never lists a TTL for an alias set and rejects
				// one in a change; moto lists TTL 0 for them.
				next.TTL = nil
			}
			changes = append(changes, r53types.Change{Action: r53types.ChangeActionUpsert, ResourceRecordSet: &next})
		}
	}
	add(g.primary, a)
	add(g.secondary, b)
	return changes
}

// group is the weighted record sets of the target's name and type.
type group struct {
	primary, secondary []r53types.ResourceRecordSet // in declared order
	foreign            []r53types.ResourceRecordSet // weighted sets the policy does not name
}

// read returns the zone ID and the named sets, from the run's walk.
func (t *Route53Weighted) read(ctx context.Context) (string, *group, error) {
	zone, err := t.zone(ctx)
	if err != nil {
		return "", nil, err
	}
	zs, err := t.records(ctx, zone)
	if err != nil {
		return "", nil, err
	}
	g, err := t.pick(zone, zs)
	return zone, g, err
}

func (t *Route53Weighted) pick(zone string, zs *zoneSets) (*group, error) {
	byID := map[string]r53types.ResourceRecordSet{}
	var ids []string
	for _, rr := range zs.group(t.record, t.rtype) {
		id := aws.ToString(rr.SetIdentifier)
		byID[id] = rr
		ids = append(ids, id)
	}
	named := map[string]bool{}
	g := &group{}
	var missing, unweighted []string
	pick := func(list []string) []r53types.ResourceRecordSet {
		var out []r53types.ResourceRecordSet
		for _, id := range list {
			named[id] = true
			rr, ok := byID[id]
			switch {
			case !ok:
				missing = append(missing, t.red.Quote(id))
			case rr.Weight == nil:
				unweighted = append(unweighted, t.red.Quote(id))
			default:
				out = append(out, rr)
			}
		}
		return out
	}
	g.primary = pick(t.primary)
	g.secondary = pick(t.secondary)
	for _, id := range ids {
		if !named[id] && byID[id].Weight != nil {
			g.foreign = append(g.foreign, byID[id])
		}
	}
	where := fmt.Sprintf("hosted zone %s: %s %s", zone, t.display, t.rtype)
	if len(missing) > 0 {
		has := "there is no record set of that name and type"
		if len(ids) > 0 {
			q := make([]string, 0, len(ids))
			for _, id := range ids {
				if id == "" {
					q = append(q, "a set without identifier")
				} else {
					q = append(q, t.red.Quote(id))
				}
			}
			sort.Strings(q)
			if len(q) > 20 {
				q = append(q[:20], "...")
			}
			has = "its sets are " + strings.Join(q, ", ")
		}
		return nil, t.errorf("%s: no weighted record set with set identifier %s (%s)", where, strings.Join(missing, ", "), has)
	}
	if len(unweighted) > 0 {
		return nil, t.errorf("%s: record set %s has no weight: it is not a weighted record set", where, strings.Join(unweighted, ", "))
	}
	var bad []string
	for _, rr := range append(append([]r53types.ResourceRecordSet{}, g.primary...), g.secondary...) {
		if w := *rr.Weight; w < 0 || w > route53MaxWeight {
			bad = append(bad, fmt.Sprintf("record set %s has weight %d", t.red.Quote(aws.ToString(rr.SetIdentifier)), w))
		}
	}
	if len(bad) > 0 {
		return nil, t.errorf("%s: %s, outside Route 53's range 0-%d: Route 53 never stores such a weight, so fbctl neither reads a share from it nor overwrites it (correct the weight, and check that endpoint_url points at Route 53)",
			where, strings.Join(bad, ", "), route53MaxWeight)
	}
	return g, nil
}

// share is the primary's part of the named sets' weight.
func (t *Route53Weighted) share(zone string, g *group) (providers.Share, error) {
	var p, total int64
	for _, rr := range g.primary {
		p += *rr.Weight
	}
	total = p
	for _, rr := range g.secondary {
		total += *rr.Weight
	}
	if total == 0 {
		weighted := 0
		for _, rr := range g.foreign {
			if aws.ToInt64(rr.Weight) > 0 {
				weighted++
			}
		}
		what := "so Route 53 answers every set of the group equally and the weights do not define a share"
		if weighted > 0 {
			what = fmt.Sprintf("so the %d weighted sets fbctl does not name take all the traffic", weighted)
		}
		return 0, t.errorf("hosted zone %s: %s %s: every named set (%s) has weight 0, %s", zone, t.display, t.rtype, t.quoteAll(), what)
	}
	return shareOf(p, total), nil
}

func (t *Route53Weighted) quoteAll() string {
	var q []string
	for _, id := range append(append([]string{}, t.primary...), t.secondary...) {
		q = append(q, t.red.Quote(id))
	}
	return strings.Join(q, ", ")
}

// zone returns the hosted zone ID, looking the zone up by name once per
// run when the block gives zone.
func (t *Route53Weighted) zone(ctx context.Context) (string, error) {
	if t.zoneID != "" {
		return t.zoneID, nil
	}
	key := "aws/route53/zone-by-name\x00" + t.acct.endpointKey() + "\x00" + t.zoneName
	// The cached value and error are shared by every target of the run on
	// this zone: they carry no target name, which each caller adds.
	id, err := providers.Cached(ctx, key, func(ctx context.Context) (string, error) {
		return lookupZone(ctx, t.acct, t.zoneName)
	})
	if err != nil {
		return "", t.errorf("%w", err)
	}
	return id, nil
}

// lookupZone finds the ID of the one hosted zone named name (normalized).
func lookupZone(ctx context.Context, acct *account, name string) (string, error) {
	client, err := acct.route53(ctx)
	if err != nil {
		return "", err
	}
	out, err := client.ListHostedZonesByName(ctx, &route53.ListHostedZonesByNameInput{
		DNSName:  aws.String(name + "."),
		MaxItems: aws.Int32(10),
	})
	if err != nil {
		return "", fmt.Errorf("looking up hosted zone %s.: %w", name, callError("ListHostedZonesByName", err))
	}
	var found []string
	for _, z := range out.HostedZones {
		if normName(aws.ToString(z.Name)) != name {
			continue
		}
		id := strings.TrimPrefix(aws.ToString(z.Id), "/hostedzone/")
		kind := "public"
		if z.Config != nil && z.Config.PrivateZone {
			kind = "private"
		}
		found = append(found, id+" ("+kind+")")
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no hosted zone named %s. in the account (set zone_id, or check the provider's credentials)", name)
	case 1:
		return strings.Fields(found[0])[0], nil
	default:
		return "", fmt.Errorf("several hosted zones are named %s. (%s): set zone_id to say which", name, strings.Join(found, ", "))
	}
}

func (t *Route53Weighted) recordsKey(zone string) string {
	return "aws/route53/rrsets\x00" + t.acct.endpointKey() + "\x00" + zone
}

// zoneSets is one walk of a hosted zone, indexed by name and type once
// per walk, so that each target of the run finds its sets without
// scanning the zone (which made a run over a zone of n targets O(n²)).
type zoneSets struct {
	sets []r53types.ResourceRecordSet
	// byGroup holds the indices in sets of each normalized name and upper
	// case type, in the walk's order.
	byGroup map[string][]int
}

func newZoneSets(sets []r53types.ResourceRecordSet) *zoneSets {
	zs := &zoneSets{sets: sets, byGroup: make(map[string][]int, len(sets))}
	for i, rr := range sets {
		k := groupKey(normName(aws.ToString(rr.Name)), string(rr.Type))
		zs.byGroup[k] = append(zs.byGroup[k], i)
	}
	return zs
}

func groupKey(name, rtype string) string { return name + "\x00" + strings.ToUpper(rtype) }

// group returns the sets of a normalized name and a type (any case), in
// the walk's order. They are shared: callers copy what they change.
func (zs *zoneSets) group(name, rtype string) []r53types.ResourceRecordSet {
	idx := zs.byGroup[groupKey(name, rtype)]
	out := make([]r53types.ResourceRecordSet, len(idx))
	for j, i := range idx {
		out[j] = zs.sets[i]
	}
	return out
}

// records returns every record set of the zone: one ListResourceRecordSets
// walk per run, shared by every target on the zone. The sets are shared:
// callers copy what they change.
func (t *Route53Weighted) records(ctx context.Context, zone string) (*zoneSets, error) {
	zs, err := providers.Cached(ctx, t.recordsKey(zone), func(ctx context.Context) (*zoneSets, error) {
		client, err := t.acct.route53(ctx)
		if err != nil {
			return nil, err
		}
		sets, err := listZone(ctx, client, zone, func(err error) error {
			return fmt.Errorf("hosted zone %s: listing record sets: %w", zone, callError("ListResourceRecordSets", err))
		})
		if err != nil {
			return nil, err
		}
		return newZoneSets(sets), nil
	})
	if err != nil {
		return nil, t.errorf("%w", err)
	}
	return zs, nil
}

// listZone walks every page of a hosted zone's record sets.
func listZone(ctx context.Context, client *route53.Client, zone string, wrap func(error) error) ([]r53types.ResourceRecordSet, error) {
	in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)}
	var all []r53types.ResourceRecordSet
	for page := 0; ; page++ {
		out, err := client.ListResourceRecordSets(ctx, in)
		if err != nil {
			return nil, wrap(err)
		}
		all = append(all, out.ResourceRecordSets...)
		if !out.IsTruncated {
			return all, nil
		}
		if out.NextRecordName == nil || page > 100000 {
			return nil, wrap(errors.New("the listing is truncated but names no next record"))
		}
		in = &route53.ListResourceRecordSetsInput{
			HostedZoneId:          aws.String(zone),
			StartRecordName:       out.NextRecordName,
			StartRecordType:       out.NextRecordType,
			StartRecordIdentifier: out.NextRecordIdentifier,
		}
	}
}

// errorf prefixes a message with the kind and block name and hides every
// sensitive value.
func (t *Route53Weighted) errorf(format string, args ...any) error {
	return t.red.Hide(fmt.Errorf("route53_weighted %q: "+format, append([]any{t.name}, args...)...))
}

// normName makes a DNS name comparable: Route 53's \ooo escapes decoded,
// lower case, no trailing dot.
func normName(s string) string {
	if strings.Contains(s, `\`) {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
				if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
					b.WriteByte(byte(n))
					i += 3
					continue
				}
			}
			b.WriteByte(s[i])
		}
		s = b.String()
	}
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
