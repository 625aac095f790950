package gcp

import (
	"context"
	"strings"
	"testing"

	"github.com/fbctl/fbctl/internal/sim/fault"
	gcpsim "github.com/fbctl/fbctl/internal/sim/gcp"
	"github.com/fbctl/fbctl/providers"
)

func wantOut(t *testing.T, side, got, want string) {
	t.Helper()
	if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
		t.Errorf("%s out = %q; want %q", side, got, want)
	}
}

func TestSimURLMapObserveSides(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 70})
	pc := providerBlock(t, w.url)
	tg := defaultRouteTarget(t, pc)
	negAWS := w.group("", "networkEndpointGroups", "neg-aws")
	igWeb := w.group("us-central1-a", "instanceGroups", "ig-web")
	for _, c := range []struct {
		name                     string
		aws, gcp                 []string // health states; nil seeds nothing
		primaryOut, secondaryOut string
	}{
		{name: "nothing reported counts as delivering"},
		{name: "both healthy", aws: []string{"HEALTHY"}, gcp: []string{"UNHEALTHY", "HEALTHY"}},
		{name: "primary unhealthy and draining", aws: []string{"UNHEALTHY", "DRAINING"}, gcp: []string{"HEALTHY"},
			primaryOut: "no primary backend service can take traffic (backend service bs-aws: no HEALTHY backend (neg-aws: 1 DRAINING, 1 UNHEALTHY))"},
		{name: "secondary unhealthy", aws: []string{"HEALTHY"}, gcp: []string{"UNHEALTHY", "TIMEOUT"},
			secondaryOut: "backend service bs-gcp: no HEALTHY backend (ig-web: 1 TIMEOUT, 1 UNHEALTHY)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := w.srv.SetGroupHealth("", "bs-aws", negAWS, statuses(c.aws...)); err != nil {
				t.Fatal(err)
			}
			if err := w.srv.SetGroupHealth("", "bs-gcp", igWeb, statuses(c.gcp...)); err != nil {
				t.Fatal(err)
			}
			w.srv.ResetCalls()
			ctx := providers.WithRunCache(testCtx(t))
			s, sides, err := tg.ObserveSides(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s != 0 {
				t.Errorf("share = %v; want the weights' 0 %%", s)
			}
			wantOut(t, "primary", sides.PrimaryOut, c.primaryOut)
			wantOut(t, "secondary", sides.SecondaryOut, c.secondaryOut)
			if _, _, err := tg.ObserveSides(ctx); err != nil {
				t.Fatal(err)
			}
			calls := w.srv.Calls()
			if calls["backendServices.getHealth"] != 2 || calls["backendServices.get"] != 2 || calls["urlMaps.get"] != 1 {
				t.Errorf("calls = %v; want one urlMaps.get, and one get and one getHealth per backend service, per run", calls)
			}
		})
	}
	t.Run("getHealth fails", func(t *testing.T) {
		w.srv.Faults().Add(fault.Rule{Op: "backendServices.getHealth", Kind: fault.ServerError, Rate: 1})
		defer w.srv.Faults().Reset()
		_, _, err := tg.ObserveSides(providers.WithRunCache(context.Background()))
		if err == nil || !strings.Contains(err.Error(), "getHealth of group neg-aws in backend service bs-aws") {
			t.Fatalf("ObserveSides = %v; want an error naming getHealth, the group and the service", err)
		}
	})
}

func TestSimBackendCapacityObserveSides(t *testing.T) {
	w := newSimWorld(t, gcpsim.Options{Seed: 71})
	pc := providerBlock(t, w.url)
	tg, err := NewBackendCapacity(providers.Config{Name: "cap", Provider: pc,
		Attrs: capacityAttrs("pool", "", []string{"us-east1-b/ig-aws"}, []string{"us-central1-a/ig-gcp"})}, testOpts...)
	if err != nil {
		t.Fatal(err)
	}
	igAWS := w.group("us-east1-b", "instanceGroups", "ig-aws")
	igGCP := w.group("us-central1-a", "instanceGroups", "ig-gcp")
	for _, c := range []struct {
		name                     string
		aws, gcp                 []string
		primaryOut, secondaryOut string
	}{
		{name: "both healthy", aws: []string{"HEALTHY", "UNHEALTHY"}, gcp: []string{"HEALTHY"}},
		{name: "primary draining", aws: []string{"DRAINING", "DRAINING"}, gcp: []string{"HEALTHY"},
			primaryOut: "no primary group of backend service pool"},
		{name: "secondary unhealthy", aws: []string{"HEALTHY"}, gcp: []string{"UNHEALTHY"},
			secondaryOut: "has a HEALTHY instance or endpoint (ig-gcp: 1 UNHEALTHY)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := w.srv.SetGroupHealth("", "pool", igAWS, statuses(c.aws...)); err != nil {
				t.Fatal(err)
			}
			if err := w.srv.SetGroupHealth("", "pool", igGCP, statuses(c.gcp...)); err != nil {
				t.Fatal(err)
			}
			w.srv.ResetCalls()
			ctx := providers.WithRunCache(testCtx(t))
			s, sides, err := tg.ObserveSides(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := tg.Observe(ctx); s != want {
				t.Errorf("share = %v; Observe = %v", s, want)
			}
			wantOut(t, "primary", sides.PrimaryOut, c.primaryOut)
			wantOut(t, "secondary", sides.SecondaryOut, c.secondaryOut)
			if _, _, err := tg.ObserveSides(ctx); err != nil {
				t.Fatal(err)
			}
			calls := w.srv.Calls()
			if calls["backendServices.getHealth"] != 2 || calls["backendServices.get"] != 1 {
				t.Errorf("calls = %v; want one get of the service and one getHealth per group, per run", calls)
			}
		})
	}
}
