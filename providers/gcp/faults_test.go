package gcp

// Faults and bad input against the Compute emulator with its fault
// injection: real REST calls through fbctl's own retries (MaxAttempts,
// the backoff shortened to 1ms by TestMain). No sleeps: where a fault may
// outlast the retries, a bounded loop of runs stands for the engine's next
// reconcile.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/sim/fault"
	gcpsim "github.com/fbctl/fbctl/internal/sim/gcp"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

func defaultRouteTarget(t testing.TB, pc *providers.ProviderConfig) *URLMap {
	t.Helper()
	tg, err := NewURLMap(providers.Config{Name: "lb", Provider: pc,
		Attrs: urlMapAttrs("lb", "", "", -1, []string{"bs-aws"}, []string{"bs-gcp"})}, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// converge calls f once per run (a fresh run cache each time, as the
// engine's next reconcile would) until it succeeds, at most maxRuns
// times. Every failure must be a rate limit or server error that outlasted
// the retries.
func converge(t *testing.T, maxRuns int, what string, f func(ctx context.Context) (providers.Share, error)) (providers.Share, int) {
	t.Helper()
	for run := 1; run <= maxRuns; run++ {
		got, err := f(providers.WithRunCache(testCtx(t)))
		if err == nil {
			return got, run
		}
		var ce *CallError
		if !errors.As(err, &ce) || !(ce.Status == 403 || ce.Status == 429 || ce.Status >= 500) || ce.Attempts != MaxAttempts {
			t.Fatalf("%s, run %d: %v; only a rate limit or 5xx may outlast the retries", what, run, err)
		}
		t.Logf("%s, run %d: %v", what, run, err)
	}
	t.Fatalf("%s did not converge in %d runs", what, maxRuns)
	return 0, 0
}

// 30 % of all requests fail with each kind of transient fault: every
// Apply converges, Observe then reads it, and nothing else moved.
func TestSimTransientFaultsConverge(t *testing.T) {
	for _, kind := range []fault.Kind{fault.RateLimitExceeded, fault.TooManyRequests, fault.ServerError} {
		t.Run(string(kind), func(t *testing.T) {
			w := newSimWorld(t, gcpsim.Options{Seed: 30, PendingPolls: 1})
			w.srv.Faults().Add(fault.Rule{Kind: kind, Rate: 0.3})
			pc := providerBlock(t, w.url)
			targets := []providers.Target{defaultRouteTarget(t, pc)}
			capTg, err := NewBackendCapacity(providers.Config{Name: "cap", Provider: pc,
				Attrs: capacityAttrs("pool", "", []string{"us-east1-b/ig-aws"}, []string{"us-central1-a/ig-gcp"})}, testOpts...)
			if err != nil {
				t.Fatal(err)
			}
			targets = append(targets, capTg)
			before := w.state(t)
			for _, tg := range targets {
				for _, want := range []providers.Share{7500, 2500, 10000, 0, 5000} {
					got, _ := converge(t, 3, fmt.Sprintf("Apply(%v)", want), func(ctx context.Context) (providers.Share, error) {
						return tg.Apply(ctx, want)
					})
					if d := got - want; d > tg.Resolution() || -d > tg.Resolution() {
						t.Errorf("Apply(%v) = %v", want, got)
					}
					if obs, _ := converge(t, 3, "Observe", tg.Observe); obs != got {
						t.Errorf("Apply(%v) delivered %v, Observe reads %v", want, got, obs)
					}
				}
			}
			after := w.state(t)
			// Only the steered weights and scalers may differ.
			for _, st := range []simState{before, after} {
				for _, e := range routeList(st.Maps["/lb"], "", -1) {
					e.Weight = nil
				}
				for _, b := range st.Services["/pool"].GetBackends() {
					if !strings.Contains(b.GetGroup(), "neg-edge") {
						b.CapacityScaler = nil
					}
				}
			}
			if diff := cmp.Diff(before, after, protoCmp...); diff != "" {
				t.Errorf("faulted applies changed other state:\n%s", diff)
			}
			calls := w.srv.Calls()
			t.Logf("calls under %s faults: %v (%d requests)", kind, calls, total(calls))
			// Without faults: 5 requests per share and target (read,
			// PATCH, one poll, read-back, Observe).
			if total(calls) <= 50 {
				t.Errorf("%d requests: the faults did not fire", total(calls))
			}
		})
	}
}

// A fault on the first PATCH only: the same Apply retries it.
func TestSimPatchRetried(t *testing.T) {
	for _, kind := range []fault.Kind{fault.RateLimitExceeded, fault.TooManyRequests, fault.ServerError} {
		t.Run(string(kind), func(t *testing.T) {
			w := newSimWorld(t, gcpsim.Options{Seed: 31})
			w.srv.Faults().Add(fault.Rule{Op: "urlMaps.patch", Kind: kind, Nth: 1})
			tg := defaultRouteTarget(t, providerBlock(t, w.url))
			if got, err := tg.Apply(testCtx(t), 5000); err != nil || got != 5000 {
				t.Fatalf("Apply = %v, %v", got, err)
			}
			if c := w.srv.Calls(); c["urlMaps.patch"] != 2 {
				t.Errorf("urlMaps.patch calls = %d, want 2 (fault, retry)", c["urlMaps.patch"])
			}
		})
	}
}

// Persistent server errors: Apply fails after MaxAttempts, naming the
// call, and changes nothing.
func TestSimServerErrorsExhausted(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 32})
	w.srv.Faults().Add(fault.Rule{Op: "urlMaps.patch", Kind: fault.ServerError, Rate: 1})
	tg := defaultRouteTarget(t, providerBlock(t, w.url))
	before := w.state(t)
	_, err := tg.Apply(testCtx(t), 5000)
	var ce *CallError
	if !errors.As(err, &ce) || ce.Status != 500 || ce.Attempts != MaxAttempts || !strings.Contains(err.Error(), "URL map lb") {
		t.Fatalf("Apply = %v; want the 500 after %d attempts, naming the URL map", err, MaxAttempts)
	}
	if diff := cmp.Diff(before, w.state(t), protoCmp...); diff != "" {
		t.Errorf("state changed:\n%s", diff)
	}
	if c := w.srv.Calls(); c["urlMaps.patch"] != MaxAttempts {
		t.Errorf("urlMaps.patch calls = %d, want %d", c["urlMaps.patch"], MaxAttempts)
	}
}

// The class of what the provider returns (providers.Classify), through
// real REST calls: a rate limit or 5xx that outlasted the retries, and a
// server that refuses connections, are Transient (a later run may
// succeed); a URL map that does not exist, a cancelled context and a 412
// that outlasted the re-reads are Fatal. Only Transient errors were
// retried.
func TestSimErrorClasses(t *testing.T) {
	for _, kind := range []fault.Kind{fault.RateLimitExceeded, fault.TooManyRequests, fault.ServerError} {
		t.Run(string(kind), func(t *testing.T) {
			w := newSimWorld(t, gcpsim.Options{Seed: 34})
			w.srv.Faults().Add(fault.Rule{Op: "urlMaps.get", Kind: kind, Rate: 1})
			_, err := defaultRouteTarget(t, providerBlock(t, w.url)).Observe(providers.WithRunCache(testCtx(t)))
			if c := providers.Classify(err); err == nil || c != providers.Transient {
				t.Fatalf("Observe = %v (%v), want a Transient error", err, c)
			}
			var ce *CallError
			if !errors.As(err, &ce) || ce.Attempts != MaxAttempts {
				t.Errorf("CallError = %+v, want %d attempts", ce, MaxAttempts)
			}
			if n := w.srv.Calls()["urlMaps.get"]; n != MaxAttempts {
				t.Errorf("urlMaps.get calls = %d, want %d", n, MaxAttempts)
			}
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		w := newSimWorld(t, gcpsim.Options{Seed: 35})
		url := w.url
		w.srv.Close() // nothing listens there any more
		_, err := defaultRouteTarget(t, providerBlock(t, url)).Observe(providers.WithRunCache(testCtx(t)))
		if c := providers.Classify(err); err == nil || c != providers.Transient {
			t.Fatalf("Observe = %v (%v), want a Transient error", err, c)
		}
		var ce *CallError
		if !errors.As(err, &ce) || ce.Status != 0 || ce.Attempts != MaxAttempts {
			t.Errorf("CallError = %+v, want no status after %d attempts", ce, MaxAttempts)
		}
	})
	t.Run("not found", func(t *testing.T) {
		w := newSimWorld(t, gcpsim.Options{Seed: 36})
		tg, err := NewURLMap(providers.Config{Name: "x", Provider: providerBlock(t, w.url),
			Attrs: urlMapAttrs("no-such-map", "", "", -1, []string{"bs-aws"}, []string{"bs-gcp"})}, testOpts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tg.Apply(providers.WithRunCache(testCtx(t)), 5000)
		var nf *NotFoundError
		if c := providers.Classify(err); !errors.As(err, &nf) || c != providers.Fatal {
			t.Fatalf("Apply = %v (%v), want a Fatal NotFoundError", err, c)
		}
		if n := w.srv.Calls()["urlMaps.get"]; n != 1 {
			t.Errorf("urlMaps.get calls = %d, want 1: a 404 is not retried", n)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		w := newSimWorld(t, gcpsim.Options{Seed: 37})
		ctx, cancel := context.WithCancel(testCtx(t))
		cancel()
		_, err := defaultRouteTarget(t, providerBlock(t, w.url)).Observe(providers.WithRunCache(ctx))
		if c := providers.Classify(err); !errors.Is(err, context.Canceled) || c != providers.Fatal {
			t.Fatalf("Observe = %v (%v), want a Fatal context.Canceled", err, c)
		}
	})
}

// An operation that ends in error: Apply returns an error naming the map
// and the operation's message, and nothing changed.
func TestSimOperationError(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 33, PendingPolls: 1})
	pc := providerBlock(t, w.url)
	before := w.state(t)
	w.srv.FailOperations(1, 400, "Backend service bs-aws is in use by a classic load balancer")
	_, err := defaultRouteTarget(t, pc).Apply(testCtx(t), 5000)
	var oe *OperationError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "URL map lb in project fbctl-test (global)") ||
		!strings.Contains(err.Error(), "classic load balancer") {
		t.Fatalf("Apply = %v; want an operation error naming the map and the message", err)
	}
	w.srv.FailOperations(1, 503, "backend unavailable")
	capTg, err := NewBackendCapacity(providers.Config{Name: "cap", Provider: pc,
		Attrs: capacityAttrs("pool", "", []string{"us-east1-b/ig-aws"}, []string{"us-central1-a/ig-gcp"})}, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := capTg.Apply(testCtx(t), 5000); !errors.As(err, &oe) || !strings.Contains(err.Error(), "backend service pool") {
		t.Fatalf("capacity Apply = %v; want an operation error naming the service", err)
	}
	if diff := cmp.Diff(before, w.state(t), protoCmp...); diff != "" {
		t.Errorf("state changed:\n%s", diff)
	}
}

// Through the engine and the file store: a failed operation fails the
// run and the state does not advance; the next run, without the fault,
// advances. Both staged (ReconcileAll) and applied (Reconcile).
func TestSimEngineOperationErrorDoesNotAdvance(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 34, PendingPolls: 1})
	tg := defaultRouteTarget(t, providerBlock(t, w.url))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store, err := state.OpenFile(t.TempDir(), state.FileOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Options{Store: store, Now: clock, Holder: state.LockInfo{Owner: "test", Host: "h", PID: 1}})
	fb := testFailback("checkout", []providers.Share{2500, 5000, 10000}, engine.NamedTarget{Name: "gclb", Kind: "gcp_url_map", Target: tg})
	ctx := testCtx(t)

	w.srv.FailOperations(1, 400, "Invalid value for field 'resource.defaultRouteAction'")
	_, errs := eng.ReconcileAll(providers.WithRunCache(ctx), []*engine.Failback{fb}, false)
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "Invalid value for field") {
		t.Fatalf("run with a failing operation: %v", errs[0])
	}
	doc, err := store.Load(ctx, "checkout")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Share != 0 || doc.Step > 0 {
		t.Fatalf("state advanced to share %v step %d after a failed operation", doc.Share, doc.Step)
	}
	if ws := weightsOf(routeList(w.state(t).Maps["/lb"], "", -1)); ws["bs-aws"] != 0 || ws["bs-gcp"] != 1000 {
		t.Fatalf("the map changed: %v", ws)
	}

	now = now.Add(time.Hour)
	reps, errs := eng.ReconcileAll(providers.WithRunCache(ctx), []*engine.Failback{fb}, false)
	if errs[0] != nil || !reps[0].Applied || reps[0].After.Share != 2500 {
		t.Fatalf("the next run: %v, %+v", errs[0], reps[0])
	}
	if doc, _ = store.Load(ctx, "checkout"); doc.Share != 2500 {
		t.Fatalf("state share = %v after the next run, want 25%%", doc.Share)
	}
}

// okCheck is always healthy.
type okCheck struct{}

func (okCheck) Probe(context.Context) providers.Result {
	return providers.Result{Healthy: true, Detail: "ok"}
}

func testFailback(name string, steps []providers.Share, targets ...engine.NamedTarget) *engine.Failback {
	return &engine.Failback{Name: name, PrimaryName: "aws", SecondaryName: "gcp",
		Rollout: engine.Rollout{Steps: steps, Bake: 0, PrimaryHealthyFor: 0, OnUnhealthy: "rollback",
			Cooldown: time.Hour, OnDrift: "halt", Approval: "none"},
		Targets: targets,
		Checks: []engine.NamedCheck{{Name: "ok", Kind: "fake", Side: engine.Primary, Check: okCheck{},
			Interval: time.Minute, HealthyThreshold: 1, UnhealthyThreshold: 1, Samples: 1, EvidenceTTL: time.Hour}}}
}

// ---- Bad input: clear errors, nothing changed ----

func TestSimBadInput(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 40})
	pc := providerBlock(t, w.url)
	um := func(urlMap, region, matcher string, rule int, primary, secondary string) func() (providers.Target, error) {
		return func() (providers.Target, error) {
			return NewURLMap(providers.Config{Name: "x", Provider: pc,
				Attrs: urlMapAttrs(urlMap, region, matcher, rule, []string{primary}, []string{secondary})}, testOpts...)
		}
	}
	bc := func(service, region, primary, secondary string) func() (providers.Target, error) {
		return func() (providers.Target, error) {
			return NewBackendCapacity(providers.Config{Name: "x", Provider: pc,
				Attrs: capacityAttrs(service, region, []string{primary}, []string{secondary})}, testOpts...)
		}
	}
	for _, c := range []struct {
		name  string
		build func() (providers.Target, error)
		want  string // in the error of the constructor, or else of Observe and Apply
	}{
		{"map not found", um("checkout-lb", "", "", -1, "bs-aws", "bs-gcp"),
			`gcp_url_map "x": URL map checkout-lb not found in project fbctl-test (global)`},
		{"map in another region", um("lb", simRegion, "", -1, "r-aws", "r-gcp"),
			`URL map lb not found in project fbctl-test (region us-central1)`},
		{"service not referenced", um("lb", "", "", -1, "bs-aws", "bs-static"),
			`does not reference backend service bs-static (its weighted services: ` + w.srv.BackendServiceURL("", "bs-aws")},
		{"path matcher missing", um("lb", "", "web", -1, "bs-aws", "bs-gcp"),
			`path matcher "web" does not exist (path matchers: api, static)`},
		{"route rule missing", um("lb", "", "api", 30, "bs-aws", "bs-gcp"),
			`path matcher "api" has no route rule with priority 30 (route rule priorities: 10, 20)`},
		{"route rule not weighted", um("lb", "", "api", 20, "bs-aws", "bs-gcp"),
			`route rule 20 has no weighted route action (routeAction.weightedBackendServices) (it sends everything to ` + w.srv.BackendServiceURL("", "bs-static")},
		{"matcher not weighted", um("lb", "", "static", -1, "bs-aws", "bs-gcp"),
			`path matcher "static" has no weighted default route`},
		{"regional service on a global map", um("lb", "", "", -1, "bs-aws", w.srv.BackendServiceURL(simRegion, "r-gcp")),
			`secondary backend service "` + w.srv.BackendServiceURL(simRegion, "r-gcp") + `" is region us-central1 but the URL map is global`},
		{"global service on a regional map", um("rlb", simRegion, "", -1, "global/backendServices/bs-aws", "r-gcp"),
			`primary backend service "global/backendServices/bs-aws" is global but the URL map is region us-central1`},
		{"same service twice", um("lb", "", "", -1, "bs-aws", w.srv.BackendServiceURL("", "bs-aws")),
			`is named twice`},
		{"not a service", um("lb", "", "", -1, "bs-aws", "zones/z/instanceGroups/x"),
			`is not a backend service name or URL`},
		{"service not found", bc("nope", "", "us-east1-b/ig-aws", "us-central1-a/ig-gcp"),
			`gcp_backend_capacity "x": backend service nope not found in project fbctl-test (global)`},
		{"group missing", bc("pool", "", "us-east1-b/ig-aws", "us-central1-a/ig-nope"),
			`has no backend for group projects/fbctl-test/zones/us-central1-a/*/ig-nope (its backends: `},
		{"group twice", bc("pool", "", "us-east1-b/ig-aws", "zones/us-east1-b/instanceGroups/ig-aws"),
			`is named twice`},
		{"not a group", bc("pool", "", "ig-aws", "us-central1-a/ig-gcp"),
			`is not an instance group or network endpoint group URL, or ZONE/NAME`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := w.state(t)
			w.srv.ResetCalls()
			tg, err := c.build()
			if err == nil {
				_, err = tg.Observe(testCtx(t))
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("Observe = %v\nwant an error containing %s", err, c.want)
				}
				_, err = tg.Apply(testCtx(t), 5000)
				if st, ok := tg.(providers.Stager); ok && err != nil {
					if _, serr := st.Stage(providers.WithRunCache(testCtx(t)), 5000); serr == nil || !strings.Contains(serr.Error(), c.want) {
						t.Errorf("Stage = %v", serr)
					}
				}
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant an error containing %s", err, c.want)
			}
			if calls := w.srv.Calls(); calls["urlMaps.patch"]+calls["backendServices.patch"]+calls["regionUrlMaps.patch"] != 0 {
				t.Errorf("a write was sent: %v", calls)
			}
			if diff := cmp.Diff(before, w.state(t), protoCmp...); diff != "" {
				t.Errorf("state changed:\n%s", diff)
			}
		})
	}
}

// A URL map name the policy marks sensitive never shows in an error.
func TestSimSensitiveNamesRedacted(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 41})
	attrs := urlMapAttrs("secret-map", "", "", -1, []string{"bs-aws"}, []string{"bs-gcp"})
	m := attrs.AsValueMap()
	m["url_map"] = m["url_map"].Mark("sensitive")
	tg, err := NewURLMap(providers.Config{Name: "x", Provider: providerBlock(t, w.url), Attrs: cty.ObjectVal(m)}, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tg.Apply(testCtx(t), 5000)
	if err == nil || strings.Contains(err.Error(), "secret-map") || !strings.Contains(err.Error(), providers.Redacted) {
		t.Errorf("Apply = %v; want a not-found error with the name redacted", err)
	}
}

// A sensitive route_rule (a number too short for the text scrubber) is not
// printed in the error about a route rule that does not exist.
func TestSimSensitiveRouteRuleRedacted(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 43})
	m, err := w.srv.URLMap("", "lb")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.GetPathMatchers()) == 0 {
		t.Fatal("the seeded map has no path matcher")
	}
	matcher := m.GetPathMatchers()[0].GetName()
	attrs := urlMapAttrs("lb", "", matcher, 37, []string{"bs-aws"}, []string{"bs-gcp"}).AsValueMap()
	attrs["route_rule"] = attrs["route_rule"].Mark("sensitive")
	tg, err := NewURLMap(providers.Config{Name: "x", Provider: providerBlock(t, w.url), Attrs: cty.ObjectVal(attrs)}, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tg.Apply(testCtx(t), 5000)
	if err == nil || strings.Contains(err.Error(), "37") || !strings.Contains(err.Error(), "no route rule with priority "+providers.Redacted) {
		t.Errorf("Apply = %v; want a no-such-rule error with the priority redacted", err)
	}
}

// A cancelled context during the operation wait: Apply fails with the
// context's error, in bounded time.
func TestSimOperationWaitHonoursContext(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 42, PendingPolls: 1 << 20})
	tg := defaultRouteTarget(t, providerBlock(t, w.url))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := tg.Apply(ctx, 5000)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for operation") && !strings.Contains(err.Error(), "polling operation") {
		t.Fatalf("Apply = %v; want the deadline, while waiting for the operation", err)
	}
}
