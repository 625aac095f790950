package aws

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/sim/fault"
	route53sim "github.com/fbctl/fbctl/internal/sim/route53"
	"github.com/fbctl/fbctl/providers"
)

// TestSimRoute53StageBatchesOneChange: two route53_weighted targets on one
// zone, staged in one run, cost one walk, ONE change and one read-back walk,
// and leave everything else in the zone alone.
func TestSimRoute53StageBatchesOneChange(t *testing.T) {
	w := newSimR53World(t, route53sim.Options{Seed: 1})
	pc := providerBlock(t, w.url, nil)
	api := w.target(t, pc, "api.example.com", []string{"aws"}, []string{"gcp"})
	mix := w.target(t, pc, "mix.example.com", []string{"p1", "p2"}, []string{"s1"})
	api.opt.pollInterval, mix.opt.pollInterval = time.Millisecond, time.Millisecond
	others := w.others()
	w.srv.ResetCalls()

	ctx := providers.WithRunCache(testCtx(t))
	pa, err := api.Stage(ctx, 2500)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := mix.Stage(ctx, 10000)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is written before the flush.
	if n := w.srv.Calls()[route53sim.OpChangeResourceRecordSets]; n != 0 {
		t.Fatalf("%d changes before the flush", n)
	}
	if err := providers.FlushRun(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := pa.Wait(ctx); err != nil || got != 2500 {
		t.Errorf("api: %v, %v; want 25%%", got, err)
	}
	if got, err := pm.Wait(ctx); err != nil || got != 10000 {
		t.Errorf("mix: %v, %v; want 100%%", got, err)
	}
	calls := w.srv.Calls()
	if calls[route53sim.OpChangeResourceRecordSets] != 1 || calls[route53sim.OpListResourceRecordSets] != 2 {
		t.Errorf("calls %v; want 1 change and 2 walks", calls)
	}
	if got := w.weights("api.example.com.", "A"); 3*got["aws"] != got["gcp"] || got["aws"] == 0 {
		t.Errorf("api weights %v", got)
	}
	if diff := cmp.Diff(others, w.others()); diff != "" {
		t.Errorf("the zone's other sets changed:\n%s", diff)
	}
	// Both wait for the one change, polled once for the run (PENDING, then
	// INSYNC).
	w.srv.ResetCalls()
	if err := api.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mix.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if n := w.srv.Calls()[route53sim.OpGetChange]; n != 2 {
		t.Errorf("%d GetChange calls for one batch waited on by two targets, want 2", n)
	}
	// Staging what is already live joins no batch and writes nothing.
	w.srv.ResetCalls()
	ctx = providers.WithRunCache(testCtx(t))
	p, err := api.Stage(ctx, 2500)
	if err != nil {
		t.Fatal(err)
	}
	if err := providers.FlushRun(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := p.Wait(ctx); err != nil || got != 2500 {
		t.Errorf("no-op: %v, %v", got, err)
	}
	if n := w.srv.Calls()[route53sim.OpChangeResourceRecordSets]; n != 0 {
		t.Errorf("%d changes for a no-op", n)
	}
}

// TestSimRoute53StageConflictAndFailure: two stagings that set one set to
// different weights both fail and write nothing; a change Route 53 refuses
// fails every staging of the zone and changes nothing.
func TestSimRoute53StageConflictAndFailure(t *testing.T) {
	w := newSimR53World(t, route53sim.Options{Seed: 1})
	pc := providerBlock(t, w.url, nil)
	api := w.target(t, pc, "api.example.com", []string{"aws"}, []string{"gcp"})
	api2 := w.target(t, pc, "api.example.com", []string{"aws"}, []string{"gcp"})
	mix := w.target(t, pc, "mix.example.com", []string{"p1", "p2"}, []string{"s1"})
	before := w.srv.RecordSets(w.zone)

	ctx := providers.WithRunCache(testCtx(t))
	p1, err1 := api.Stage(ctx, 2500)
	p2, err2 := api2.Stage(ctx, 7500)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	_ = providers.FlushRun(ctx)
	for _, p := range []providers.Pending{p1, p2} {
		if _, err := p.Wait(ctx); err == nil || !strings.Contains(err.Error(), "different weights") {
			t.Errorf("conflict: err = %v", err)
		}
	}
	if diff := cmp.Diff(before, w.srv.RecordSets(w.zone)); diff != "" {
		t.Errorf("a conflict changed the zone:\n%s", diff)
	}

	// The same change staged twice is sent once.
	w.srv.ResetCalls()
	ctx = providers.WithRunCache(testCtx(t))
	p1, _ = api.Stage(ctx, 2500)
	p2, _ = api2.Stage(ctx, 2500)
	if err := providers.FlushRun(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []providers.Pending{p1, p2} {
		if got, err := p.Wait(ctx); err != nil || got != 2500 {
			t.Errorf("duplicate: %v, %v", got, err)
		}
	}
	if n := w.srv.Calls()[route53sim.OpChangeResourceRecordSets]; n != 1 {
		t.Errorf("%d changes for one deduplicated batch", n)
	}

	// Every change failing: all of the zone's stagings fail, nothing changes.
	before = w.srv.RecordSets(w.zone)
	w.srv.Faults().Add(fault.Rule{Op: route53sim.OpChangeResourceRecordSets, Kind: fault.ServerError, Rate: 1})
	ctx = providers.WithRunCache(testCtx(t))
	p1, _ = api.Stage(ctx, 10000)
	pm, _ := mix.Stage(ctx, 0)
	if err := providers.FlushRun(ctx); err == nil {
		t.Error("FlushRun: no error")
	}
	for _, p := range []providers.Pending{p1, pm} {
		if _, err := p.Wait(ctx); err == nil || !strings.Contains(err.Error(), "ChangeResourceRecordSets") {
			t.Errorf("failed batch: err = %v", err)
		}
	}
	if diff := cmp.Diff(before, w.srv.RecordSets(w.zone)); diff != "" {
		t.Errorf("a failed batch changed the zone:\n%s", diff)
	}
}

// TestSimRoute53StageSplitsAtTheQuota: more staged changes than one request
// may hold (1,000 ResourceRecord elements, an UPSERT counting twice) go in
// as few changes as fit, no target's change split.
func TestSimRoute53StageSplitsAtTheQuota(t *testing.T) {
	w := startSimR53(t, route53sim.Options{Seed: 1})
	w.zone = w.srv.AddZone("big.example", false)
	pc := providerBlock(t, w.url, nil)
	var tgs []*Route53Weighted
	for i := 0; i < 300; i++ {
		name := fmt.Sprintf("svc%d.big.example", i)
		w.put(t, simWeighted(name, "A", "p", 0, "192.0.2.1"), simWeighted(name, "A", "s", 1, "198.51.100.1"))
		tgs = append(tgs, w.target(t, pc, name, []string{"p"}, []string{"s"}))
	}
	w.srv.ResetCalls()
	ctx := providers.WithRunCache(testCtx(t))
	var ps []providers.Pending
	for _, tg := range tgs {
		p, err := tg.Stage(ctx, 5000)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if err := providers.FlushRun(ctx); err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		if got, err := p.Wait(ctx); err != nil || got != 5000 {
			t.Fatalf("target %d: %v, %v", i, got, err)
		}
	}
	// 300 targets x 2 UPSERTs x 2 = 1,200 elements: 250 targets, then 50.
	calls := w.srv.Calls()
	// 602 sets: a walk is 3 pages of 300.
	if calls[route53sim.OpChangeResourceRecordSets] != 2 || calls[route53sim.OpListResourceRecordSets] != 6 {
		t.Errorf("calls %v; want 2 changes and 2 walks of 3 pages", calls)
	}
}
