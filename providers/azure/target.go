package azure

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/trafficmanager/armtrafficmanager"

	"github.com/fbctl/fbctl/providers"
)

// Target is the azure_traffic_manager target: the weights and statuses of
// some endpoints of one Traffic Manager profile whose routing method is
// Weighted.
//
// # Reading the share
//
// Observe reads the profile (GET, once per run through the run cache),
// which lists its endpoints. Traffic Manager answers only with enabled
// endpoints, in proportion to their weights, so the share is the weights
// of the enabled primary endpoints over the weights of all enabled
// endpoints. An enabled endpoint in neither list is foreign: it counts in
// the denominator and is reported by Foreign; it is never changed. A
// profile with another routing method (Priority, Performance, ...), a
// named endpoint the profile lacks, a weight outside 1-1000 in the data,
// or no enabled weight at all is an error naming the profile or endpoint,
// for Observe and Apply alike, and nothing is changed.
//
// # Writing the share
//
// Traffic Manager weights are 1-1000; there is no weight 0. Apply picks
// the weights a (each primary endpoint) and b (each secondary) in 0-1000
// as for HAProxy (providers.SplitWeights); a side whose weight is 0 is set
// to endpointStatus Disabled instead, its weight kept, and every other
// named endpoint is Enabled. So 0 % disables the primary endpoints and 100
// % the secondary ones. Each endpoint whose weight or status changes gets
// one PATCH (EndpointsClient.Update) of those two properties, at its own
// endpoint type (taken from the profile: azure, external or nested);
// other endpoints, other properties and the profile's settings are kept.
// An endpoint already as wanted is not written. Apply then reads the
// profile back and returns the share it holds.
//
// # Resolution
//
// The widest gap between neighbouring shares the weights 0-1000 (0 being
// Disabled) can express for the endpoint counts: 1/1001 of the traffic,
// 10 basis points, for one endpoint a side. Traffic Manager answers DNS
// queries, so the real split also depends on resolvers' caching (the
// profile's TTL).
//
// Apply calls of one process on the same profile are serialized; every
// method is safe for concurrent use and honours ctx.
type Target struct {
	name  string
	spec  spec
	acct  *account
	red   *providers.Redactor
	res   providers.Share
	lock  chan struct{}
	cache string
	where string
}

var (
	_ providers.Target          = (*Target)(nil)
	_ providers.ForeignReporter = (*Target)(nil)
)

var profileLocks sync.Map // endpoint + subscription + group + profile -> chan struct{}

// NewTarget builds an azure_traffic_manager target from its block and its
// azure provider block. It does no I/O.
func NewTarget(cfg providers.Config) (*Target, error) {
	red := &providers.Redactor{}
	what := fmt.Sprintf("%s %q", Kind, cfg.Name)
	acct, err := accountFor(what, cfg.Provider, red)
	if err != nil {
		return nil, red.Hide(err)
	}
	for _, a := range []string{"resource_group", "profile", "primary", "secondary"} {
		if !cfg.Attrs.IsNull() && cfg.Attrs.Type().IsObjectType() && cfg.Attrs.Type().HasAttribute(a) && cfg.Attrs.GetAttr(a).ContainsMarked() {
			red.AddValue(cfg.Attrs.GetAttr(a))
		}
	}
	s, problems, known := parseSpec(cfg.Attrs)
	if len(problems) > 0 {
		return nil, red.Hide(fmt.Errorf("%s: %s", what, strings.TrimSuffix(problems[0].Detail, ".")))
	}
	if !known {
		return nil, red.Hide(fmt.Errorf("%s: the attributes are not all known", what))
	}
	ident := strings.ToLower(acct.endpoint + "\x00" + acct.sub + "\x00" + s.group + "\x00" + s.profile)
	lock, _ := profileLocks.LoadOrStore(ident, make(chan struct{}, 1))
	return &Target{
		name:  cfg.Name,
		spec:  s,
		acct:  acct,
		red:   red,
		res:   providers.SplitResolution(len(s.primary), len(s.secondary), MaxWeight),
		lock:  lock.(chan struct{}),
		cache: "azure-tm\x00" + ident,
		where: fmt.Sprintf("Traffic Manager profile %s (resource group %s)", red.Quote(s.profile), red.Quote(s.group)),
	}, nil
}

// Resolution implements providers.Target.
func (t *Target) Resolution() providers.Share { return t.res }

// ep is an endpoint as read.
type ep struct {
	name    string
	typ     armtrafficmanager.EndpointType
	weight  int64
	enabled bool
}

// state is the profile as read.
type state struct {
	named   map[string]ep // lower-case name -> endpoint
	foreign []ep          // enabled endpoints in neither list
	all     []ep
}

// Observe implements providers.Target.
func (t *Target) Observe(ctx context.Context) (providers.Share, error) {
	st, err := t.read(ctx, true)
	if err != nil {
		return 0, err
	}
	return t.share(st)
}

// Foreign implements providers.ForeignReporter: the enabled endpoints in
// neither list.
func (t *Target) Foreign(ctx context.Context) ([]string, error) {
	st, err := t.read(ctx, true)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(st.foreign))
	for _, e := range st.foreign {
		out = append(out, t.red.Redact(fmt.Sprintf("endpoint %s (weight %d)", e.name, e.weight)))
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
		return 0, t.errorf("waiting for another change of this profile: %w", ctx.Err())
	}
	cur, err := t.read(ctx, false)
	if err != nil {
		return 0, err
	}
	a, b := providers.SplitWeights(want, len(t.spec.primary), len(t.spec.secondary), MaxWeight)
	_, eps, err := t.acct.clients()
	if err != nil {
		return 0, t.wrap(err)
	}
	wrote := false
	for i, side := range [][]string{t.spec.primary, t.spec.secondary} {
		w := []int{a, b}[i]
		for _, n := range side {
			e := cur.named[strings.ToLower(n)]
			weight, enabled := int64(w), w > 0
			if !enabled {
				weight = e.weight // Traffic Manager has no 0: Disabled, weight kept
			}
			if e.weight == weight && e.enabled == enabled {
				continue
			}
			status := armtrafficmanager.EndpointStatusEnabled
			if !enabled {
				status = armtrafficmanager.EndpointStatusDisabled
			}
			_, err := eps.Update(ctx, t.spec.group, t.spec.profile, e.typ, e.name, armtrafficmanager.Endpoint{
				Properties: &armtrafficmanager.EndpointProperties{Weight: to.Ptr(weight), EndpointStatus: &status},
			}, nil)
			providers.ObserveRequest(ctx, ProviderType, "PATCH endpoint", code(err))
			wrote = true
			if err != nil {
				if rc := providers.RunCacheFrom(ctx); rc != nil {
					rc.Forget(t.cache)
				}
				return 0, t.wrap(fmt.Errorf("updating endpoint %s to weight %d, %s: %w", t.red.Quote(e.name), weight, status, classify(err)))
			}
		}
	}
	if !wrote {
		return t.share(cur)
	}
	st, err := t.read(ctx, false)
	if err != nil {
		return 0, err
	}
	return t.share(st)
}

// share is the enabled primary weight over all enabled weight.
func (t *Target) share(st state) (providers.Share, error) {
	var p, total int64
	for _, e := range st.all {
		if e.enabled {
			total += e.weight
		}
	}
	for _, n := range t.spec.primary {
		if e := st.named[strings.ToLower(n)]; e.enabled {
			p += e.weight
		}
	}
	if total == 0 {
		return 0, t.errorf("no endpoint is enabled, so Traffic Manager answers nothing")
	}
	return providers.RoundShare(p, total), nil
}

// read reads the profile (through the run cache when cached) and finds
// the named endpoints.
func (t *Target) read(ctx context.Context, cached bool) (state, error) {
	load := func(ctx context.Context) (*armtrafficmanager.Profile, error) {
		return t.acct.getProfile(ctx, t.spec.group, t.spec.profile)
	}
	var prof *armtrafficmanager.Profile
	var err error
	if cached {
		prof, err = providers.Cached(ctx, t.cache, load)
	} else {
		prof, err = load(ctx)
		if rc := providers.RunCacheFrom(ctx); rc != nil {
			rc.Forget(t.cache)
		}
	}
	if err != nil {
		switch status(err) {
		case 404:
			return state{}, t.wrap(fmt.Errorf("profile not found (%w)", classify(err)))
		case 401, 403:
			return state{}, t.wrap(fmt.Errorf("ARM refused the credential or its role (%w)", classify(err)))
		}
		err = classify(err)
		return state{}, t.wrap(fmt.Errorf("reading the profile: %w", err))
	}
	if prof.Properties == nil || prof.Properties.TrafficRoutingMethod == nil {
		return state{}, t.errorf("the profile has no traffic routing method")
	}
	if m := *prof.Properties.TrafficRoutingMethod; m != armtrafficmanager.TrafficRoutingMethodWeighted {
		return state{}, t.errorf("the profile uses the %s routing method; %s needs Weighted; nothing was changed", m, Kind)
	}
	st := state{named: map[string]ep{}}
	for _, e := range prof.Properties.Endpoints {
		if e == nil || e.Name == nil {
			continue
		}
		x := ep{name: *e.Name, typ: endpointType(e.Type)}
		if pr := e.Properties; pr != nil {
			if pr.Weight != nil {
				x.weight = *pr.Weight
			}
			x.enabled = pr.EndpointStatus == nil || *pr.EndpointStatus != armtrafficmanager.EndpointStatusDisabled
		}
		if x.weight < 1 || x.weight > MaxWeight {
			return state{}, t.errorf("endpoint %s has weight %d, outside Traffic Manager's 1-%d; nothing was changed", t.red.Quote(x.name), x.weight, MaxWeight)
		}
		if x.typ == "" {
			return state{}, t.errorf("endpoint %s has an unknown type %s", t.red.Quote(x.name), t.red.Quote(deref(e.Type)))
		}
		st.all = append(st.all, x)
		mine := slices.ContainsFunc(append(slices.Clone(t.spec.primary), t.spec.secondary...), func(n string) bool { return strings.EqualFold(n, x.name) })
		if mine {
			st.named[strings.ToLower(x.name)] = x
		} else if x.enabled {
			st.foreign = append(st.foreign, x)
		}
	}
	for _, n := range append(slices.Clone(t.spec.primary), t.spec.secondary...) {
		if _, ok := st.named[strings.ToLower(n)]; !ok {
			return state{}, t.errorf("the profile has no endpoint %s; fbctl never creates endpoints; nothing was changed", t.red.Quote(n))
		}
	}
	return st, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// endpointType maps an endpoint's resource type
// (Microsoft.Network/trafficManagerProfiles/azureEndpoints) to the path
// segment the SDK wants; "" when unknown.
func endpointType(typ *string) armtrafficmanager.EndpointType {
	s := deref(typ)
	s = s[strings.LastIndex(s, "/")+1:]
	for _, t := range armtrafficmanager.PossibleEndpointTypeValues() {
		if strings.EqualFold(string(t), s) {
			return t
		}
	}
	return ""
}

func (t *Target) errorf(format string, args ...any) error {
	return t.red.Hide(fmt.Errorf("%s: "+format, append([]any{t.where}, args...)...))
}

func (t *Target) wrap(err error) error {
	return t.red.Hide(fmt.Errorf("%s: %w", t.where, err))
}
