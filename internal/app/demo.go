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
	// Serve runs no failback: it leaves the emulators, the services and a
	// control endpoint running, prints the commands to try against them,
	// and stops everything when the context is cancelled.
	Serve bool
}

// The demo's failback and its two sites, as the embedded policy names them.
const (
	demoFailback  = "checkout"
	demoPrimary   = "aws-use1"
	demoSecondary = "gcp-usc1"
)

// demoCredentials are the AWS credentials the demo gives the SDK: the
// emulators ignore signatures, but the SDK refuses to call without any.
var demoCredentials = [][2]string{{"AWS_ACCESS_KEY_ID", "fbctl-demo"}, {"AWS_SECRET_ACCESS_KEY", "fbctl-demo"}}

// serveLoopback serves h on a free port of 127.0.0.1 and returns its URL.
func serveLoopback(h http.Handler) (string, *http.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: h}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), srv, nil
}

// shutdown stops srv; Shutdown closes the listener before it returns, so
// the port is closed when this returns.
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		_ = srv.Close()
	}
}

// demoService is a local HTTP service standing in for one site.
type demoService struct {
	name    string
	url     string
	srv     *http.Server
	healthy atomic.Bool
}

func startDemoService(name string) (*demoService, error) {
	d := &demoService{name: name}
	d.healthy.Store(true)
	var err error
	d.url, d.srv, err = serveLoopback(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && !d.healthy.Load() {
			http.Error(w, name+" is failing", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "%s ok\n", name)
	}))
	if err != nil {
		return nil, err
	}
	return d, nil
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

// demoWorld is everything the demo starts: the emulators, the two
// services and the directory holding the policy and the state.
type demoWorld struct {
	dir, policyPath    string
	aws                *awsworld.World
	gcp                *gcpsim.Server
	gcpURL, urlMap     string
	primary, secondary *demoService
	// stops stops what was started, in the order it was started.
	stops []func()
}

// startDemoWorld starts the emulators and the services and writes the
// policy into a new temporary directory, with schedule as its top-level
// schedule unless empty. On an error it stops what it started and removes
// the directory.
func startDemoWorld(schedule string) (_ *demoWorld, err error) {
	w := &demoWorld{}
	defer func() {
		if err != nil {
			w.close()
			if w.dir != "" {
				_ = os.RemoveAll(w.dir)
			}
		}
	}()
	if w.dir, err = os.MkdirTemp("", "fbctl-demo-"); err != nil {
		return nil, err
	}
	if w.aws, err = awsworld.Start(); err != nil {
		return nil, err
	}
	w.stops = append(w.stops, w.aws.Close)
	w.gcp = gcpsim.New(gcpsim.Options{Project: demoProject})
	if w.gcpURL, err = w.gcp.Start(); err != nil {
		return nil, err
	}
	w.stops = append(w.stops, w.gcp.Close)
	gdemo, err := gcpsim.SeedDemo(w.gcp)
	if err != nil {
		return nil, err
	}
	w.urlMap = gdemo.URLMap
	if w.primary, err = startDemoService(demoPrimary); err != nil {
		return nil, err
	}
	w.stops = append(w.stops, func() { shutdown(w.primary.srv) })
	if w.secondary, err = startDemoService(demoSecondary); err != nil {
		return nil, err
	}
	w.stops = append(w.stops, func() { shutdown(w.secondary.srv) })

	var policy strings.Builder
	err = template.Must(template.New("policy").Parse(demoPolicy)).Execute(&policy, map[string]string{
		"AWSURL": w.aws.URL, "ZoneID": w.aws.ZoneID, "ListenerARN": w.aws.ListenerARN,
		"PrimaryTG": w.aws.PrimaryTG, "SecondaryTG": w.aws.SecondaryTG,
		"PrimaryURL": w.primary.url, "SecondaryURL": w.secondary.url,
		"GCPURL": w.gcpURL, "GCPProject": demoProject, "URLMap": w.urlMap,
		"Schedule": schedule,
	})
	if err != nil {
		return nil, err
	}
	w.policyPath = filepath.Join(w.dir, "fbctl.hcl")
	if err := os.WriteFile(w.policyPath, []byte(policy.String()), 0o600); err != nil {
		return nil, err
	}
	return w, nil
}

// weights describes the weights the emulators hold now.
func (w *demoWorld) weights() string {
	return w.aws.Weights() + " | " + urlMapWeights(w.gcp, w.urlMap)
}

// close stops the emulators and the services, last started first.
func (w *demoWorld) close() {
	for i := len(w.stops) - 1; i >= 0; i-- {
		w.stops[i]()
	}
	w.stops = nil
}

// Demo runs fbctl's main job on embedded defaults: it starts the AWS and
// GCP emulators and two local services, writes the embedded policy, and runs the
// real engine (real SDK calls, the file state store) through stabilization,
// every step and completion, or, with BreakPrimary, a rollback. It cleans
// up everything it started. With Serve it runs nothing itself: see
// demoServe.
func Demo(ctx context.Context, streams IO, opts DemoOptions) error {
	if opts.Serve && opts.BreakPrimary {
		return Invalid("--break-primary and --serve do not go together: --serve prints the command that makes the primary fail")
	}
	// The emulators ignore signatures, but the SDK insists on credentials:
	// give it fixed ones and keep it away from ~/.aws and instance metadata.
	env := map[string]string{
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
	}
	for _, kv := range demoCredentials {
		env[kv[0]] = kv[1]
	}
	for k, v := range env {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	schedule := ""
	if opts.Serve {
		// Evidence would otherwise go stale between two commands typed
		// by hand (3 × the checks' 1s interval), and shift would refuse.
		schedule = "5m"
	}
	w, err := startDemoWorld(schedule)
	if err != nil {
		return err
	}
	if opts.Serve {
		return demoServe(ctx, streams, opts, w)
	}
	defer w.close()
	if !opts.Keep {
		defer os.RemoveAll(w.dir)
	}
	return demoRun(ctx, streams, opts, w)
}

// demoRun moves the failback back to the primary on w and narrates it.
func demoRun(ctx context.Context, streams IO, opts DemoOptions, w *demoWorld) error {
	out := streams.Out
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(out, "[%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	dir := w.dir
	say("fbctl demo: checkout failed over from aws-use1 (primary) to gcp-usc1 (secondary); moving it back.")
	say("emulators: Route 53 + ELBv2 at %s, GCP compute at %s; services: %s (primary), %s (secondary)", w.aws.URL, w.gcpURL, w.primary.url, w.secondary.url)
	say("policy %s; state in %s", w.policyPath, filepath.Join(dir, "state"))
	say("before: %s", w.weights())

	g := *opts.Global
	g.Policies = []string{w.policyPath}
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
			say("   now: %s", w.weights())
		} else if line != last {
			say("%s", line)
		}
		last = line
		if opts.BreakPrimary && !broke && rep.After.Share >= 2500 {
			broke = true
			w.primary.healthy.Store(false)
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
