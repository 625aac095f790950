package gcp

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/fbctl/fbctl/providers"
)

var _ providers.Stager = (*CloudDNSWRR)(nil)

// stagedWRR is one Stage's part of a zone's batch.
type stagedWRR struct {
	t    *CloudDNSWRR
	want providers.Share
	err  error // set by the flush
}

// doneWRR is the batch of a staging that changes nothing.
var doneWRR = providers.FlushedBatch[*stagedWRR]()

// Stage implements providers.Stager: it reads the record set through the
// run's cache, checks that the change applies to it, and adds the change
// to the run's batch for the managed zone. The run's flush then makes ONE
// changes.create per zone holding every staged change (zoneChange): each
// record set steered appears once in deletions (as read) and once in
// additions (with every staging's weights). Cloud DNS applies a change
// atomically: if it fails, every Pending of the zone reports the error
// and none of their changes was made. Two stagings of one run that set
// one item of one record set to different weights both fail, and neither
// is sent. A staging that changes nothing joins no batch.
//
// Without a RunCache in ctx there is no flush: Stage then returns a
// Pending that calls Apply when waited on.
func (t *CloudDNSWRR) Stage(ctx context.Context, want providers.Share) (providers.Pending, error) {
	if err := providers.CheckShare(want); err != nil {
		return nil, t.errorf("%v", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, t.wrap(err)
	}
	if providers.RunCacheFrom(ctx) == nil {
		return providers.ApplyLater(t, want), nil
	}
	cur, err := t.cachedRead(ctx)
	if err != nil {
		return nil, t.wrap(err)
	}
	next, err := t.edit(cur, want)
	if err != nil {
		return nil, err
	}
	if next == nil {
		return &wrrPending{t: t, b: doneWRR}, nil
	}
	st := &stagedWRR{t: t, want: want}
	b := providers.JoinBatch(ctx, "gcp/clouddns/batch\x00"+t.zoneKey(), st, flushZone)
	return &wrrPending{t: t, b: b, st: st}, nil
}

// flushZone makes the one change of a run's staged changes of one zone.
func flushZone(ctx context.Context, all []*stagedWRR) error {
	// Conflicts: one item of one record set staged at different weights.
	type setter struct {
		st *stagedWRR
		w  float64
	}
	byItem := map[string][]setter{}
	for _, st := range all {
		cur, err := st.t.cachedRead(ctx)
		if err != nil {
			st.err = st.t.wrap(err)
			continue
		}
		next, err := st.t.edit(cur, st.want)
		if err != nil || next == nil {
			st.err = err
			continue
		}
		sp, err := st.t.find(next)
		if err != nil {
			st.err = err
			continue
		}
		for _, i := range append(append([]int{}, sp.primary...), sp.secondary...) {
			k := strings.ToLower(cur.Name) + " " + cur.Type + " " + fmt.Sprint(i)
			byItem[k] = append(byItem[k], setter{st, sp.items[i].Weight})
		}
	}
	for _, ss := range byItem {
		differ := false
		for _, s := range ss[1:] {
			differ = differ || s.w != ss[0].w
		}
		if !differ {
			continue
		}
		var who []string
		for _, s := range ss {
			who = append(who, fmt.Sprintf("cloud_dns_wrr %q (weight %v)", s.st.t.name, s.w))
		}
		sort.Strings(who)
		for _, s := range ss {
			s.st.err = s.st.t.errorf("%s: one WRR item is set to different weights in one run by %s: none of these changes was made",
				s.st.t.where(""), strings.Join(who, ", "))
		}
	}
	var ok []*stagedWRR
	for _, st := range all {
		if st.err == nil {
			ok = append(ok, st)
		}
	}
	if len(ok) == 0 {
		return errors.New("no staged change of the zone is left to make")
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
	unlock, err := providers.Lock(ctx, t.zoneKey(), t.red.Redact("managed zone "+t.zone))
	if err != nil {
		return fail(err)
	}
	defer unlock()
	if err := zoneChange(ctx, ok); err != nil {
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

// wrrPending is a staged change of a cloud_dns_wrr target.
type wrrPending struct {
	t  *CloudDNSWRR
	b  *providers.Batch[*stagedWRR]
	st *stagedWRR // nil when nothing was staged
}

// Wait implements providers.Pending.
func (p *wrrPending) Wait(ctx context.Context) (providers.Share, error) {
	select {
	case <-p.b.Done():
	case <-ctx.Done():
		return 0, p.t.errorf("waiting for the run's change of managed zone %s: %w", p.t.red.Quote(p.t.zone), ctx.Err())
	}
	if p.st != nil && p.st.err != nil {
		return 0, p.st.err
	}
	return p.t.Observe(ctx)
}
