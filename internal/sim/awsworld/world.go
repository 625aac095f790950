// Package awsworld serves fbctl's Route 53 and ELBv2 emulators on one
// loopback port, seeded with the AWS side of a failback as it stands after
// a failover: a weighted record group and an ALB listener with all traffic
// on the secondary, each target group with one healthy target. `fbctl demo` runs on it, and so do the CLI tests.
//
// One port serves both APIs, as LocalStack does: Route 53's REST paths
// (/2013-04-01/...) go to the Route 53 emulator, everything else to ELBv2.
package awsworld

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
	route53sim "github.com/fbctl/fbctl/internal/sim/route53"
)

// The seeded names, for policies.
const (
	Zone       = "demo.test"
	RecordName = "api.checkout.demo.test"
	PrimarySet = "aws-use1"
	SecondSet  = "gcp-usc1"
)

// World is the running emulators and what was seeded in them.
type World struct {
	Route53 *route53sim.Server
	ELBv2   *elbv2sim.Server
	// URL is the endpoint_url for an aws provider block.
	URL         string
	ZoneID      string
	ListenerARN string
	PrimaryTG   string
	SecondaryTG string

	srv *http.Server
}

// Start starts both emulators on one loopback port and seeds them. Changes
// are INSYNC at once.
func Start() (*World, error) {
	w := &World{
		Route53: route53sim.New(route53sim.Options{PendingPolls: -1}),
		ELBv2:   elbv2sim.New(elbv2sim.Options{}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w.URL = "http://" + ln.Addr().String()
	w.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/2013-04-01/") {
			w.Route53.ServeHTTP(rw, r)
			return
		}
		w.ELBv2.ServeHTTP(rw, r)
	})}
	go func() { _ = w.srv.Serve(ln) }()
	if err := w.seed(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// Close stops the emulators.
func (w *World) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = w.srv.Shutdown(ctx)
	w.Route53.Close()
	w.ELBv2.Close()
}

func (w *World) seed() error {
	w.ZoneID = w.Route53.AddZone(Zone, false)
	i64 := func(v int64) *int64 { return &v }
	for _, rs := range []route53sim.RecordSet{
		{Name: RecordName, Type: "A", SetIdentifier: PrimarySet, Weight: i64(0), TTL: i64(60), ResourceRecords: []string{"192.0.2.10"}},
		{Name: RecordName, Type: "A", SetIdentifier: SecondSet, Weight: i64(255), TTL: i64(60), ResourceRecords: []string{"198.51.100.20"}},
		{Name: "www." + Zone, Type: "CNAME", TTL: i64(300), ResourceRecords: []string{RecordName}},
	} {
		if err := w.Route53.PutRecordSet(w.ZoneID, rs); err != nil {
			return fmt.Errorf("seeding Route 53: %w", err)
		}
	}
	lb := w.ELBv2.AddLoadBalancer("checkout")
	w.PrimaryTG = w.ELBv2.AddTargetGroup("checkout-aws")
	w.SecondaryTG = w.ELBv2.AddTargetGroup("checkout-gcp")
	// One healthy target in each group: a group without a healthy target
	// delivers nothing, and fbctl does not move traffic onto it.
	w.ELBv2.SetTargetHealth(w.PrimaryTG, []elbv2sim.TargetHealth{{Id: "i-0aws000000000001", Port: 443, State: elbv2sim.StateHealthy}})
	w.ELBv2.SetTargetHealth(w.SecondaryTG, []elbv2sim.TargetHealth{{Id: "10.20.0.11", Port: 443, State: elbv2sim.StateHealthy}})
	w.ListenerARN = w.ELBv2.AddListener(lb, 443, []elbv2sim.Action{{
		Type: "forward",
		ForwardConfig: &elbv2sim.ForwardActionConfig{TargetGroups: []elbv2sim.TargetGroupTuple{
			{TargetGroupArn: elbv2sim.Ptr(w.PrimaryTG), Weight: elbv2sim.Ptr[int32](0)},
			{TargetGroupArn: elbv2sim.Ptr(w.SecondaryTG), Weight: elbv2sim.Ptr[int32](1)},
		}},
	}})
	return nil
}

// Weights describes the weights the emulators hold now, read from their own
// state: "route53 aws-use1=13 gcp-usc1=247 | alb aws=50 gcp=950".
func (w *World) Weights() string {
	var dns []string
	for _, rs := range w.Route53.RecordSets(w.ZoneID) {
		if rs.Weight != nil {
			dns = append(dns, fmt.Sprintf("%s=%d", rs.SetIdentifier, *rs.Weight))
		}
	}
	var alb []string
	if l, ok := w.ELBv2.Listener(w.ListenerARN); ok {
		for _, a := range l.DefaultActions {
			if a.ForwardConfig == nil {
				continue
			}
			for _, tg := range a.ForwardConfig.TargetGroups {
				name := "aws"
				if *tg.TargetGroupArn == w.SecondaryTG {
					name = "gcp"
				}
				alb = append(alb, fmt.Sprintf("%s=%d", name, *tg.Weight))
			}
		}
	}
	return fmt.Sprintf("route53 %s | alb %s", strings.Join(dns, " "), strings.Join(alb, " "))
}
