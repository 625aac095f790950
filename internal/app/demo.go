package app

import (
	"context"
	_ "embed"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/internal/sim/awsworld"
	gcpsim "github.com/fbctl/fbctl/internal/sim/gcp"
	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/providers"
)

//go:embed demo/policy.hcl.tmpl
var demoPolicy string

// DemoOptions are the options of `fbctl demo`.
type DemoOptions struct {
	Global *Global
	// BreakPrimary makes the primary fail its health check once the
	// rollout reaches 25 %, to show the rollback.
	BreakPrimary bool
	// Keep leaves the demo's directory (policy, state, history) in place
	// and prints where it is.
	Keep bool
}

// demoService is a local HTTP service standing in for one site.
type demoService struct {
	name    string
	url     string
	srv     *http.Server
	healthy atomic.Bool
}

func startDemoService(name string) (*demoService, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &demoService{name: name, url: "http://" + ln.Addr().String()}
	d.healthy.Store(true)
	d.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && !d.healthy.Load() {
			http.Error(w, name+" is failing", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "%s ok\n", name)
	})}
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

func (d *demoService) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.srv.Shutdown(ctx)
}

// demoProject is the GCP project the demo's compute emulator serves.
const demoProject = "demo-project"

// urlMapWeights renders the weights of a global URL map's default route,
// as the emulator holds them: "urlmap checkout-aws=0 checkout-gcp=1000".
func urlMapWeights(gcp *gcpsim.Server, name string) string {
	m, err := gcp.URLMap("", name)
	if err != nil {
		return "urlmap: " + err.Error()
	}
	var b strings.Builder
	b.WriteString("urlmap")
	for _, w := range m.GetDefaultRouteAction().GetWeightedBackendServices() {
		svc := w.GetBackendService()
		fmt.Fprintf(&b, " %s=%d", svc[strings.LastIndex(svc, "/")+1:], w.GetWeight())
	}
	return b.String()
}

// Demo runs fbctl's main job on embedded defaults: it starts the AWS and
// GCP emulators and two local services, writes the embedded policy, and runs the
// real engine (real SDK calls, the file state store) through stabilization,
// every step and completion, or, with BreakPrimary, a rollback. It cleans
// up everything it started.
func Demo(ctx context.Context, streams IO, opts DemoOptions) error {
	// The emulators ignore signatures, but the SDK insists on credentials:
	// give it fixed ones and keep it away from ~/.aws and instance metadata.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "fbctl-demo", "AWS_SECRET_ACCESS_KEY": "fbctl-demo", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	out := streams.Out
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(out, "[%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}

	dir, err := os.MkdirTemp("", "fbctl-demo-")
	if err != nil {
		return err
	}
	if !opts.Keep {
		defer os.RemoveAll(dir)
	}
	aws, err := awsworld.Start()
	if err != nil {
		return err
	}
	defer aws.Close()
	gcp := gcpsim.New(gcpsim.Options{Project: demoProject})
	gcpURL, err := gcp.Start()
	if err != nil {
		return err
	}
	defer gcp.Close()
	gdemo, err := gcpsim.SeedDemo(gcp)
	if err != nil {
		return err
	}
	weights := func() string { return aws.Weights() + " | " + urlMapWeights(gcp, gdemo.URLMap) }
	primary, err := startDemoService("aws-use1")
	if err != nil {
		return err
	}
	defer primary.close()
	secondary, err := startDemoService("gcp-usc1")
	if err != nil {
		return err
	}
	defer secondary.close()

	var policy strings.Builder
	err = template.Must(template.New("policy").Parse(demoPolicy)).Execute(&policy, map[string]string{
		"AWSURL": aws.URL, "ZoneID": aws.ZoneID, "ListenerARN": aws.ListenerARN,
		"PrimaryTG": aws.PrimaryTG, "SecondaryTG": aws.SecondaryTG,
		"PrimaryURL": primary.url, "SecondaryURL": secondary.url,
		"GCPURL": gcpURL, "GCPProject": demoProject, "URLMap": gdemo.URLMap,
	})
	if err != nil {
		return err
	}
	policyPath := filepath.Join(dir, "fbctl.hcl")
	if err := os.WriteFile(policyPath, []byte(policy.String()), 0o600); err != nil {
		return err
	}

	say("fbctl demo: checkout failed over from aws-use1 (primary) to gcp-usc1 (secondary); moving it back.")
	say("emulators: Route 53 + ELBv2 at %s, GCP compute at %s; services: %s (primary), %s (secondary)", aws.URL, gcpURL, primary.url, secondary.url)
	say("policy %s; state in %s", policyPath, filepath.Join(dir, "state"))
	say("before: %s", weights())

	g := *opts.Global
	g.Policies = []string{policyPath}
	g.Propagate = true
	s, err := g.openSession(streams, nil)
	if err != nil {
		return err
	}
	fb := s.failbacks[0]
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	broke := false
	last := ""
	for {
		rep, err := s.engine.Reconcile(providers.WithRunCache(ctx), fb, false)
		if err != nil {
			return exitFor(err)
		}
		d := rep.Decision
		line := s.line(fb.Name, rep, nil)
		if d.Writes {
			say("%s", line)
			say("   now: %s", weights())
		} else if line != last {
			say("%s", line)
		}
		last = line
		if opts.BreakPrimary && !broke && rep.After.Share >= 2500 {
			broke = true
			primary.healthy.Store(false)
			say("--break-primary: aws-use1 now fails its health check")
		}
		if d.Action == engine.ActionRollback {
			say("rolled back: all traffic is on gcp-usc1 again; the next attempt waits for the cooldown. Done.")
			break
		}
		if rep.After.Phase == state.PhasePrimary && !d.Writes {
			say("failback complete: aws-use1 has all the traffic. Done.")
			break
		}
		if d.Outcome == engine.OutcomeHalted {
			return &ExitError{Code: ExitHalted, Err: fmt.Errorf("the demo halted: %s", d.Reason)}
		}
		if err := realSleep(ctx, nextWake(fb, rep, time.Now()).Sub(time.Now())); err != nil {
			return fmt.Errorf("the demo did not finish in time: %w", err)
		}
	}
	if evs, err := s.engine.History(ctx, fb.Name); err == nil {
		say("history: %d events recorded in %s", len(evs), filepath.Join(dir, "state", fb.Name+".history.jsonl"))
	}
	if opts.Keep {
		say("kept %s (policy, state, history)", dir)
	}
	return nil
}
