package main

import (
	"fmt"
	"path"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/rogpeppe/go-internal/testscript"
	"google.golang.org/protobuf/proto"

	gcpsim "github.com/fbctl/fbctl/internal/sim/gcp"
	"github.com/fbctl/fbctl/internal/testenv"
)

type gcpKey struct{}

type gcpEnv struct {
	srv  *gcpsim.Server
	demo *gcpsim.Demo
}

// setupGCP starts, for a script named gcp_*, fbctl's GCP Compute emulator
// seeded with gcpsim.SeedDemo (the URL map and the capacity pool with all
// traffic on the secondary) and two HTTP backends, stopped when the script
// ends, and exports GCP_URL, GCP_PROJECT, URL_MAP, CAPACITY_SERVICE,
// PRIMARY_GROUP, SECONDARY_GROUP, PRIMARY_URL and SECONDARY_URL. Its
// command:
//
//	gcpweights   print the URL map's default-route weights and the
//	             capacity pool's scalers, from the emulator's own state
func setupGCP(env *testscript.Env) error {
	t, ok := env.T().(testing.TB)
	if !ok {
		return fmt.Errorf("testscript's T is a %T, not a testing.TB", env.T())
	}
	if !strings.HasPrefix(path.Base(t.Name()), "gcp_") {
		return nil
	}
	srv := gcpsim.New(gcpsim.Options{Project: "demo-project"})
	url, err := srv.Start()
	if err != nil {
		return err
	}
	t.Cleanup(srv.Close)
	demo, err := gcpsim.SeedDemo(srv)
	if err != nil {
		return err
	}
	be := testenv.StartHTTPBackends(t, "primary", "secondary")
	for k, v := range map[string]string{
		"GCP_URL": url, "GCP_PROJECT": srv.Project(), "URL_MAP": demo.URLMap,
		"CAPACITY_SERVICE": demo.CapacityService, "PRIMARY_GROUP": demo.PrimaryGroup,
		"SECONDARY_GROUP": demo.SecondaryGroup, "PRIMARY_URL": be[0].URL, "SECONDARY_URL": be[1].URL,
	} {
		env.Setenv(k, v)
	}
	env.Values[gcpKey{}] = &gcpEnv{srv: srv, demo: demo}
	env.Values[engineKey{}] = &engineEnv{t: t, backend: map[string]*testenv.HTTPBackend{"primary": be[0], "secondary": be[1]}}
	return nil
}

// cmdGCPHealth sets what getHealth reports for every backend group of a
// global backend service: gcphealth SERVICE STATE... (HEALTHY, UNHEALTHY,
// DRAINING, TIMEOUT; one instance per state).
func cmdGCPHealth(ts *testscript.TestScript, neg bool, args []string) {
	g, _ := ts.Value(gcpKey{}).(*gcpEnv)
	if g == nil {
		ts.Fatalf("gcphealth: only gcp_* scripts have the GCP emulator")
	}
	if len(args) < 1 {
		ts.Fatalf("usage: gcphealth SERVICE STATE...")
	}
	bs, err := g.srv.BackendService("", args[0])
	ts.Check(err)
	var status []*computepb.HealthStatus
	for i, st := range args[1:] {
		status = append(status, &computepb.HealthStatus{IpAddress: proto.String(fmt.Sprintf("10.9.0.%d", i+1)),
			Port: proto.Int32(443), HealthState: proto.String(st)})
	}
	for _, be := range bs.GetBackends() {
		ts.Check(g.srv.SetGroupHealth("", args[0], be.GetGroup(), status))
	}
}

// cmdGCPWeights prints what the emulator holds:
// "urlmap checkout-aws=0 checkout-gcp=1000 | pool ig-aws-proxy=0 ig-gcp=1".
func cmdGCPWeights(ts *testscript.TestScript, neg bool, args []string) {
	g, _ := ts.Value(gcpKey{}).(*gcpEnv)
	if g == nil {
		ts.Fatalf("gcpweights: only gcp_* scripts have the GCP emulator")
	}
	last := func(s string) string { return s[strings.LastIndex(s, "/")+1:] }
	var b strings.Builder
	m, err := g.srv.URLMap("", g.demo.URLMap)
	ts.Check(err)
	b.WriteString("urlmap")
	for _, w := range m.GetDefaultRouteAction().GetWeightedBackendServices() {
		fmt.Fprintf(&b, " %s=%d", last(w.GetBackendService()), w.GetWeight())
	}
	bs, err := g.srv.BackendService("", g.demo.CapacityService)
	ts.Check(err)
	b.WriteString(" | pool")
	for _, be := range bs.GetBackends() {
		fmt.Fprintf(&b, " %s=%g", last(be.GetGroup()), be.GetCapacityScaler())
	}
	fmt.Fprintln(ts.Stdout(), b.String())
}
