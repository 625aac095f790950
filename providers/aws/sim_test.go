package aws

// The route53_weighted and alb_forward targets against fbctl's own wire
// emulators (internal/sim), with the real SDK clients and the provider's
// own retryer and rate limiter: the conformance suite, and the safety
// promises (nothing but the named weights ever changes). The moto tests
// (route53_test.go, alb_test.go) cover the same ground against an
// independent emulator; these add strict validation (the emulators refuse
// what AWS refuses) and a view of the stored state that includes what the
// API never describes (the OIDC client secret).

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
	route53sim "github.com/fbctl/fbctl/internal/sim/route53"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

// ---- Route 53 ----

// simHealthCheck is the health check id of the steered primary set.
const simHealthCheck = "hc-aws"

// simR53 is a Route 53 emulator with the hosted zone example.com, whose
// steered groups are
//
//   - api.example.com A {aws (health check), gcp}, both weight 1, TTL 60;
//   - mix.example.com A {p1 plain with health check, p2 alias} and {s1
//     plain}, beside the foreign weighted set "legacy" (weight 5) that the
//     policy does not name;
//
// and whose many neighbours the targets must leave alone: the same set
// identifiers on another type (api AAAA aws/gcp) and under another routing
// policy (fo A failover aws/gcp), another weighted group (db A), a weighted
// group of alias sets (edge A), a TXT at the steered name, a CNAME, a
// plain alias, a wildcard, TXT, MX, a geolocation set, and the apex NS and
// SOA.
type simR53 struct {
	srv   *route53sim.Server
	url   string
	zone  string
	named []route53sim.RecordSet // the steered sets as seeded
}

// startSimR53 starts an empty Route 53 emulator for the test.
func startSimR53(t *testing.T, opts route53sim.Options) *simR53 {
	t.Helper()
	srv := route53sim.New(opts)
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &simR53{srv: srv, url: url}
}

func newSimR53World(t *testing.T, opts route53sim.Options) *simR53 {
	t.Helper()
	w := startSimR53(t, opts)
	w.zone = w.srv.AddZone("example.com", false)
	w.srv.AddHealthCheck(simHealthCheck, route53sim.Checkers(16, 0))
	aws1 := simWeighted("api.example.com", "A", "aws", 1, "192.0.2.1")
	aws1.HealthCheckId = simHealthCheck
	p1 := simWeighted("mix.example.com", "A", "p1", 10, "192.0.2.21")
	p1.HealthCheckId = simHealthCheck
	p2 := route53sim.RecordSet{Name: "mix.example.com", Type: "A", SetIdentifier: "p2", Weight: ptrTo[int64](10),
		AliasTarget: &route53sim.AliasTarget{HostedZoneId: w.zone, DNSName: "cdn.example.com.", EvaluateTargetHealth: true}}
	w.named = []route53sim.RecordSet{
		aws1, simWeighted("api.example.com", "A", "gcp", 1, "198.51.100.1"),
		p1, p2, simWeighted("mix.example.com", "A", "s1", 20, "198.51.100.21"),
	}
	w.put(t, w.named...)
	w.put(t,
		simWeighted("mix.example.com", "A", "legacy", 5, "203.0.113.21"),
		simWeighted("api.example.com", "AAAA", "aws", 7, "2001:db8::1"),
		simWeighted("api.example.com", "AAAA", "gcp", 9, "2001:db8::2"),
		route53sim.RecordSet{Name: "api.example.com", Type: "TXT", TTL: ptrTo[int64](300), ResourceRecords: []string{`"owner=platform"`}},
		route53sim.RecordSet{Name: "fo.example.com", Type: "A", SetIdentifier: "aws", Failover: "PRIMARY", TTL: ptrTo[int64](60),
			HealthCheckId: simHealthCheck, ResourceRecords: []string{"192.0.2.31"}},
		route53sim.RecordSet{Name: "fo.example.com", Type: "A", SetIdentifier: "gcp", Failover: "SECONDARY", TTL: ptrTo[int64](60),
			ResourceRecords: []string{"198.51.100.31"}},
		simWeighted("db.example.com", "A", "aws", 10, "192.0.2.10"),
		simWeighted("db.example.com", "A", "gcp", 20, "198.51.100.10"),
		route53sim.RecordSet{Name: "edge.example.com", Type: "A", SetIdentifier: "blue", Weight: ptrTo[int64](3),
			AliasTarget: &route53sim.AliasTarget{HostedZoneId: "Z35SXDOTRQ7X7K", DNSName: "blue-1.us-east-1.elb.amazonaws.com.", EvaluateTargetHealth: true}},
		route53sim.RecordSet{Name: "edge.example.com", Type: "A", SetIdentifier: "green", Weight: ptrTo[int64](4),
			AliasTarget: &route53sim.AliasTarget{HostedZoneId: "Z35SXDOTRQ7X7K", DNSName: "green-1.us-east-1.elb.amazonaws.com."}},
		route53sim.RecordSet{Name: "www.example.com", Type: "CNAME", TTL: ptrTo[int64](300), ResourceRecords: []string{"api.example.com"}},
		route53sim.RecordSet{Name: "cdn.example.com", Type: "A",
			AliasTarget: &route53sim.AliasTarget{HostedZoneId: w.zone, DNSName: "api.example.com.", EvaluateTargetHealth: true}},
		route53sim.RecordSet{Name: "*.example.com", Type: "A", TTL: ptrTo[int64](60), ResourceRecords: []string{"192.0.2.200"}},
		route53sim.RecordSet{Name: "txt.example.com", Type: "TXT", TTL: ptrTo[int64](120), ResourceRecords: []string{`"v=spf1 -all"`}},
		route53sim.RecordSet{Name: "example.com", Type: "MX", TTL: ptrTo[int64](3600), ResourceRecords: []string{"10 mx1.example.com", "20 mx2.example.com"}},
		route53sim.RecordSet{Name: "geo.example.com", Type: "A", SetIdentifier: "eu", GeoLocation: &route53sim.GeoLocation{ContinentCode: "EU"},
			TTL: ptrTo[int64](60), ResourceRecords: []string{"192.0.2.41"}},
	)
	return w
}

func ptrTo[T any](v T) *T { return &v }

// simWeighted is a plain weighted set with one value and TTL 60.
func simWeighted(name, typ, id string, weight int64, value string) route53sim.RecordSet {
	return route53sim.RecordSet{Name: name, Type: typ, SetIdentifier: id, Weight: ptrTo(weight),
		TTL: ptrTo[int64](60), ResourceRecords: []string{value}}
}

// put seeds sets without the API's validation.
func (w *simR53) put(t *testing.T, sets ...route53sim.RecordSet) {
	t.Helper()
	for _, rs := range sets {
		if err := w.srv.PutRecordSet(w.zone, rs); err != nil {
			t.Fatal(err)
		}
	}
}

// simSteered reports whether rs is one of the sets a conformance target
// steers.
func simSteered(rs route53sim.RecordSet) bool {
	switch {
	case rs.Name == "api.example.com." && rs.Type == "A":
		return true
	case rs.Name == "mix.example.com." && rs.Type == "A" && rs.SetIdentifier != "legacy":
		return true
	}
	return false
}

// others is every set of the zone but the steered ones, in listing order.
func (w *simR53) others() []route53sim.RecordSet {
	var out []route53sim.RecordSet
	for _, rs := range w.srv.RecordSets(w.zone) {
		if !simSteered(rs) {
			out = append(out, rs)
		}
	}
	return out
}

// sets returns the sets of name (with the trailing dot) and type by set
// identifier.
func (w *simR53) sets(name, typ string) map[string]route53sim.RecordSet {
	out := map[string]route53sim.RecordSet{}
	for _, rs := range w.srv.RecordSets(w.zone) {
		if rs.Name == name && rs.Type == typ {
			out[rs.SetIdentifier] = rs
		}
	}
	return out
}

// weights returns the weights of name and type by set identifier.
func (w *simR53) weights(name, typ string) map[string]int64 {
	out := map[string]int64{}
	for id, rs := range w.sets(name, typ) {
		out[id] = aws.ToInt64(rs.Weight)
	}
	return out
}

func (w *simR53) target(t *testing.T, pc *providers.ProviderConfig, name string, primary, secondary []string) *Route53Weighted {
	t.Helper()
	tg, err := NewRoute53Weighted(providers.Config{Name: "dns", Provider: pc,
		Attrs: r53Attrs(w.zone, "", name, "A", primary, secondary)})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// simNoWeight ignores the Weight fields: what a target may change.
var simNoWeight = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && sf.Name() == "Weight"
}, cmp.Ignore())

func TestSimRoute53WeightedConformance(t *testing.T) {
	w := newSimR53World(t, route53sim.Options{Seed: 1})
	pc := providerBlock(t, w.url, nil)
	for _, c := range []struct {
		name, record       string
		primary, secondary []string
	}{
		{"api", "api.example.com", []string{"aws"}, []string{"gcp"}},
		// Two primaries (one an alias set) and a foreign weighted set in
		// the group.
		{"mix", "mix.example.com", []string{"p1", "p2"}, []string{"s1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			providertest.Conformance(t, providertest.Harness{
				New:      func(t *testing.T) providers.Target { return w.target(t, pc, c.record, c.primary, c.secondary) },
				Snapshot: func(t *testing.T) any { return w.others() },
				Owned:    func(t *testing.T) any { return w.sets(c.record+".", "A") },
				Reset:    func(t *testing.T) { w.put(t, w.named...) },
			})
		})
	}
}

// A full sweep from 0 to 100 % of both steered groups: every other set of
// the zone is identical afterwards (go-cmp on RecordSets, every field), the
// steered sets differ only in their weights, and the emulator's strict
// validation accepted every change batch (the alias set went without a
// TTL, every weight within 0-255).
func TestSimRoute53WeightedLeavesTheZoneAlone(t *testing.T) {
	w := newSimR53World(t, route53sim.Options{Seed: 2})
	pc := providerBlock(t, w.url, nil)
	api := w.target(t, pc, "api.example.com", []string{"aws"}, []string{"gcp"})
	mix := w.target(t, pc, "mix.example.com", []string{"p1", "p2"}, []string{"s1"})
	others := w.others()
	steered := map[string]map[string]route53sim.RecordSet{
		"api": w.sets("api.example.com.", "A"), "mix": w.sets("mix.example.com.", "A")}
	w.srv.ResetCalls()
	ctx := testCtx(t)
	applies := 0
	for pct := 0; pct <= 100; pct += 5 {
		for _, tg := range []*Route53Weighted{api, mix} {
			want := providers.Share(pct * 100)
			got, err := tg.Apply(ctx, want)
			if err != nil {
				t.Fatalf("Apply(%v): %v", want, err)
			}
			if !simWithin(got, want, tg.Resolution()) {
				t.Errorf("%s: Apply(%v) = %v, beyond the resolution %v", tg.record, want, got, tg.Resolution())
			}
			applies++
		}
	}
	if diff := cmp.Diff(others, w.others()); diff != "" {
		t.Errorf("the sweep changed record sets it does not own (-before +after):\n%s", diff)
	}
	after := map[string]map[string]route53sim.RecordSet{
		"api": w.sets("api.example.com.", "A"), "mix": w.sets("mix.example.com.", "A")}
	if diff := cmp.Diff(steered, after, simNoWeight); diff != "" {
		t.Errorf("the sweep changed more than the weights of the steered sets (-before +after):\n%s", diff)
	}
	if got := w.weights("api.example.com.", "A"); got["aws"] != 255 || got["gcp"] != 0 {
		t.Errorf("api weights at 100%% = %v, want aws 255, gcp 0", got)
	}
	if got := w.weights("mix.example.com.", "A"); got["p1"] != 255 || got["p2"] != 255 || got["s1"] != 0 || got["legacy"] != 5 {
		t.Errorf("mix weights at 100%% = %v, want p1 255, p2 255, s1 0 and the foreign legacy 5", got)
	}
	calls := w.srv.Calls()
	t.Logf("%d applies: %v", applies, calls)
	if n := calls[route53sim.OpChangeResourceRecordSets]; n < 1 || n > applies {
		t.Errorf("%d ChangeResourceRecordSets for %d applies: want one at most per Apply", n, applies)
	}
}

// ---- ELBv2 ----

// simALB is an ELBv2 emulator with one application load balancer "web":
//
//   - listener :443 (HTTPS), default actions: forward to aws 1, gcp 1 and
//     other 5 (a group the policy does not name), stickiness 300s; its
//     rules: 10 (path /api/* and header X-Env: prod) authenticate-oidc then
//     forward to aws 1, gcp 1 with stickiness 600s; 20 a fixed response;
//     30 a redirect; 40 forward to spare only; 50 (host api.example.com)
//     forward to aws 3, gcp 4 with a host-header-rewrite transform;
//   - listener :8080 (HTTP), default actions: forward to aws 5, gcp 5;
//   - listener :9090 (HTTP), default actions: a fixed response only;
//   - listener :8443 (HTTP), default actions: forward to aws 2500, gcp 1,
//     a weight ELBv2 refuses (seeded without validation).
//
// The steered things are :443's default actions and rule 10; everything
// else forwards to the same groups or sits beside them and must not move.
type simALB struct {
	srv    *elbv2sim.Server
	url    string
	client *elbv2.Client // seeding and resets: no retries
	lb     string
	tg     map[string]string

	listener  string // :443
	other     string // :8080
	noForward string // :9090
	tooHeavy  string // :8443
	rule      string // rule 10 of :443
	fixed     string // rule 20 of :443

	defaults []elbv2sim.Action // :443 as seeded (secrets included)
	ruleActs []elbv2sim.Action // rule 10 as seeded
}

func newSimALBWorld(t *testing.T, opts elbv2sim.Options) *simALB {
	t.Helper()
	srv := elbv2sim.New(opts)
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	w := &simALB{srv: srv, url: url, tg: map[string]string{},
		client: elbv2.New(elbv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})}

	p := elbv2sim.Ptr[string]
	stick := func(d int32) *elbv2sim.TargetGroupStickinessConfig {
		if d == 0 {
			return &elbv2sim.TargetGroupStickinessConfig{Enabled: elbv2sim.Ptr(false)}
		}
		return &elbv2sim.TargetGroupStickinessConfig{Enabled: elbv2sim.Ptr(true), DurationSeconds: elbv2sim.Ptr(d)}
	}
	// forward names target groups (the seed resolves the names).
	forward := func(st *elbv2sim.TargetGroupStickinessConfig, nameWeights ...any) elbv2sim.Action {
		cfg := &elbv2sim.ForwardActionConfig{TargetGroupStickinessConfig: st}
		for i := 0; i < len(nameWeights); i += 2 {
			cfg.TargetGroups = append(cfg.TargetGroups, elbv2sim.TargetGroupTuple{
				TargetGroupArn: p(nameWeights[i].(string)), Weight: elbv2sim.Ptr(int32(nameWeights[i+1].(int)))})
		}
		return elbv2sim.Action{Type: elbv2sim.ActionForward, ForwardConfig: cfg}
	}
	fixed := func(code, body string) elbv2sim.Action {
		return elbv2sim.Action{Type: elbv2sim.ActionFixedResponse, FixedResponseConfig: &elbv2sim.FixedResponseActionConfig{
			StatusCode: p(code), ContentType: p("text/plain"), MessageBody: p(body)}}
	}
	ruleFwd := forward(stick(600), "aws", 1, "gcp", 1)
	ruleFwd.Order = elbv2sim.Ptr[int32](2)
	seed := elbv2sim.Seed{
		TargetGroups: []elbv2sim.SeedTargetGroup{{TargetGroupName: "aws"}, {TargetGroupName: "gcp"},
			{TargetGroupName: "other"}, {TargetGroupName: "spare"}},
		LoadBalancers: []elbv2sim.SeedLoadBalancer{{
			LoadBalancerName: "web",
			Listeners: []elbv2sim.SeedListener{
				{Port: 443, Protocol: "HTTPS",
					DefaultActions: []elbv2sim.Action{forward(stick(300), "aws", 1, "gcp", 1, "other", 5)},
					Rules: []elbv2sim.SeedRule{
						{Priority: 10,
							Conditions: []elbv2sim.Condition{
								{Field: p("path-pattern"), PathPatternConfig: &elbv2sim.PathPatternConditionConfig{Values: []string{"/api/*"}}},
								{Field: p("http-header"), HttpHeaderConfig: &elbv2sim.HttpHeaderConditionConfig{HttpHeaderName: p("X-Env"), Values: []string{"prod"}}},
							},
							Actions: []elbv2sim.Action{{
								Type:  elbv2sim.ActionAuthenticateOidc,
								Order: elbv2sim.Ptr[int32](1),
								AuthenticateOidcConfig: &elbv2sim.AuthenticateOidcActionConfig{
									Issuer: p("https://idp.example.com"), AuthorizationEndpoint: p("https://idp.example.com/auth"),
									TokenEndpoint: p("https://idp.example.com/token"), UserInfoEndpoint: p("https://idp.example.com/userinfo"),
									ClientId: p("fbctl"), ClientSecret: p("oidc-secret"), SessionTimeout: elbv2sim.Ptr[int64](3600),
									OnUnauthenticatedRequest: "authenticate",
								},
							}, ruleFwd}},
						{Priority: 20,
							Conditions: []elbv2sim.Condition{{Field: p("path-pattern"), PathPatternConfig: &elbv2sim.PathPatternConditionConfig{Values: []string{"/static/*"}}}},
							Actions:    []elbv2sim.Action{fixed("404", "nope")}},
						{Priority: 30,
							Conditions: []elbv2sim.Condition{{Field: p("host-header"), HostHeaderConfig: &elbv2sim.HostHeaderConditionConfig{Values: []string{"old.example.com"}}}},
							Actions: []elbv2sim.Action{{Type: elbv2sim.ActionRedirect, RedirectConfig: &elbv2sim.RedirectActionConfig{
								StatusCode: "HTTP_301", Host: p("new.example.com")}}}},
						{Priority: 40,
							Conditions: []elbv2sim.Condition{{Field: p("path-pattern"), PathPatternConfig: &elbv2sim.PathPatternConditionConfig{Values: []string{"/spare/*"}}}},
							Actions:    []elbv2sim.Action{{Type: elbv2sim.ActionForward, TargetGroupArn: p("spare")}}},
						{Priority: 50,
							Conditions: []elbv2sim.Condition{{Field: p("host-header"), HostHeaderConfig: &elbv2sim.HostHeaderConditionConfig{Values: []string{"api.example.com"}}}},
							Actions:    []elbv2sim.Action{forward(stick(0), "aws", 3, "gcp", 4)},
							Transforms: []elbv2sim.RuleTransform{{Type: "host-header-rewrite", HostHeaderRewriteConfig: &elbv2sim.RewriteConfigList{
								Rewrites: []elbv2sim.RewriteConfig{{Regex: p("^api\\.example\\.com$"), Replace: p("internal.example.com")}}}}}},
					}},
				{Port: 8080, DefaultActions: []elbv2sim.Action{forward(stick(0), "aws", 5, "gcp", 5)}},
				{Port: 9090, DefaultActions: []elbv2sim.Action{fixed("503", "maintenance")}},
				{Port: 8443, DefaultActions: []elbv2sim.Action{forward(stick(0), "aws", 2500, "gcp", 1)}},
			},
		}},
	}
	b, err := json.Marshal(seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadSeedJSON(b); err != nil {
		t.Fatal(err)
	}
	var ok bool
	if w.lb, ok = srv.LoadBalancerARN("web"); !ok {
		t.Fatal("no load balancer web")
	}
	for _, name := range []string{"aws", "gcp", "other", "spare"} {
		w.tg[name], _ = srv.TargetGroupARN(name)
	}
	ls := srv.ListenerARNs(w.lb)
	if len(ls) != 4 {
		t.Fatalf("listeners = %v", ls)
	}
	w.listener, w.other, w.noForward, w.tooHeavy = ls[0], ls[1], ls[2], ls[3]
	rules := srv.Rules(w.listener)
	w.rule, w.fixed = aws.ToString(rules[0].RuleArn), aws.ToString(rules[1].RuleArn)
	l, _ := srv.Listener(w.listener)
	w.defaults = l.DefaultActions
	r, _ := srv.Rule(w.rule)
	w.ruleActs = r.Actions
	return w
}

// simToSDK converts an emulator value to the SDK's type of the same
// shape: both use the API's member names.
func simToSDK[T any](t *testing.T, v any) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// reset puts the steered listener and rule back as seeded, through the API.
func (w *simALB) reset(t *testing.T) {
	t.Helper()
	ctx := testCtx(t)
	if _, err := w.client.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.listener),
		DefaultActions: simToSDK[[]elbtypes.Action](t, w.defaults)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.client.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: aws.String(w.rule),
		Actions: simToSDK[[]elbtypes.Action](t, w.ruleActs)}); err != nil {
		t.Fatal(err)
	}
}

// simALBState is everything on the load balancer, as stored (the OIDC
// client secret included): its listeners and every rule of each.
type simALBState struct {
	Listeners []elbv2sim.Listener
	Rules     map[string][]elbv2sim.Rule
}

func (w *simALB) state() simALBState {
	s := simALBState{Rules: map[string][]elbv2sim.Rule{}}
	for _, arn := range w.srv.ListenerARNs(w.lb) {
		l, _ := w.srv.Listener(arn)
		s.Listeners = append(s.Listeners, l)
		s.Rules[arn] = w.srv.Rules(arn)
	}
	return s
}

// blankNamed removes the weights of the aws and gcp groups from the
// forward actions of actions (a copy): what a target may change.
func (w *simALB) blankNamed(actions []elbv2sim.Action) []elbv2sim.Action {
	out := simCopyActions(actions)
	for i := range out {
		if fc := out[i].ForwardConfig; fc != nil {
			for j, g := range fc.TargetGroups {
				if arn := aws.ToString(g.TargetGroupArn); arn == w.tg["aws"] || arn == w.tg["gcp"] {
					fc.TargetGroups[j].Weight = nil
				}
			}
		}
	}
	return out
}

// simCopyActions deep-copies actions through JSON.
func simCopyActions(actions []elbv2sim.Action) []elbv2sim.Action {
	b, _ := json.Marshal(actions)
	var out []elbv2sim.Action
	_ = json.Unmarshal(b, &out)
	return out
}

// foreignOf is what the target on arn (a listener's or a rule's) must not
// touch: the whole load balancer with the named weights of its own
// forward action blanked. On a listener the default rule mirrors the
// default actions, so both are blanked.
func (w *simALB) foreignOf(arn string) simALBState {
	s := w.state()
	for i, l := range s.Listeners {
		if aws.ToString(l.ListenerArn) == arn {
			s.Listeners[i].DefaultActions = w.blankNamed(l.DefaultActions)
			for j, r := range s.Rules[arn] {
				if aws.ToBool(r.IsDefault) {
					s.Rules[arn][j].Actions = w.blankNamed(r.Actions)
				}
			}
		}
	}
	for l, rules := range s.Rules {
		for i, r := range rules {
			if aws.ToString(r.RuleArn) == arn {
				s.Rules[l][i].Actions = w.blankNamed(r.Actions)
			}
		}
	}
	return s
}

// ownedOf is the forward action the target on arn steers, as stored.
func (w *simALB) ownedOf(t *testing.T, arn string) elbv2sim.Action {
	t.Helper()
	var acts []elbv2sim.Action
	if l, ok := w.srv.Listener(arn); ok {
		acts = l.DefaultActions
	} else if r, ok := w.srv.Rule(arn); ok {
		acts = r.Actions
	}
	for _, a := range acts {
		if a.Type == elbv2sim.ActionForward {
			return a
		}
	}
	t.Fatalf("no forward action on %s", arn)
	return elbv2sim.Action{}
}

func (w *simALB) target(t *testing.T, pc *providers.ProviderConfig, listener, rule string) *ALBForward {
	t.Helper()
	tg, err := NewALBForward(providers.Config{Name: "edge", Provider: pc,
		Attrs: albAttrs(listener, rule, []string{w.tg["aws"]}, []string{w.tg["gcp"]})})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// simALBCmp compares emulator state. UseExistingClientSecret is an
// instruction of the Modify call (fbctl sends it because Describe never
// returns the secret) that the emulator stores as sent; it is not state.
// The secret itself is compared: it must survive.
var simALBCmp = []cmp.Option{cmpopts.IgnoreFields(elbv2sim.AuthenticateOidcActionConfig{}, "UseExistingClientSecret")}

func TestSimALBForwardConformance(t *testing.T) {
	w := newSimALBWorld(t, elbv2sim.Options{Seed: 1})
	pc := providerBlock(t, w.url, nil)
	for _, c := range []struct{ name, listener, rule string }{
		{"listener", w.listener, ""},
		{"rule", "", w.rule},
	} {
		t.Run(c.name, func(t *testing.T) {
			arn := c.listener + c.rule
			providertest.Conformance(t, providertest.Harness{
				New:        func(t *testing.T) providers.Target { return w.target(t, pc, c.listener, c.rule) },
				Snapshot:   func(t *testing.T) any { return w.foreignOf(arn) },
				Owned:      func(t *testing.T) any { return w.ownedOf(t, arn) },
				Reset:      w.reset,
				CmpOptions: simALBCmp,
			})
		})
	}
}

// A full sweep from 0 to 100 % on the listener and on the rule: every
// other listener, rule, action, condition and transform is identical
// afterwards (stored state, OIDC secret included), the steered forward
// actions differ only in the named weights, and the emulator's strict
// validation accepted every Modify call.
func TestSimALBForwardLeavesEverythingElseAlone(t *testing.T) {
	w := newSimALBWorld(t, elbv2sim.Options{Seed: 2})
	pc := providerBlock(t, w.url, nil)
	lt, rt := w.target(t, pc, w.listener, ""), w.target(t, pc, "", w.rule)
	blankBoth := func() simALBState {
		s := w.foreignOf(w.listener)
		for l, rules := range s.Rules {
			for i, r := range rules {
				if aws.ToString(r.RuleArn) == w.rule {
					s.Rules[l][i].Actions = w.blankNamed(r.Actions)
				}
			}
		}
		return s
	}
	before := blankBoth()
	full := w.state()
	w.srv.ResetCalls()
	ctx := testCtx(t)
	applies := 0
	for pct := 0; pct <= 100; pct += 5 {
		for _, tg := range []*ALBForward{lt, rt} {
			want := providers.Share(pct * 100)
			got, err := tg.Apply(ctx, want)
			if err != nil {
				t.Fatalf("Apply(%v): %v", want, err)
			}
			if !simWithin(got, want, tg.Resolution()) {
				t.Errorf("%s: Apply(%v) = %v, beyond the resolution %v", tg.what(), want, got, tg.Resolution())
			}
			applies++
		}
	}
	if diff := cmp.Diff(before, blankBoth(), simALBCmp...); diff != "" {
		t.Errorf("the sweep changed more than the named weights (-before +after):\n%s", diff)
	}
	// The listeners and rules that forward to the same groups kept their
	// weights: compared in full.
	after := w.state()
	for _, arn := range []string{w.other, w.noForward, w.tooHeavy} {
		var b, a elbv2sim.Listener
		for i := range full.Listeners {
			if aws.ToString(full.Listeners[i].ListenerArn) == arn {
				b, a = full.Listeners[i], after.Listeners[i]
			}
		}
		if diff := cmp.Diff(b, a); diff != "" {
			t.Errorf("listener %s changed:\n%s", arn, diff)
		}
	}
	if diff := cmp.Diff(full.Rules[w.listener][1:5], after.Rules[w.listener][1:5]); diff != "" {
		t.Errorf("rules 20-50 changed:\n%s", diff)
	}
	oidc := w.ownedOfRuleAction(t, w.rule, elbv2sim.ActionAuthenticateOidc)
	if got := aws.ToString(oidc.AuthenticateOidcConfig.ClientSecret); got != "oidc-secret" {
		t.Errorf("the OIDC client secret is %q after the sweep", got)
	}
	// At 100 %: primary 999, secondary 0, the foreign group 5.
	fwd := w.ownedOf(t, w.listener)
	if g := fwd.ForwardConfig.TargetGroups; aws.ToInt32(g[0].Weight) != 999 || aws.ToInt32(g[1].Weight) != 0 || aws.ToInt32(g[2].Weight) != 5 {
		t.Errorf("listener weights at 100%% = %d/%d/%d, want 999/0 and the foreign 5",
			aws.ToInt32(g[0].Weight), aws.ToInt32(g[1].Weight), aws.ToInt32(g[2].Weight))
	}
	if st := fwd.ForwardConfig.TargetGroupStickinessConfig; !aws.ToBool(st.Enabled) || aws.ToInt32(st.DurationSeconds) != 300 {
		t.Errorf("listener stickiness = %+v", st)
	}
	calls := w.srv.Calls()
	t.Logf("%d applies: %v", applies, calls)
	if n := calls["ModifyListener"] + calls["ModifyRule"]; n < 1 || n > applies {
		t.Errorf("%d modifications for %d applies", n, applies)
	}
}

func (w *simALB) ownedOfRuleAction(t *testing.T, rule, typ string) elbv2sim.Action {
	t.Helper()
	r, ok := w.srv.Rule(rule)
	if !ok {
		t.Fatalf("no rule %s", rule)
	}
	for _, a := range r.Actions {
		if a.Type == typ {
			return a
		}
	}
	t.Fatalf("rule %s has no %s action", rule, typ)
	return elbv2sim.Action{}
}

// simWithin reports whether got is at most res away from want.
func simWithin(got, want, res providers.Share) bool {
	d := got - want
	if d < 0 {
		d = -d
	}
	return d <= res
}
