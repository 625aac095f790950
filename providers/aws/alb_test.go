package aws

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/providertest"
)

// albWorld is a moto server with one application load balancer:
//
//   - listener :80, default actions: forward to aws 1, gcp 1 and other 5
//     (a group the policy does not name), stickiness on for 300s;
//   - its rules: 10 (path /api/* and header X-Env: prod) authenticate-oidc
//     then forward to aws 1, gcp 1 with stickiness 600s; 20 a fixed
//     response; 30 a redirect; 40 forward to spare only;
//   - listener :8080, default actions: forward to aws 5, gcp 5.
type albWorld struct {
	moto     *testenv.Moto
	alb      *testenv.MotoALB
	tg       map[string]string
	other    string // the :8080 listener
	rule     string // rule 10
	fixed    string // rule 20
	defaults []elbtypes.Action
	ruleActs []elbtypes.Action
}

func newALBWorld(t *testing.T) *albWorld {
	t.Helper()
	m := testenv.StartMoto(t)
	w := &albWorld{moto: m}
	stick := func(d int32) *elbtypes.TargetGroupStickinessConfig {
		return &elbtypes.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(d)}
	}
	w.alb = m.CreateALB(t, testenv.ALBSpec{
		Name:         "web",
		TargetGroups: []string{"aws", "gcp", "other", "spare"},
		DefaultActions: func(tg map[string]string) []elbtypes.Action {
			f := testenv.Forward(tg["aws"], 1, tg["gcp"], 1, tg["other"], 5)
			f.ForwardConfig.TargetGroupStickinessConfig = stick(300)
			w.defaults = []elbtypes.Action{f}
			return w.defaults
		},
		Rules: []testenv.ALBRuleSpec{
			{Priority: 10,
				Conditions: []elbtypes.RuleCondition{
					{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/api/*"}}},
					{Field: aws.String("http-header"), HttpHeaderConfig: &elbtypes.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X-Env"), Values: []string{"prod"}}},
				},
				Actions: func(tg map[string]string) []elbtypes.Action {
					f := testenv.Forward(tg["aws"], 1, tg["gcp"], 1)
					f.Order = aws.Int32(2)
					f.ForwardConfig.TargetGroupStickinessConfig = stick(600)
					w.ruleActs = []elbtypes.Action{{
						Type:  elbtypes.ActionTypeEnumAuthenticateOidc,
						Order: aws.Int32(1),
						AuthenticateOidcConfig: &elbtypes.AuthenticateOidcActionConfig{
							Issuer: aws.String("https://idp.example.com"), AuthorizationEndpoint: aws.String("https://idp.example.com/auth"),
							TokenEndpoint: aws.String("https://idp.example.com/token"), UserInfoEndpoint: aws.String("https://idp.example.com/userinfo"),
							ClientId: aws.String("fbctl"), ClientSecret: aws.String("oidc-secret"), SessionTimeout: aws.Int64(3600),
						},
					}, f}
					return w.ruleActs
				}},
			{Priority: 20,
				Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/static/*"}}}},
				Actions: func(map[string]string) []elbtypes.Action {
					return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbtypes.FixedResponseActionConfig{
						StatusCode: aws.String("404"), ContentType: aws.String("text/plain"), MessageBody: aws.String("nope")}}}
				}},
			{Priority: 30,
				Conditions: []elbtypes.RuleCondition{{Field: aws.String("host-header"), HostHeaderConfig: &elbtypes.HostHeaderConditionConfig{Values: []string{"old.example.com"}}}},
				Actions: func(map[string]string) []elbtypes.Action {
					return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{
						StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301, Host: aws.String("new.example.com")}}}
				}},
			{Priority: 40,
				Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), PathPatternConfig: &elbtypes.PathPatternConditionConfig{Values: []string{"/spare/*"}}}},
				Actions: func(tg map[string]string) []elbtypes.Action {
					return []elbtypes.Action{testenv.Forward(tg["spare"], 1)}
				}},
		},
	})
	w.tg = w.alb.TargetGroups
	w.rule, w.fixed = w.alb.RuleARNs[0], w.alb.RuleARNs[1]
	out, err := m.ELBv2().CreateListener(testCtx(t), &elbv2.CreateListenerInput{
		LoadBalancerArn: aws.String(w.alb.LoadBalancerARN), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080),
		DefaultActions: []elbtypes.Action{testenv.Forward(w.tg["aws"], 5, w.tg["gcp"], 5)},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.other = aws.ToString(out.Listeners[0].ListenerArn)
	return w
}

// albState is everything on the load balancer: its listeners and their
// rules (the default rules left out: they mirror the default actions).
type albState struct {
	Listeners []elbtypes.Listener
	Rules     map[string][]elbtypes.Rule
}

func (w *albWorld) state(t *testing.T) albState {
	t.Helper()
	out, err := w.moto.ELBv2().DescribeListeners(testCtx(t), &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(w.alb.LoadBalancerARN)})
	if err != nil {
		t.Fatal(err)
	}
	s := albState{Listeners: out.Listeners, Rules: map[string][]elbtypes.Rule{}}
	for _, l := range out.Listeners {
		for _, r := range w.moto.Rules(t, aws.ToString(l.ListenerArn)) {
			if !aws.ToBool(r.IsDefault) {
				s.Rules[aws.ToString(l.ListenerArn)] = append(s.Rules[aws.ToString(l.ListenerArn)], r)
			}
		}
	}
	return s
}

// blankNamed returns a copy of actions with the weights of the aws and gcp
// groups removed from the forward action: what the target may change.
func (w *albWorld) blankNamed(actions []elbtypes.Action) []elbtypes.Action {
	out := make([]elbtypes.Action, len(actions))
	for i, a := range actions {
		if a.ForwardConfig != nil {
			cfg := *a.ForwardConfig
			cfg.TargetGroups = append([]elbtypes.TargetGroupTuple(nil), cfg.TargetGroups...)
			for j, g := range cfg.TargetGroups {
				if arn := aws.ToString(g.TargetGroupArn); arn == w.tg["aws"] || arn == w.tg["gcp"] {
					cfg.TargetGroups[j].Weight = nil
				}
			}
			a.ForwardConfig = &cfg
		}
		out[i] = a
	}
	return out
}

// foreignOf is the state the target on listener or rule arn must not touch:
// everything, with the named weights of its own forward action blanked.
func (w *albWorld) foreignOf(t *testing.T, arn string) albState {
	s := w.state(t)
	for i, l := range s.Listeners {
		if aws.ToString(l.ListenerArn) == arn {
			s.Listeners[i].DefaultActions = w.blankNamed(l.DefaultActions)
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

// ownedOf is the forward action the target on arn steers, as ELBv2 reports it.
func (w *albWorld) ownedOf(t *testing.T, arn string) elbtypes.Action {
	s := w.state(t)
	var acts []elbtypes.Action
	for _, l := range s.Listeners {
		if aws.ToString(l.ListenerArn) == arn {
			acts = l.DefaultActions
		}
	}
	for _, rules := range s.Rules {
		for _, r := range rules {
			if aws.ToString(r.RuleArn) == arn {
				acts = r.Actions
			}
		}
	}
	for _, a := range acts {
		if a.Type == elbtypes.ActionTypeEnumForward {
			return a
		}
	}
	t.Fatalf("no forward action on %s", arn)
	return elbtypes.Action{}
}

func (w *albWorld) reset(t *testing.T) {
	c := w.moto.ELBv2()
	if _, err := c.ModifyListener(testCtx(t), &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.alb.ListenerARN), DefaultActions: w.defaults}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ModifyRule(testCtx(t), &elbv2.ModifyRuleInput{RuleArn: aws.String(w.rule), Actions: w.ruleActs}); err != nil {
		t.Fatal(err)
	}
}

func (w *albWorld) target(t *testing.T, pc *providers.ProviderConfig, listener, rule string) *ALBForward {
	t.Helper()
	tg, err := NewALBForward(providers.Config{Name: "edge", Provider: pc,
		Attrs: albAttrs(listener, rule, []string{w.tg["aws"]}, []string{w.tg["gcp"]})})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestALBForwardConformance(t *testing.T) {
	w := newALBWorld(t)
	pc := providerBlock(t, w.moto.URL, nil)
	for _, c := range []struct{ name, listener, rule string }{
		{"listener", w.alb.ListenerARN, ""},
		{"rule", "", w.rule},
	} {
		t.Run(c.name, func(t *testing.T) {
			arn := c.listener + c.rule
			providertest.Conformance(t, providertest.Harness{
				New:        func(t *testing.T) providers.Target { return w.target(t, pc, c.listener, c.rule) },
				Snapshot:   func(t *testing.T) any { return w.foreignOf(t, arn) },
				Owned:      func(t *testing.T) any { return w.ownedOf(t, arn) },
				Reset:      w.reset,
				CmpOptions: []cmp.Option{ignoreUnexported},
			})
		})
	}
}

// Apply keeps every other action, its order, the conditions, stickiness
// and the other groups' weights; ModifyRule is sent without Conditions.
func TestALBForwardPreservesEverythingElse(t *testing.T) {
	w := newALBWorld(t)
	p := startProxy(t, w.moto.URL)
	pc := providerBlock(t, p.URL, nil)
	before := w.state(t)
	lt, rt := w.target(t, pc, w.alb.ListenerARN, ""), w.target(t, pc, "", w.rule)
	ctx := testCtx(t)
	for _, share := range []providers.Share{2500, 10000, 0} {
		if _, err := lt.Apply(ctx, share); err != nil {
			t.Fatal(err)
		}
		if _, err := rt.Apply(ctx, share); err != nil {
			t.Fatal(err)
		}
	}
	after := w.state(t)
	// The named weights moved...
	fwd := w.ownedOf(t, w.alb.ListenerARN)
	if got := fwd.ForwardConfig.TargetGroups; aws.ToInt32(got[0].Weight) != 0 || aws.ToInt32(got[1].Weight) != 999 || aws.ToInt32(got[2].Weight) != 5 {
		t.Errorf("listener weights at 0%% = %d/%d/%d, want 0/999 and the foreign 5", aws.ToInt32(got[0].Weight), aws.ToInt32(got[1].Weight), aws.ToInt32(got[2].Weight))
	}
	// ...and nothing else did.
	blank := func(s albState) albState {
		for i := range s.Listeners {
			s.Listeners[i].DefaultActions = w.blankNamed(s.Listeners[i].DefaultActions)
		}
		for l := range s.Rules {
			for i := range s.Rules[l] {
				s.Rules[l][i].Actions = w.blankNamed(s.Rules[l][i].Actions)
			}
		}
		return s
	}
	// The :8080 listener forwards to the same groups: its weights must not
	// move, so compare it in full.
	for _, s := range []albState{before, after} {
		for _, l := range s.Listeners {
			if aws.ToString(l.ListenerArn) == w.other {
				if g := l.DefaultActions[0].ForwardConfig.TargetGroups; aws.ToInt32(g[0].Weight) != 5 || aws.ToInt32(g[1].Weight) != 5 {
					t.Errorf(":8080 weights = %d/%d, want 5/5", aws.ToInt32(g[0].Weight), aws.ToInt32(g[1].Weight))
				}
			}
		}
	}
	if diff := cmp.Diff(blank(before), blank(after), ignoreUnexported); diff != "" {
		t.Errorf("Apply changed more than the named weights (-before +after):\n%s", diff)
	}
	rule := w.ownedOf(t, w.rule)
	if st := rule.ForwardConfig.TargetGroupStickinessConfig; !aws.ToBool(st.Enabled) || aws.ToInt32(st.DurationSeconds) != 600 || aws.ToInt32(rule.Order) != 2 {
		t.Errorf("rule forward action = %+v, stickiness %+v", rule, st)
	}
	for _, body := range p.bodiesOf("ModifyRule") {
		v, _ := url.ParseQuery(body)
		for k := range v {
			if strings.HasPrefix(k, "Conditions") || strings.HasPrefix(k, "Transforms") || strings.HasPrefix(k, "ResetTransforms") {
				t.Errorf("ModifyRule sent %s: conditions must be left to ELBv2", k)
			}
		}
		if v.Get("Actions.member.1.Type") != "authenticate-oidc" || v.Get("Actions.member.2.Type") != "forward" {
			t.Errorf("ModifyRule actions out of order: %s", body)
		}
	}
	if n := len(p.bodiesOf("ModifyRule")); n != 3 {
		t.Errorf("ModifyRule sent %d times, want 3", n)
	}
}

func TestALBForwardObserveAndErrors(t *testing.T) {
	w := newALBWorld(t)
	p := startProxy(t, w.moto.URL)
	pc := providerBlock(t, p.URL, nil)
	ctx := testCtx(t)
	lt := w.target(t, pc, w.alb.ListenerARN, "")
	if got, err := lt.Observe(ctx); err != nil || got != 5000 {
		t.Fatalf("Observe = %v, %v; want 50%%", got, err)
	}
	if got, err := lt.Foreign(ctx); err != nil || len(got) != 1 || !strings.Contains(got[0], w.tg["other"]+" (weight 5)") {
		t.Errorf("Foreign = %q, %v; want the other group", got, err)
	}
	if got, err := w.target(t, pc, "", w.rule).Foreign(ctx); err != nil || len(got) != 0 {
		t.Errorf("rule Foreign = %q, %v; want none", got, err)
	}

	// Weights 10/30 read as 25 %; two groups a side sum.
	if _, err := w.moto.ELBv2().ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.alb.ListenerARN),
		DefaultActions: []elbtypes.Action{testenv.Forward(w.tg["aws"], 10, w.tg["gcp"], 30, w.tg["other"], 20, w.tg["spare"], 40)}}); err != nil {
		t.Fatal(err)
	}
	if got, err := lt.Observe(ctx); err != nil || got != 2500 {
		t.Errorf("10/30: Observe = %v, %v; want 25%%", got, err)
	}
	multi, err := NewALBForward(providers.Config{Name: "multi", Provider: pc,
		Attrs: albAttrs(w.alb.ListenerARN, "", []string{w.tg["aws"], w.tg["other"]}, []string{w.tg["gcp"], w.tg["spare"]})})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := multi.Observe(ctx); err != nil || got != 3000 {
		t.Errorf("two a side: Observe = %v, %v; want 30%%", got, err)
	}
	if got, err := multi.Apply(ctx, 6000); err != nil || got != 6000 {
		t.Errorf("two a side: Apply(60%%) = %v, %v", got, err)
	}

	// All named weights 0.
	if _, err := w.moto.ELBv2().ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.alb.ListenerARN),
		DefaultActions: []elbtypes.Action{testenv.Forward(w.tg["aws"], 0, w.tg["gcp"], 0, w.tg["other"], 1)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := lt.Observe(ctx); err == nil || !strings.Contains(err.Error(), "has weight 0, so the 1 other target groups of the action take all the traffic") {
		t.Errorf("all named 0: %v", err)
	}
	if got, err := lt.Apply(ctx, 10000); err != nil || got != 10000 {
		t.Errorf("Apply from all named 0 = %v, %v", got, err)
	}

	before := w.state(t)
	p.reset()
	badListener := strings.Replace(w.alb.ListenerARN, "/app/web/", "/app/nope/", 1)
	badRule := w.rule[:len(w.rule)-4] + "0000"
	for _, c := range []struct {
		name           string
		listener, rule string
		primary        string
		want           []string
	}{
		{"group not in the action", w.alb.ListenerARN, "", w.tg["spare"],
			[]string{`alb_forward "edge"`, "listener " + w.alb.ListenerARN, "target group " + w.tg["spare"] + " is not in its forward action", "which forwards to " + w.tg["aws"]}},
		{"no forward action", "", w.fixed, w.tg["aws"],
			[]string{"listener rule " + w.fixed, "has no forward action", "actions: fixed-response"}},
		{"listener not found", badListener, "", w.tg["aws"],
			[]string{"listener " + badListener, "DescribeListeners", "ListenerNotFound"}},
		{"rule not found", "", badRule, w.tg["aws"],
			[]string{"listener rule " + badRule, "DescribeRules", "RuleNotFound"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg, err := NewALBForward(providers.Config{Name: "edge", Provider: pc,
				Attrs: albAttrs(c.listener, c.rule, []string{c.primary}, []string{w.tg["gcp"]})})
			if err != nil {
				t.Fatal(err)
			}
			_, oerr := tg.Observe(ctx)
			_, aerr := tg.Apply(ctx, 2500)
			for _, err := range []error{oerr, aerr} {
				if err == nil {
					t.Fatal("no error")
				}
				for _, s := range c.want {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
			}
		})
	}
	if n := p.count("ModifyListener") + p.count("ModifyRule"); n != 0 {
		t.Errorf("failed targets sent %d modifications", n)
	}
	if diff := cmp.Diff(before, w.state(t), ignoreUnexported); diff != "" {
		t.Errorf("failed calls changed the load balancer:\n%s", diff)
	}

	for _, c := range []struct {
		listener, rule string
		want           string
	}{
		{w.alb.ListenerARN, w.rule, "exactly one of listener_arn and rule_arn"},
		{"", "", "exactly one of listener_arn and rule_arn"},
		{w.rule, "", "listener_arn must be"},
		{"", w.alb.ListenerARN, "rule_arn must be"},
	} {
		if _, err := NewALBForward(providers.Config{Name: "edge", Provider: pc,
			Attrs: albAttrs(c.listener, c.rule, []string{w.tg["aws"]}, []string{w.tg["gcp"]})}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewALBForward: %v, want %q", err, c.want)
		}
	}
}

// Within a run: Observe reads once; Apply uses that read, writes once and
// reads back once; a no-op Apply makes no call.
func TestALBForwardAPIEconomy(t *testing.T) {
	w := newALBWorld(t)
	p := startProxy(t, w.moto.URL)
	pc := providerBlock(t, p.URL, nil)
	run := providers.WithRunCache(testCtx(t))
	lt, rt := w.target(t, pc, w.alb.ListenerARN, ""), w.target(t, pc, "", w.rule)
	for _, tg := range []providers.Target{lt, rt, lt, rt} {
		if _, err := tg.Observe(run); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.snapshot(); got["DescribeListeners"] != 1 || got["DescribeRules"] != 1 || len(got) != 2 {
		t.Errorf("observes made %v; want one DescribeListeners and one DescribeRules", got)
	}
	p.reset()
	for _, tg := range []providers.Target{lt, rt} {
		if _, err := tg.Apply(run, 2500); err != nil {
			t.Fatal(err)
		}
		if _, err := tg.Apply(run, 2500); err != nil {
			t.Fatal(err)
		}
		if got, err := tg.Observe(run); err != nil || got != 2500 {
			t.Errorf("Observe after Apply = %v, %v", got, err)
		}
	}
	got := p.snapshot()
	t.Logf("apply, repeated apply and observe on a listener and a rule: %v", got)
	if got["ModifyListener"] != 1 || got["ModifyRule"] != 1 || got["DescribeListeners"] != 1 || got["DescribeRules"] != 1 || len(got) != 4 {
		t.Errorf("made %v; want one modify and one read-back each", got)
	}
}

func TestSendableKeepsTheOIDCSecret(t *testing.T) {
	read := elbtypes.Action{Type: elbtypes.ActionTypeEnumAuthenticateOidc, Order: aws.Int32(1),
		AuthenticateOidcConfig: &elbtypes.AuthenticateOidcActionConfig{ClientId: aws.String("c"), Issuer: aws.String("https://i")}}
	got := sendable(read)
	if !aws.ToBool(got.AuthenticateOidcConfig.UseExistingClientSecret) {
		t.Errorf("an OIDC action read without its secret is sent without UseExistingClientSecret")
	}
	if read.AuthenticateOidcConfig.UseExistingClientSecret != nil {
		t.Errorf("sendable changed the action it was given")
	}
	withSecret := read
	withSecret.AuthenticateOidcConfig = &elbtypes.AuthenticateOidcActionConfig{ClientSecret: aws.String("s")}
	if got := sendable(withSecret); got.AuthenticateOidcConfig.UseExistingClientSecret != nil {
		t.Errorf("an action with its secret got UseExistingClientSecret")
	}
	fwd := testenv.Forward("arn:a", 1)
	if diff := cmp.Diff(fwd, sendable(fwd), ignoreUnexported); diff != "" {
		t.Errorf("sendable changed a forward action:\n%s", diff)
	}
}
