package gcp

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/fbctl/fbctl/providers"
)

// BackendCapacity is the gcp_backend_capacity target: a backend service,
// global or regional, whose backends (instance groups or network endpoint
// groups) are split into primary and secondary; the share sets their
// capacityScaler.
//
// # What the share means
//
// capacityScaler scales a backend's capacity, not its traffic: the load
// balancer fills backends in proportion to their scaled capacity (for
// UTILIZATION and RATE balancing modes, until they are full, and then
// spills over), so what a share delivers depends on the balancing mode
// and the load. fbctl assumes every named backend has the same capacity
// and reads the share as the primary's part of the scaled capacity,
// P*a/(P*a+S*b) for P primary backends at scaler a and S secondary ones at
// b (with mixed live scalers, the primary's summed scalers over all named
// backends' summed scalers). Approximation says so for plan and status.
// Use gcp_url_map for an exact weighted split of requests.
//
// # Writing the share
//
// Compute accepts a capacityScaler of 0 or 0.1 to 1.0; fbctl writes two
// decimals. Apply picks the pair (a, b), one of them 1.0 and never both 0,
// whose capacity ratio is closest to the share (the lower share on a tie),
// so the resolution is coarse: with one backend a side the shares next to
// 0 % and 100 % are 9.09 % and 90.91 %. If the live scalers already
// deliver that share it writes nothing; otherwise it changes the named
// backends' capacityScaler in a copy of the service as read and PATCHes
// the WHOLE service back with its fingerprint (PATCH replaces the
// backends list whole), with the same 412 re-read, operation wait and
// read-back as URLMap. It never sets 0 on the only backend of a service,
// which Compute refuses. Backends the policy does not name keep their
// scalers; Foreign lists them.
type BackendCapacity struct {
	steered[*computepb.BackendService]
	acct       *account
	primary    []groupRef
	secondary  []groupRef
	resolution providers.Share
}

var (
	_ providers.Target          = (*BackendCapacity)(nil)
	_ providers.ForeignReporter = (*BackendCapacity)(nil)
	_ providers.Quantizer       = (*BackendCapacity)(nil)
	_ providers.Approximate     = (*BackendCapacity)(nil)
)

// NewBackendCapacity builds a gcp_backend_capacity target from its block.
func NewBackendCapacity(cfg providers.Config, opts ...Option) (*BackendCapacity, error) {
	acct, err := accountFor(cfg.Provider)
	if err != nil {
		return nil, err
	}
	red := acct.red.Merged(nil)
	d := providers.NewDecoder(fmt.Sprintf("gcp_backend_capacity %q", cfg.Name), cfg.Attrs, red)
	bsName := strings.TrimSpace(d.Str("backend_service"))
	region := strings.TrimSpace(d.OptStr("region"))
	primary, secondary := d.Sides(capacityMembers)
	if d.Err() == nil && !validName(bsName) {
		d.Fail(d.Errorf("backend_service %s is not a backend service name", red.Quote(bsName)))
	}
	t := &BackendCapacity{steered: steered[*computepb.BackendService]{kind: "gcp_backend_capacity", name: cfg.Name, red: red}, acct: acct}
	if d.Err() == nil {
		t.primary = groups(d, "primary", primary, acct.set.project)
		t.secondary = groups(d, "secondary", secondary, acct.set.project)
	}
	if d.Err() == nil {
		all := append(append([]groupRef{}, t.primary...), t.secondary...)
		for i := range all {
			for j := i + 1; j < len(all); j++ {
				if all[i].matches(all[j]) || all[j].matches(all[i]) {
					d.Fail(d.Errorf("group %s is named twice", red.Redact(all[i].String())))
				}
			}
		}
	}
	if d.Err() != nil {
		return nil, red.Hide(d.Err())
	}
	t.res = backendServiceResource(acct, region, bsName, buildOptions(opts))
	t.resolution = scalerResolution(len(t.primary), len(t.secondary))
	return t, nil
}

func groups(d *providers.Decoder, side string, refs []string, project string) []groupRef {
	var out []groupRef
	for _, s := range refs {
		g, err := parseGroup(s, project)
		if err != nil {
			d.Fail(d.Errorf("%s: %v", side, err))
			return nil
		}
		out = append(out, g)
	}
	return out
}

// Approximation implements providers.Approximate.
func (t *BackendCapacity) Approximation() string {
	return "capacityScaler scales capacity, not an exact traffic split: what a share delivers depends on the balancing mode and load (fbctl assumes equal capacity per backend)"
}

// Resolution implements providers.Target.
func (t *BackendCapacity) Resolution() providers.Share { return t.resolution }

// Deliverable implements providers.Quantizer.
func (t *BackendCapacity) Deliverable(want providers.Share) providers.Share {
	a, b := chooseScalers(want, len(t.primary), len(t.secondary))
	return scalerShare(len(t.primary), len(t.secondary), a, b)
}

// ---- Scaler arithmetic, in hundredths (0, 10..100) ----

// scalerShare is the share of P backends at a and S at b.
func scalerShare(p, s, a, b int) providers.Share {
	P, S := int64(p), int64(s)
	if P*int64(a)+S*int64(b) <= 0 {
		return 0 // no capacity at all: chooseScalers never picks it
	}
	return providers.RoundShare(P*int64(a), P*int64(a)+S*int64(b))
}

// scalerSteps are the capacityScaler values fbctl writes, in hundredths.
var scalerSteps = func() []int {
	out := []int{0}
	for k := 10; k <= 100; k++ {
		out = append(out, k)
	}
	return out
}()

// chooseScalers returns the scalers a (each primary backend) and b (each
// secondary backend), one of them 100 and never both 0, whose capacity
// ratio p*a/(p*a+s*b) is closest to want; the lower ratio on a tie (less
// to the primary is the cautious side). Errors are compared exactly, by
// cross-multiplication.
func chooseScalers(want providers.Share, p, s int) (a, b int) {
	w, P, S := int64(want), int64(p), int64(s)
	bestErr, bestT, bestPX := int64(-1), int64(1), int64(0)
	consider := func(x, y int) {
		t := P*int64(x) + S*int64(y)
		if t == 0 {
			return
		}
		e := abs64(10000*P*int64(x) - w*t)
		switch {
		case bestErr < 0, e*bestT < bestErr*t:
		case e*bestT > bestErr*t:
			return
		case P*int64(x)*bestT < bestPX*t:
		default:
			return
		}
		bestErr, bestT, bestPX = e, t, P*int64(x)
		a, b = x, y
	}
	for _, k := range scalerSteps {
		consider(100, k)
		consider(k, 100)
	}
	return a, b
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// scalerResolution is the widest gap between neighbouring shares that
// chooseScalers can deliver for p and s backends.
func scalerResolution(p, s int) providers.Share {
	key := [2]int{p, s}
	if v, ok := scalerResolutions.Load(key); ok {
		return v.(providers.Share)
	}
	var shares []int
	for _, k := range scalerSteps {
		if p*100+s*k > 0 {
			shares = append(shares, int(scalerShare(p, s, 100, k)))
		}
		if p*k+s*100 > 0 {
			shares = append(shares, int(scalerShare(p, s, k, 100)))
		}
	}
	sort.Ints(shares)
	gap := 1
	for i := 1; i < len(shares); i++ {
		gap = max(gap, shares[i]-shares[i-1])
	}
	res := providers.Share(gap)
	scalerResolutions.Store(key, res)
	return res
}

var scalerResolutions sync.Map // [2]int -> providers.Share

// hundredths reads a live capacityScaler; unset means 1.0, Compute's
// default.
func hundredths(b *computepb.Backend) int {
	if b.CapacityScaler == nil {
		return 100
	}
	return int(math.Round(float64(b.GetCapacityScaler()) * 100))
}

// ---- Reading and writing ----

// Observe implements providers.Target.
func (t *BackendCapacity) Observe(ctx context.Context) (providers.Share, error) {
	bs, err := t.read(ctx)
	if err != nil {
		return 0, err
	}
	bk, err := t.find(bs)
	if err != nil {
		return 0, err
	}
	return t.share(bk)
}

// Foreign implements providers.ForeignReporter: the backends of the
// service that the policy does not name, as `backend GROUP
// (capacityScaler 0.5)`, sorted.
func (t *BackendCapacity) Foreign(ctx context.Context) ([]string, error) {
	bs, err := t.read(ctx)
	if err != nil {
		return nil, err
	}
	bk, err := t.find(bs)
	if err != nil {
		return nil, err
	}
	return describe(bk.foreign, func(i int) string {
		b := bk.list[i]
		return fmt.Sprintf("backend %s (capacityScaler %.2f)", t.red.Redact(b.GetGroup()), float64(hundredths(b))/100)
	}), nil
}

// Apply implements providers.Target.
func (t *BackendCapacity) Apply(ctx context.Context, want providers.Share) (providers.Share, error) {
	if err := t.apply(ctx, want, func(bs *computepb.BackendService) (bool, error) {
		a, b := chooseScalers(want, len(t.primary), len(t.secondary))
		return t.edit(bs, a, b)
	}); err != nil {
		return 0, err
	}
	return t.Observe(ctx)
}

// edit sets the named backends' capacityScaler in bs to a (primary) and
// b (secondary), in hundredths, unless bs already delivers that share.
func (t *BackendCapacity) edit(bs *computepb.BackendService, a, b int) (bool, error) {
	bk, err := t.find(bs)
	if err != nil {
		return false, err
	}
	target := scalerShare(len(t.primary), len(t.secondary), a, b)
	if cur, err := t.share(bk); err == nil && cur == target {
		return false, nil
	}
	if len(bk.list) == 1 && (a == 0 && len(bk.primary) == 1 || b == 0 && len(bk.secondary) == 1) {
		return false, t.errorf("%s has a single backend: Compute refuses capacityScaler 0 on it, and fbctl would drain the whole service", t.where())
	}
	changed := false
	set := func(idx []int, k int) {
		for _, i := range idx {
			be := bk.list[i]
			if be.CapacityScaler == nil || hundredths(be) != k {
				v := float32(k) / 100
				be.CapacityScaler = &v
				changed = true
			}
		}
	}
	set(bk.primary, a)
	set(bk.secondary, b)
	return changed, nil
}

// backends is the service's backend list with the named groups located.
type backends struct {
	list               []*computepb.Backend // in the service: changes change it
	primary, secondary []int
	foreign            []int
}

func (t *BackendCapacity) where() string { return t.red.Redact(t.res.String()) }

// find locates the named groups among the service's backends.
func (t *BackendCapacity) find(bs *computepb.BackendService) (*backends, error) {
	bk := &backends{list: bs.GetBackends()}
	live := make([]groupRef, len(bk.list))
	parsed := make([]bool, len(bk.list))
	for i, b := range bk.list {
		g, err := parseGroup(b.GetGroup(), t.acct.set.project)
		live[i], parsed[i] = g, err == nil
	}
	used := map[int]bool{}
	var missing []string
	for _, side := range []struct {
		refs []groupRef
		out  *[]int
	}{{t.primary, &bk.primary}, {t.secondary, &bk.secondary}} {
		for _, r := range side.refs {
			var hits []int
			for i := range live {
				if parsed[i] && r.matches(live[i]) {
					hits = append(hits, i)
				}
			}
			switch {
			case len(hits) == 0:
				missing = append(missing, t.red.Redact(r.String()))
				continue
			case len(hits) > 1:
				return nil, t.errorf("%s: group %s matches %d backends (an instance group and a network endpoint group of one name?); name it by URL",
					t.where(), t.red.Redact(r.String()), len(hits))
			case used[hits[0]]:
				return nil, t.errorf("%s: backend %s is named twice", t.where(), t.red.Redact(bk.list[hits[0]].GetGroup()))
			}
			used[hits[0]] = true
			*side.out = append(*side.out, hits[0])
		}
	}
	if len(missing) > 0 {
		var has []string
		for _, b := range bk.list {
			has = append(has, t.red.Redact(b.GetGroup()))
		}
		if len(has) == 0 {
			has = []string{"none"}
		}
		return nil, t.errorf("%s has no backend for group %s (its backends: %s)", t.where(), strings.Join(missing, ", "), strings.Join(has, ", "))
	}
	for i := range bk.list {
		if !used[i] {
			bk.foreign = append(bk.foreign, i)
		}
	}
	return bk, nil
}

// share is the primary's part of the named backends' scaled capacity.
func (t *BackendCapacity) share(bk *backends) (providers.Share, error) {
	p, total := sums(bk.primary, bk.secondary, func(i int) int64 { return int64(hundredths(bk.list[i])) })
	if total <= 0 {
		return 0, t.errorf("%s: every named backend has capacityScaler 0, so they take no traffic", t.where())
	}
	return providers.RoundShare(p, total), nil
}
