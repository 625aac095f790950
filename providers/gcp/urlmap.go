package gcp

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/fbctl/fbctl/providers"
)

// urlMapMaxWeight is the largest weight of a weightedBackendService.
const urlMapMaxWeight = 1000

// URLMap is the gcp_url_map target: the weightedBackendServices of one
// route action of a URL map, global or regional (region): the map's
// defaultRouteAction, a path matcher's (path_matcher), or one route rule's
// routeAction (path_matcher and route_rule, the rule's priority).
//
// # Reading the share
//
// Observe reads the map (once per run: the run cache, forgotten after a
// write) and finds the steered list. The share is the primary services'
// summed weight over the named services' summed weight. Services are
// compared in normal form (names, partial paths and URLs of any API
// version all match). A missing path matcher or route rule, a route action
// that is not a weighted split (a defaultService, a redirect), a named
// service missing from the list, and a list whose named services all
// weigh 0 are errors that name what is missing and what is there.
// Services in the list that the policy does not name take traffic the
// share does not account for: Foreign lists them, and writes leave their
// weights alone.
//
// # Writing the share
//
// Apply gives every primary service one weight and every secondary
// service another, 0-1000 and not both 0, closest to the share
// (providers.SplitWeights). If the live weights already deliver that
// share it writes nothing. Otherwise it changes those weights in a copy of
// the map as read and PATCHes the WHOLE map back with the read's
// fingerprint (PATCH replaces lists whole, so every other field goes back
// as it was). A 412 conditionNotMet (another writer came in between)
// makes it read again and redo the change, at most MaxConflicts times.
// It then waits for the operation (operations.get every WithPollInterval),
// and reads the map again: the share it returns is read back. An
// operation that ends in error is an error naming the map and the
// operation's message.
//
// Writes of one process to one map are serialized. In a run, Stage
// batches the changes of every target on one map into one PATCH (see
// Stage). URL map changes take some time to reach the load balancers'
// edges after the operation is DONE; Compute offers no way to observe
// that, so URLMap is not a providers.Waiter.
type URLMap struct {
	steered[*computepb.UrlMap]
	acct        *account
	pathMatcher string
	routeRule   int32
	ruleText    string // routeRule for messages: Redacted when sensitive
	hasRule     bool
	primary     []serviceRef
	secondary   []serviceRef
	resolution  providers.Share
}

var (
	_ providers.Target          = (*URLMap)(nil)
	_ providers.ForeignReporter = (*URLMap)(nil)
	_ providers.Quantizer       = (*URLMap)(nil)
)

// maxServices bounds the services a policy may name (Compute allows a
// few dozen weighted services in one route action).
const maxServices = 100

// NewURLMap builds a gcp_url_map target from its block.
func NewURLMap(cfg providers.Config, opts ...Option) (*URLMap, error) {
	acct, err := accountFor(cfg.Provider)
	if err != nil {
		return nil, err
	}
	red := acct.red.Merged(nil)
	d := providers.NewDecoder(fmt.Sprintf("gcp_url_map %q", cfg.Name), cfg.Attrs, red)
	mapName := strings.TrimSpace(d.Str("url_map"))
	region := strings.TrimSpace(d.OptStr("region"))
	matcher := d.OptStr("path_matcher")
	rule := d.Whole("route_rule", -1, 0, 2147483647)
	primary, secondary := d.Sides(urlMapMembers)
	if d.Err() == nil && !validName(mapName) {
		d.Fail(d.Errorf("url_map %s is not a URL map name", red.Quote(mapName)))
	}
	if d.Err() == nil && rule >= 0 && matcher == "" {
		d.Fail(d.Errorf("route_rule needs path_matcher: a route rule lives inside a path matcher"))
	}
	t := &URLMap{steered: steered[*computepb.UrlMap]{kind: "gcp_url_map", name: cfg.Name, red: red}, acct: acct, pathMatcher: matcher, routeRule: int32(rule), hasRule: rule >= 0}
	// Quote hides a sensitive route_rule, which the Redactor's text search
	// cannot do for a number this short.
	t.ruleText = strings.Trim(red.Quote(strconv.FormatInt(rule, 10)), `"`)
	if d.Err() == nil {
		t.primary = t.services(d, "primary", primary, region)
		t.secondary = t.services(d, "secondary", secondary, region)
	}
	if d.Err() == nil {
		seen := map[serviceRef]string{}
		for _, side := range []struct {
			name string
			refs []serviceRef
		}{{"primary", t.primary}, {"secondary", t.secondary}} {
			for _, r := range side.refs {
				if other, dup := seen[r]; dup {
					d.Fail(d.Errorf("backend service %s is named twice (in %s and in %s)", red.Redact(r.String()), other, side.name))
					break
				}
				seen[r] = side.name
			}
		}
	}
	if d.Err() != nil {
		return nil, red.Hide(d.Err())
	}
	t.res = urlMapResource(acct, region, mapName, buildOptions(opts))
	t.resolution = providers.SplitResolution(len(t.primary), len(t.secondary), urlMapMaxWeight)
	return t, nil
}

// services normalises one side's backend services and checks that each
// can be referenced by the map: a regional map holds services of its own
// region, a global map global ones.
func (t *URLMap) services(d *providers.Decoder, side string, refs []string, region string) []serviceRef {
	var out []serviceRef
	for _, s := range refs {
		r, err := parseService(s, t.acct.set.project, region)
		if err != nil {
			d.Fail(d.Errorf("%s: %v", side, err))
			return nil
		}
		if r.region != region {
			d.Fail(d.Errorf("%s backend service %s is %s but the URL map is %s: a URL map references backend services of its own region (global ones when it is global)",
				side, t.red.Quote(s), location(r.region), location(region)))
			return nil
		}
		out = append(out, r)
	}
	return out
}

// Resolution implements providers.Target.
func (t *URLMap) Resolution() providers.Share { return t.resolution }

// Deliverable implements providers.Quantizer.
func (t *URLMap) Deliverable(want providers.Share) providers.Share {
	a, b := t.weights(want)
	P, S := int64(len(t.primary)), int64(len(t.secondary))
	return providers.RoundShare(P*int64(a), P*int64(a)+S*int64(b))
}

func (t *URLMap) weights(want providers.Share) (a, b int) {
	return providers.SplitWeights(want, len(t.primary), len(t.secondary), urlMapMaxWeight)
}

// Observe implements providers.Target.
func (t *URLMap) Observe(ctx context.Context) (providers.Share, error) {
	m, err := t.read(ctx)
	if err != nil {
		return 0, err
	}
	sp, err := t.find(m)
	if err != nil {
		return 0, err
	}
	return t.share(sp)
}

// Foreign implements providers.ForeignReporter: the services of the
// steered list that the policy does not name, as `backend service URL
// (weight N)`, sorted.
func (t *URLMap) Foreign(ctx context.Context) ([]string, error) {
	m, err := t.read(ctx)
	if err != nil {
		return nil, err
	}
	sp, err := t.find(m)
	if err != nil {
		return nil, err
	}
	return describe(sp.foreign, func(i int) string {
		w := sp.list[i]
		return fmt.Sprintf("backend service %s (weight %d)", t.red.Redact(w.GetBackendService()), w.GetWeight())
	}), nil
}

// Apply implements providers.Target.
func (t *URLMap) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if err := t.apply(ctx, want, func(m *computepb.UrlMap) (bool, error) {
		a, b := t.weights(want)
		return t.edit(m, a, b)
	}); err != nil {
		return 0, err
	}
	return t.Observe(ctx)
}

// edit sets the named services' weights in m to a (primary) and b
// (secondary), unless the weights there already deliver the same share.
func (t *URLMap) edit(m *computepb.UrlMap, a, b int) (bool, error) {
	sp, err := t.find(m)
	if err != nil {
		return false, err
	}
	P, S := int64(len(t.primary)), int64(len(t.secondary))
	target := providers.RoundShare(P*int64(a), P*int64(a)+S*int64(b))
	if cur, err := t.share(sp); err == nil && cur == target {
		return false, nil
	}
	changed := false
	set := func(idx []int, w int) {
		for _, i := range idx {
			if sp.list[i].GetWeight() != uint32(w) {
				ww := uint32(w)
				sp.list[i].Weight = &ww
				changed = true
			}
		}
	}
	set(sp.primary, a)
	set(sp.secondary, b)
	return changed, nil
}

// split is the steered list of a map, with the named services located.
type split struct {
	list               []*computepb.WeightedBackendService // in the map: changes change the map
	primary, secondary []int
	foreign            []int
}

// where names the steered route action, for messages.
func (t *URLMap) where() string {
	s := t.red.Redact(t.res.String())
	switch {
	case t.hasRule:
		return fmt.Sprintf("%s, path matcher %s, route rule %s", s, t.red.Quote(t.pathMatcher), t.ruleText)
	case t.pathMatcher != "":
		return fmt.Sprintf("%s, path matcher %s", s, t.red.Quote(t.pathMatcher))
	}
	return s
}

// action returns the steered route action of m, or an error saying what
// is missing.
func (t *URLMap) action(m *computepb.UrlMap) (*computepb.HttpRouteAction, string, error) {
	if t.pathMatcher == "" {
		if m.GetDefaultRouteAction() == nil || len(m.GetDefaultRouteAction().GetWeightedBackendServices()) == 0 {
			return nil, "", t.errorf("%s has no weighted default route (defaultRouteAction.weightedBackendServices)%s; fbctl steers a weighted split only", t.where(), defaultsOf(m.GetDefaultService(), m.GetDefaultUrlRedirect() != nil))
		}
		return m.DefaultRouteAction, "defaultRouteAction", nil
	}
	var pm *computepb.PathMatcher
	var names []string
	for _, p := range m.GetPathMatchers() {
		names = append(names, p.GetName())
		if p.GetName() == t.pathMatcher {
			pm = p
		}
	}
	if pm == nil {
		has := "none"
		if len(names) > 0 {
			has = t.red.Redact(strings.Join(names, ", "))
		}
		return nil, "", t.errorf("%s: path matcher %s does not exist (path matchers: %s)", t.red.Redact(t.res.String()), t.red.Quote(t.pathMatcher), has)
	}
	if !t.hasRule {
		if pm.GetDefaultRouteAction() == nil || len(pm.GetDefaultRouteAction().GetWeightedBackendServices()) == 0 {
			return nil, "", t.errorf("%s has no weighted default route (defaultRouteAction.weightedBackendServices)%s; fbctl steers a weighted split only", t.where(), defaultsOf(pm.GetDefaultService(), pm.GetDefaultUrlRedirect() != nil))
		}
		return pm.DefaultRouteAction, "defaultRouteAction", nil
	}
	var prios []string
	for _, r := range pm.GetRouteRules() {
		prios = append(prios, fmt.Sprint(r.GetPriority()))
		if r.GetPriority() == t.routeRule {
			if r.GetRouteAction() == nil || len(r.GetRouteAction().GetWeightedBackendServices()) == 0 {
				return nil, "", t.errorf("%s has no weighted route action (routeAction.weightedBackendServices)%s; fbctl steers a weighted split only", t.where(), defaultsOf(r.GetService(), r.GetUrlRedirect() != nil))
			}
			return r.RouteAction, "routeAction", nil
		}
	}
	has := "none"
	if len(prios) > 0 {
		has = strings.Join(prios, ", ")
	}
	return nil, "", t.errorf("%s: path matcher %s has no route rule with priority %s (route rule priorities: %s)", t.red.Redact(t.res.String()), t.red.Quote(t.pathMatcher), t.ruleText, has)
}

func defaultsOf(service string, redirect bool) string {
	switch {
	case service != "":
		return " (it sends everything to " + service + ")"
	case redirect:
		return " (it redirects)"
	}
	return ""
}

// find locates the named services in the steered list of m.
func (t *URLMap) find(m *computepb.UrlMap) (*split, error) {
	act, _, err := t.action(m)
	if err != nil {
		return nil, err
	}
	sp := &split{list: act.GetWeightedBackendServices()}
	index := map[serviceRef]int{}
	named := map[serviceRef]bool{}
	for _, r := range append(append([]serviceRef{}, t.primary...), t.secondary...) {
		named[r] = true
	}
	for i, w := range sp.list {
		r, err := parseService(w.GetBackendService(), t.acct.set.project, t.res.region)
		if err != nil {
			sp.foreign = append(sp.foreign, i)
			continue
		}
		if _, dup := index[r]; dup && named[r] {
			return nil, t.errorf("%s lists backend service %s twice; fbctl cannot tell which weight counts", t.where(), t.red.Redact(r.String()))
		}
		index[r] = i
		if !named[r] {
			sp.foreign = append(sp.foreign, i)
		}
	}
	var missing []string
	for _, side := range []struct {
		refs []serviceRef
		out  *[]int
	}{{t.primary, &sp.primary}, {t.secondary, &sp.secondary}} {
		for _, r := range side.refs {
			i, ok := index[r]
			if !ok {
				missing = append(missing, t.red.Redact(r.name))
				continue
			}
			*side.out = append(*side.out, i)
		}
	}
	if len(missing) > 0 {
		var has []string
		for _, w := range sp.list {
			has = append(has, t.red.Redact(w.GetBackendService()))
		}
		return nil, t.errorf("%s does not reference backend service %s (its weighted services: %s)", t.where(), strings.Join(missing, ", "), strings.Join(has, ", "))
	}
	return sp, nil
}

// share is the primary's part of the named services' weight.
func (t *URLMap) share(sp *split) (providers.Share, error) {
	p, total := sums(sp.primary, sp.secondary, func(i int) int64 { return int64(sp.list[i].GetWeight()) })
	if total == 0 {
		also := "so the route sends them nothing"
		if len(sp.foreign) > 0 {
			also = fmt.Sprintf("so the %d other services of the route take all its traffic", len(sp.foreign))
		}
		return 0, t.errorf("%s: every named backend service has weight 0, %s", t.where(), also)
	}
	return providers.RoundShare(p, total), nil
}
