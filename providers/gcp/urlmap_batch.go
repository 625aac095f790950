package gcp

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/fbctl/fbctl/providers"
)

var _ providers.Stager = (*URLMap)(nil)

// Stage implements providers.Stager: it reads the map through the run's
// cache (the read Observe made, usually), checks that the change applies
// to it, and adds the change to the run's batch for the map. The run's
// flush then makes ONE read-modify-write of each map holding every staged
// change: it starts from the run's read, changes the weights of every
// staging in one copy, and PATCHes it once with that read's fingerprint.
// On 412 conditionNotMet it reads the map again, re-applies every staged
// change and retries (MaxConflicts times in all). It waits for the
// operation and forgets the run's read, so the Pendings read back through
// one fresh read per map, shared by the run.
//
// A PATCH is atomic: if it fails (or its operation does), every Pending of
// the map reports the error and none of their changes was made. Two
// stagings of one run that set one service in one route action to
// different weights both fail, and neither is sent. A staging that changes
// nothing joins no batch; its Pending reads the share back.
//
// Without a RunCache in ctx there is no flush: Stage then returns a
// Pending that calls Apply when waited on.
func (t *URLMap) Stage(ctx context.Context, want providers.Share) (providers.Pending, error) {
	if err := providers.CheckShare(want); err != nil {
		return nil, t.errorf("%v", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, t.wrap(err)
	}
	rc := providers.RunCacheFrom(ctx)
	if rc == nil {
		return providers.ApplyLater(t, want), nil
	}
	m, err := t.res.cachedRead(ctx)
	if err != nil {
		return nil, t.wrap(err)
	}
	a, b := t.weights(want)
	changed, err := t.edit(proto.Clone(m).(*computepb.UrlMap), a, b)
	if err != nil {
		return nil, err
	}
	if !changed {
		return &mapPending{t: t, b: doneBatch}, nil
	}
	st := &stagedWeights{t: t, a: a, b: b}
	batch := providers.JoinBatch(ctx, "gcp/urlmap/batch\x00"+t.res.key(), st, flushMap)
	return &mapPending{t: t, b: batch, st: st}, nil
}

// stagedWeights is one Stage's part of a map's batch.
type stagedWeights struct {
	t    *URLMap
	a, b int   // weights of each primary and each secondary service
	err  error // set by the flush: a conflict, or the batch's error
}

// doneBatch is the batch of a staging that changes nothing.
var doneBatch = providers.FlushedBatch[*stagedWeights]()

// route names a staging's route action in the map.
func (st *stagedWeights) route() string {
	if st.t.hasRule {
		return st.t.pathMatcher + "\x00" + fmt.Sprint(st.t.routeRule)
	}
	return st.t.pathMatcher + "\x00-"
}

// flushMap makes the one write of a run's staged changes of one URL map
// and resolves every staging.
func flushMap(ctx context.Context, all []*stagedWeights) error {
	// Conflicts: one service of one route action staged at different
	// weights fails every staging that sets it.
	type setter struct {
		st *stagedWeights
		w  int
	}
	bySvc := map[string][]setter{}
	for _, st := range all {
		for _, side := range []struct {
			refs []serviceRef
			w    int
		}{{st.t.primary, st.a}, {st.t.secondary, st.b}} {
			for _, r := range side.refs {
				k := st.route() + "\x00" + r.String()
				bySvc[k] = append(bySvc[k], setter{st, side.w})
			}
		}
	}
	for k, ss := range bySvc {
		differ := false
		for _, s := range ss[1:] {
			differ = differ || s.w != ss[0].w
		}
		if !differ {
			continue
		}
		var who []string
		for _, s := range ss {
			who = append(who, fmt.Sprintf("gcp_url_map %q (weight %d)", s.st.t.name, s.w))
		}
		sort.Strings(who)
		svc := k[strings.LastIndex(k, "/")+1:]
		for _, s := range ss {
			s.st.err = s.st.t.errorf("%s: backend service %s is set to different weights in one run by %s: none of these changes was made",
				s.st.t.where(), s.st.t.red.Redact(svc), strings.Join(who, ", "))
		}
	}
	var ok []*stagedWeights
	for _, st := range all {
		if st.err == nil {
			ok = append(ok, st)
		}
	}
	if len(ok) == 0 {
		return errors.New("every staged change of a URL map conflicted")
	}

	t := ok[0].t
	fail := func(err error) error {
		for _, st := range ok {
			if st.err == nil {
				st.err = st.t.wrap(err)
			}
		}
		return t.red.Hide(err)
	}
	unlock, err := providers.Lock(ctx, t.res.key(), t.red.Redact(t.res.String()))
	if err != nil {
		return fail(err)
	}
	defer unlock()
	first, err := t.res.cachedRead(ctx)
	if err != nil {
		return fail(err)
	}
	wrote, err := t.res.update(ctx, first, func(m *computepb.UrlMap) (bool, error) {
		changed := false
		for _, st := range ok {
			// A re-read after a conflict may differ: decide afresh.
			st.err = nil
			c, err := st.t.edit(m, st.a, st.b)
			if err != nil {
				st.err = err
				continue
			}
			changed = changed || c
		}
		return changed, nil
	})
	t.res.forget(ctx)
	if err != nil {
		err = fmt.Errorf("one write of %d staged changes: %w", len(ok), err)
		if wrote {
			// Compute accepted the PATCH: it may have taken effect even
			// though its operation failed or could not be waited for.
			err = &providers.UncertainError{Err: err}
		}
		return fail(err)
	}
	var errs []error
	for _, st := range ok {
		if st.err != nil {
			errs = append(errs, st.err)
		}
	}
	return errors.Join(errs...)
}

// mapPending is a staged change of a gcp_url_map target.
type mapPending struct {
	t  *URLMap
	b  *providers.Batch[*stagedWeights]
	st *stagedWeights // nil when nothing was staged
}

// Wait implements providers.Pending.
func (p *mapPending) Wait(ctx context.Context) (providers.Share, error) {
	select {
	case <-p.b.Done():
	case <-ctx.Done():
		return 0, p.t.errorf("waiting for the run's write of %s: %w", p.t.red.Redact(p.t.res.String()), ctx.Err())
	}
	if p.st != nil && p.st.err != nil {
		return 0, p.st.err
	}
	return p.t.Observe(ctx)
}
