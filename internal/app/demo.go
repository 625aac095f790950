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
	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
	route53sim "github.com/fbctl/fbctl/internal/sim/route53"
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

// awsEmulators serves the Route 53 emulator (REST paths under
// /2013-04-01/) and the ELBv2 emulator (query protocol on /) on one
// loopback port, so one endpoint_url reaches both, as with LocalStack.
type awsEmulators struct {
	r53 *route53sim.Server
	elb *elbv2sim.Server
	srv *http.Server
	url string
}

func startAWSEmulators() (*awsEmulators, error) {
	e := &awsEmulators{
		r53: route53sim.New(route53sim.Options{PendingPolls: -1}),
		elb: elbv2sim.New(elbv2sim.Options{}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.url = "http://" + ln.Addr().String()
	e.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/2013-04-01/") {
			e.r53.ServeHTTP(w, r)
			return
		}
		e.elb.ServeHTTP(w, r)
	})}
	go func() { _ = e.srv.Serve(ln) }()
	return e, nil
}

// demoWorld is what the demo runs against.
type demoWorld struct {
	aws                *awsEmulators
	primary, secondary *demoService
	zoneID             string
	listenerARN        string
	primaryTG          string
	secondaryTG        string
}

func (w *demoWorld) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range []*http.Server{w.primary.srv, w.secondary.srv, w.aws.srv} {
		if s != nil {
			_ = s.Shutdown(ctx)
		}
	}
	w.aws.r53.Close()
	w.aws.elb.Close()
}

// seed creates the zone, the weighted records, the load balancer and its
// listener as they stand after a failover: everything on the secondary.
func (w *demoWorld) seed() error {
	r53 := w.aws.r53
	w.zoneID = r53.AddZone("demo.test", false)
	i64 := func(v int64) *int64 { return &v }
	for _, rs := range []route53sim.RecordSet{
		{Name: "api.checkout.demo.test", Type: "A", SetIdentifier: "aws-use1", Weight: i64(0), TTL: i64(60), ResourceRecords: []string{"192.0.2.10"}},
		{Name: "api.checkout.demo.test", Type: "A", SetIdentifier: "gcp-usc1", Weight: i64(255), TTL: i64(60), ResourceRecords: []string{"198.51.100.20"}},
		{Name: "www.demo.test", Type: "CNAME", TTL: i64(300), ResourceRecords: []string{"api.checkout.demo.test"}},
	} {
		if err := r53.PutRecordSet(w.zoneID, rs); err != nil {
			return fmt.Errorf("seeding Route 53: %w", err)
		}
	}
	elb := w.aws.elb
	lb := elb.AddLoadBalancer("checkout")
	w.primaryTG = elb.AddTargetGroup("checkout-aws")
	w.secondaryTG = elb.AddTargetGroup("checkout-gcp")
	w.listenerARN = elb.AddListener(lb, 443, []elbv2sim.Action{{
		Type: "forward",
		ForwardConfig: &elbv2sim.ForwardActionConfig{TargetGroups: []elbv2sim.TargetGroupTuple{
			{TargetGroupArn: elbv2sim.Ptr(w.primaryTG), Weight: elbv2sim.Ptr[int32](0)},
			{TargetGroupArn: elbv2sim.Ptr(w.secondaryTG), Weight: elbv2sim.Ptr[int32](1)},
		}},
	}})
	return nil
}

// weights describes what the emulators hold now, read from their own state.
func (w *demoWorld) weights() string {
	var dns []string
	for _, rs := range w.aws.r53.RecordSets(w.zoneID) {
		if rs.Weight != nil {
			dns = append(dns, fmt.Sprintf("%s=%d", rs.SetIdentifier, *rs.Weight))
		}
	}
	var alb []string
	if l, ok := w.aws.elb.Listener(w.listenerARN); ok {
		for _, a := range l.DefaultActions {
			if a.ForwardConfig == nil {
				continue
			}
			for _, tg := range a.ForwardConfig.TargetGroups {
				name := "aws"
				if *tg.TargetGroupArn == w.secondaryTG {
					name = "gcp"
				}
				alb = append(alb, fmt.Sprintf("%s=%d", name, *tg.Weight))
			}
		}
	}
	return fmt.Sprintf("route53 %s | alb %s", strings.Join(dns, " "), strings.Join(alb, " "))
}

// Demo runs fbctl's main job on embedded defaults: it starts the AWS
// emulators and two local services, writes the embedded policy, and runs the
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
	w := &demoWorld{}
	if w.aws, err = startAWSEmulators(); err != nil {
		return err
	}
	if w.primary, err = startDemoService("aws-use1"); err != nil {
		w.aws.r53.Close()
		return err
	}
	if w.secondary, err = startDemoService("gcp-usc1"); err != nil {
		return err
	}
	defer w.close()
	if err := w.seed(); err != nil {
		return err
	}

	var policy strings.Builder
	err = template.Must(template.New("policy").Parse(demoPolicy)).Execute(&policy, map[string]string{
		"AWSURL": w.aws.url, "ZoneID": w.zoneID, "ListenerARN": w.listenerARN,
		"PrimaryTG": w.primaryTG, "SecondaryTG": w.secondaryTG,
		"PrimaryURL": w.primary.url, "SecondaryURL": w.secondary.url,
	})
	if err != nil {
		return err
	}
	policyPath := filepath.Join(dir, "fbctl.hcl")
	if err := os.WriteFile(policyPath, []byte(policy.String()), 0o600); err != nil {
		return err
	}

	say("fbctl demo: checkout failed over from aws-use1 (primary) to gcp-usc1 (secondary); moving it back.")
	say("emulators: Route 53 + ELBv2 at %s; services: %s (primary), %s (secondary)", w.aws.url, w.primary.url, w.secondary.url)
	say("policy %s; state in %s", policyPath, filepath.Join(dir, "state"))
	say("before: %s", w.weights())

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
