package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/fbctl/fbctl/providers"
)

var _ providers.Stager = (*Route53Weighted)(nil)

// Stage implements providers.Stager: it computes the weights from the run's
// zone walk (as Apply does) and adds the UPSERTs of the named sets whose
// weight changes to the run's batch for the hosted zone. The run's flush
// sends ONE ChangeResourceRecordSets per hosted zone holding every staged
// change of the run (within Route 53's request quotas, below) (the same change staged twice is sent once; two
// stagings that set one set to different weights both fail, and neither is
// sent), then forgets the zone's walk, so the Pendings' read-back is one
// fresh walk per zone, shared by the run. Route 53 applies a batch
// all-or-nothing: if the change fails, every Pending of the zone reports
// the error and none of them changed anything. A staging that changes no
// weight joins no batch; its Pending reads the share back.
//
// Without a RunCache in ctx there is no flush: Stage then returns a
// Pending that calls Apply when waited on.
//
// Route 53 limits a request to 1,000 ResourceRecord elements and 32,000
// characters of values (an UPSERT counting twice). A zone whose staged
// changes exceed that is sent in as few changes as fit, each staging whole
// in one of them (so each target's change stays atomic); each Pending
// reports its own change's outcome.
func (t *Route53Weighted) Stage(ctx context.Context, want providers.Share) (providers.Pending, error) {
	if err := providers.CheckShare(want); err != nil {
		return nil, t.errorf("%v", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, t.errorf("%w", err)
	}
	rc := providers.RunCacheFrom(ctx)
	if rc == nil {
		return providers.ApplyLater(t, want), nil
	}
	zone, g, err := t.read(ctx)
	if err != nil {
		return nil, err
	}
	P, S := len(t.primary), len(t.secondary)
	a, b := providers.SplitWeights(want, P, S, route53MaxWeight)
	target := shareOf(int64(P*a), int64(P*a+S*b))
	changes := weightChanges(g, a, b)
	if len(changes) == 0 {
		return &r53Pending{t: t, zone: zone, b: doneBatch}, nil
	}
	st := &staged{t: t, share: target, changes: changes}
	key := "aws/route53/batch\x00" + t.acct.endpointKey() + "\x00" + zone
	batch := providers.JoinBatch(ctx, key, st, zoneBatch{zone: zone}.flush)
	return &r53Pending{t: t, zone: zone, b: batch, st: st}, nil
}

// staged is one Stage's part of a zone batch.
type staged struct {
	t       *Route53Weighted
	share   providers.Share
	changes []r53types.Change
	err     error // set by the flush: a conflict, or its batch's error
}

// zoneBatch writes a run's staged changes of one hosted zone.
type zoneBatch struct{ zone string }

// doneBatch is the batch of a staging that changes nothing.
var doneBatch = providers.FlushedBatch[*staged]()

func setKey(rr *r53types.ResourceRecordSet) string {
	return normName(aws.ToString(rr.Name)) + "\x00" + strings.ToUpper(string(rr.Type)) + "\x00" + aws.ToString(rr.SetIdentifier)
}

// flush sends the zone's one change and resolves every staging.
func (zb zoneBatch) flush(ctx context.Context, all []*staged) error {
	// Conflicts: one set staged with different weights fails every staging
	// that touches it.
	weights := map[string]map[int64][]*staged{}
	for _, st := range all {
		for _, c := range st.changes {
			k := setKey(c.ResourceRecordSet)
			if weights[k] == nil {
				weights[k] = map[int64][]*staged{}
			}
			w := aws.ToInt64(c.ResourceRecordSet.Weight)
			weights[k][w] = append(weights[k][w], st)
		}
	}
	for k, byW := range weights {
		if len(byW) < 2 {
			continue
		}
		var who []string
		for w, sts := range byW {
			for _, st := range sts {
				who = append(who, fmt.Sprintf("route53_weighted %q (weight %d)", st.t.name, w))
			}
		}
		sort.Strings(who)
		id := strings.Split(k, "\x00")[2]
		for _, sts := range byW {
			for _, st := range sts {
				st.err = st.t.errorf("hosted zone %s: record set %s is set to different weights in one run by %s: neither change was made",
					zb.zone, st.t.red.Quote(id), strings.Join(who, ", "))
			}
		}
	}
	// Deduplicate, and cut into as few batches as Route 53's request quotas
	// allow (one, unless the run stages more than 1,000 ResourceRecord
	// elements or 32,000 characters of values on the zone), never splitting
	// one staging: each target's change stays atomic.
	var batches []*changeBatch
	cur := &changeBatch{}
	sent := map[string]bool{}
	for _, st := range all {
		if st.err != nil {
			continue
		}
		var mine []r53types.Change
		for _, c := range st.changes {
			if k := setKey(c.ResourceRecordSet); !sent[k] {
				sent[k] = true
				mine = append(mine, c)
			}
		}
		n, l := batchSize(mine)
		if len(cur.staged) > 0 && (cur.records+n > maxBatchRecords || cur.chars+l > maxBatchChars) {
			batches = append(batches, cur)
			cur = &changeBatch{}
		}
		cur.staged = append(cur.staged, st)
		cur.changes = append(cur.changes, mine...)
		cur.records += n
		cur.chars += l
	}
	if len(cur.staged) > 0 {
		batches = append(batches, cur)
	}
	var errs []error
	for _, cb := range batches {
		if len(cb.changes) == 0 {
			continue
		}
		if err := zb.send(ctx, cb); err != nil {
			for _, st := range cb.staged {
				st.err = st.t.errorf("%w", err)
			}
			errs = append(errs, cb.staged[0].t.red.Hide(err))
		}
	}
	return errors.Join(errs...)
}

// Route 53's request quotas: ResourceRecord elements and characters of
// Value elements per ChangeResourceRecordSets, an UPSERT counting twice.
const (
	maxBatchRecords = 1000
	maxBatchChars   = 32000
)

// batchSize is what changes count against Route 53's request quotas.
func batchSize(changes []r53types.Change) (records, chars int) {
	for _, c := range changes {
		n, l := len(c.ResourceRecordSet.ResourceRecords), 0
		for _, v := range c.ResourceRecordSet.ResourceRecords {
			l += len(aws.ToString(v.Value))
		}
		if c.Action == r53types.ChangeActionUpsert {
			n, l = 2*n, 2*l
		}
		records += n
		chars += l
	}
	return records, chars
}

// changeBatch is one ChangeResourceRecordSets of a zone's flush.
type changeBatch struct {
	staged         []*staged
	changes        []r53types.Change
	records, chars int
}

// send makes one change; on success every staging of it waits for its ID.
func (zb zoneBatch) send(ctx context.Context, cb *changeBatch) error {
	t := cb.staged[0].t
	unlock, err := providers.Lock(ctx, "route53\x00"+t.acct.endpointKey()+"\x00"+zb.zone, "hosted zone "+t.red.Redact(zb.zone))
	if err != nil {
		return err
	}
	defer unlock()
	client, err := t.acct.route53(ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, st := range cb.staged {
		names = append(names, fmt.Sprintf("%q %s", st.t.name, st.share))
	}
	comment := "fbctl route53_weighted " + strings.Join(names, ", ")
	if len(comment) > 256 { // Route 53's limit on a batch's comment
		comment = fmt.Sprintf("fbctl route53_weighted: %d targets", len(names))
	}
	out, err := client.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(zb.zone),
		ChangeBatch:  &r53types.ChangeBatch{Changes: cb.changes, Comment: aws.String(comment)},
	})
	// Whatever happened, the next read must be a real one.
	providers.RunCacheFrom(ctx).Forget(t.recordsKey(zb.zone))
	if err != nil {
		return fmt.Errorf("hosted zone %s: changing the weights of %d record sets in one batch: %w", zb.zone, len(cb.changes), callError("ChangeResourceRecordSets", err))
	}
	if out.ChangeInfo != nil && out.ChangeInfo.Id != nil {
		for _, st := range cb.staged {
			st.t.mu.Lock()
			st.t.lastChange = *out.ChangeInfo.Id
			st.t.mu.Unlock()
		}
	}
	return nil
}

// r53Pending is a staged change of a route53_weighted target.
type r53Pending struct {
	t    *Route53Weighted
	zone string
	b    *providers.Batch[*staged]
	st   *staged // nil when nothing was staged
}

// Wait implements providers.Pending.
func (p *r53Pending) Wait(ctx context.Context) (providers.Share, error) {
	select {
	case <-p.b.Done():
	case <-ctx.Done():
		return 0, p.t.errorf("waiting for the run's batch of hosted zone %s: %w", p.t.red.Redact(p.zone), ctx.Err())
	}
	if p.st != nil && p.st.err != nil {
		return 0, p.st.err
	}
	return p.t.Observe(ctx)
}
