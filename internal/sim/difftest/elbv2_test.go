package difftest

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
	"github.com/fbctl/fbctl/internal/testenv"
)

// The ELBv2 tests. Both sides hold the same application load balancer
// "web": target groups web-primary, web-secondary and web-spare; an HTTP
// listener on port 80 forwarding to primary and secondary (weights 1 and
// 1, no stickiness given); rule 10 (path /api/* and header X-Env: prod)
// forwarding to primary 90 and secondary 10 with stickiness; rule 20
// (host old.example.com) answering a fixed response. moto's is made with
// its Create* calls through the SDK, internal/sim's (which implements no
// Create* call) with its Go API from the same SDK values; from then on
// both sides see only the same SDK calls. ARNs differ by design: each
// side's are replaced by stable names (lb, listener, tg:primary, rule:10,
// rule:default...) before comparing.

// elbSide is one emulator, an SDK client for it and its ARNs.
type elbSide struct {
	name     string
	c        *elbv2.Client
	lb       string
	listener string
	tg       map[string]string // short name -> ARN
	rule     map[string]string // "10", "20", "default" -> ARN
	names    *strings.Replacer // quoted ARN -> quoted stable name
	// quirks, when set, corrects the side's listeners for its known
	// deviations (motoListenerQuirks) and counts each one seen.
	quirks map[string]int
}

// motoListenerQuirks are how moto shows listeners otherwise than AWS. The
// moto side's listeners are corrected for them before they are compared,
// and TestELBv2 asserts that each one was seen.
var motoListenerQuirks = []struct {
	name, why string
	fix       func(l *elb.Listener) bool
}{
	{"SslPolicy on an HTTP listener",
		"API Reference, Listener.SslPolicy: \"[HTTPS or TLS listener] The security policy that defines which protocols " +
			"and ciphers are supported.\" An HTTP listener has none; moto describes every listener with " +
			"ELBSecurityPolicy-2016-08.",
		func(l *elb.Listener) bool {
			if l.Protocol != elb.ProtocolEnumHttp || l.SslPolicy == nil {
				return false
			}
			l.SslPolicy = nil
			return true
		}},
	{"empty AlpnPolicy on an HTTP listener",
		"API Reference, Listener.AlpnPolicy: \"[TLS listener] The name of the Application-Layer Protocol Negotiation " +
			"(ALPN) policy.\" An HTTP listener has none, and the API Reference's DescribeListeners example shows no " +
			"AlpnPolicy element; moto sends an empty one (the SDK reads []string{} instead of nil).",
		func(l *elb.Listener) bool {
			if l.Protocol != elb.ProtocolEnumHttp || l.AlpnPolicy == nil || len(l.AlpnPolicy) != 0 {
				return false
			}
			l.AlpnPolicy = nil
			return true
		}},
}

// motoActionQuirks are how moto shows actions (of listeners and rules)
// otherwise than AWS, handled like motoListenerQuirks.
var motoActionQuirks = []struct {
	name, why string
	fix       func(a *elb.Action) bool
}{
	{"forward by TargetGroupArn without ForwardConfig",
		"AWS describes a forward action given by TargetGroupArn alone with a one-group ForwardConfig as well (weight 1, " +
			"stickiness disabled), as the AWS output quoted in getmoto/moto#4716 shows (and elbv2sim's doc.go, " +
			"Normalization); moto returns the TargetGroupArn only.",
		func(a *elb.Action) bool {
			if a.Type != elb.ActionTypeEnumForward || a.TargetGroupArn == nil || a.ForwardConfig != nil {
				return false
			}
			a.ForwardConfig = &elb.ForwardActionConfig{
				TargetGroups:                []elb.TargetGroupTuple{{TargetGroupArn: a.TargetGroupArn, Weight: aws.Int32(1)}},
				TargetGroupStickinessConfig: &elb.TargetGroupStickinessConfig{Enabled: aws.Bool(false)},
			}
			return true
		}},
}

// fix corrects what a side's SDK read for its quirks (none on
// internal/sim).
func (s *elbSide) fix(v elbState) elbState {
	if s.quirks == nil {
		return v
	}
	actions := func(as []elb.Action) {
		for i := range as {
			for _, q := range motoActionQuirks {
				if q.fix(&as[i]) {
					s.quirks[q.name]++
				}
			}
		}
	}
	for i := range v.Listeners {
		for _, q := range motoListenerQuirks {
			if q.fix(&v.Listeners[i]) {
				s.quirks[q.name]++
			}
		}
		actions(v.Listeners[i].DefaultActions)
	}
	for i := range v.Rules {
		actions(v.Rules[i].Actions)
	}
	return v
}

func defaultActions(tg map[string]string) []elb.Action {
	return []elb.Action{testenv.Forward(tg["primary"], 1, tg["secondary"], 1)}
}

func stickiness(enabled bool, seconds int32) *elb.TargetGroupStickinessConfig {
	s := &elb.TargetGroupStickinessConfig{Enabled: aws.Bool(enabled)}
	if seconds != 0 {
		s.DurationSeconds = aws.Int32(seconds)
	}
	return s
}

func rule10Actions(tg map[string]string) []elb.Action {
	f := testenv.Forward(tg["primary"], 90, tg["secondary"], 10)
	f.ForwardConfig.TargetGroupStickinessConfig = stickiness(true, 300)
	return []elb.Action{f}
}

func rule10Conditions() []elb.RuleCondition {
	return []elb.RuleCondition{
		{Field: aws.String("path-pattern"), PathPatternConfig: &elb.PathPatternConditionConfig{Values: []string{"/api/*"}}},
		{Field: aws.String("http-header"), HttpHeaderConfig: &elb.HttpHeaderConditionConfig{
			HttpHeaderName: aws.String("X-Env"), Values: []string{"prod"}}},
	}
}

func rule20Conditions() []elb.RuleCondition {
	return []elb.RuleCondition{{Field: aws.String("host-header"),
		HostHeaderConfig: &elb.HostHeaderConditionConfig{Values: []string{"old.example.com"}}}}
}

func rule20Actions(map[string]string) []elb.Action {
	return []elb.Action{{Type: elb.ActionTypeEnumFixedResponse, FixedResponseConfig: &elb.FixedResponseActionConfig{
		StatusCode: aws.String("503"), ContentType: aws.String("text/plain"), MessageBody: aws.String("down")}}}
}

// startELBv2 starts moto_server and elbv2sim with the load balancer above.
func startELBv2(t *testing.T) (sim, moto *elbSide) {
	m := testenv.StartMoto(t)
	alb := m.CreateALB(t, testenv.ALBSpec{
		Name:           "web",
		TargetGroups:   []string{"primary", "secondary", "spare"},
		DefaultActions: defaultActions,
		Rules: []testenv.ALBRuleSpec{
			{Priority: 10, Conditions: rule10Conditions(), Actions: rule10Actions},
			{Priority: 20, Conditions: rule20Conditions(), Actions: rule20Actions},
		},
	})
	moto = &elbSide{name: "moto", c: elbv2.NewFromConfig(sdkConfig(m.URL)), lb: alb.LoadBalancerARN, quirks: map[string]int{},
		listener: alb.ListenerARN, tg: alb.TargetGroups,
		rule: map[string]string{"10": alb.RuleARNs[0], "20": alb.RuleARNs[1]}}

	s := elbv2sim.New(elbv2sim.Options{Seed: 1})
	url, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	sim = &elbSide{name: "sim", c: elbv2.NewFromConfig(sdkConfig(url)), lb: s.AddLoadBalancer("web"), tg: map[string]string{}, rule: map[string]string{}}
	for _, g := range []string{"primary", "secondary", "spare"} {
		sim.tg[g] = s.AddTargetGroup("web-" + g)
	}
	sim.listener = s.AddListener(sim.lb, 80, convert[[]elbv2sim.Action](t, defaultActions(sim.tg)))
	sim.rule["10"] = s.AddRule(sim.listener, 10, convert[[]elbv2sim.Condition](t, rule10Conditions()),
		convert[[]elbv2sim.Action](t, rule10Actions(sim.tg)))
	sim.rule["20"] = s.AddRule(sim.listener, 20, convert[[]elbv2sim.Condition](t, rule20Conditions()),
		convert[[]elbv2sim.Action](t, rule20Actions(sim.tg)))

	for _, side := range []*elbSide{sim, moto} {
		out, err := side.c.DescribeRules(ctxFor(t), &elbv2.DescribeRulesInput{ListenerArn: aws.String(side.listener)})
		if err != nil {
			t.Fatalf("%s: DescribeRules: %v", side.name, err)
		}
		for _, r := range out.Rules {
			if aws.ToBool(r.IsDefault) {
				side.rule["default"] = aws.ToString(r.RuleArn)
			}
		}
		pairs := []string{quote(side.lb), quote("lb"), quote(side.listener), quote("listener")}
		for k, v := range side.tg {
			pairs = append(pairs, quote(v), quote("tg:"+k))
		}
		for k, v := range side.rule {
			pairs = append(pairs, quote(v), quote("rule:"+k))
		}
		side.names = strings.NewReplacer(pairs...)
	}
	return sim, moto
}

func quote(s string) string { return `"` + s + `"` }

// convert turns SDK values into elbv2sim's, whose types mirror the API
// members by name.
func convert[T any](t *testing.T, v any) T {
	t.Helper()
	var out T
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// norm returns v with the side's ARNs replaced by stable names (through
// JSON, which keeps nil and empty apart).
func norm[T any](t *testing.T, s *elbSide, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal([]byte(s.names.Replace(string(b))), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// elbState is what the SDK read: listeners and rules.
type elbState struct {
	Listeners []elb.Listener
	Rules     []elb.Rule
}

// see returns what the SDK read with the side's ARNs replaced by names
// and its quirks corrected.
func (s *elbSide) see(t *testing.T, v elbState) elbState {
	t.Helper()
	return s.fix(norm(t, s, v))
}

func (s *elbSide) state(t *testing.T) elbState {
	t.Helper()
	ls, err := s.c.DescribeListeners(ctxFor(t), &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(s.lb)})
	if err != nil {
		t.Fatalf("%s: DescribeListeners: %v", s.name, err)
	}
	rs, err := s.c.DescribeRules(ctxFor(t), &elbv2.DescribeRulesInput{ListenerArn: aws.String(s.listener)})
	if err != nil {
		t.Fatalf("%s: DescribeRules: %v", s.name, err)
	}
	return s.see(t, elbState{Listeners: ls.Listeners, Rules: rs.Rules})
}

// elbCall is one SDK call; it returns what the SDK read.
type elbCall func(t *testing.T, s *elbSide) (elbState, error)

func modifyListener(actions func(tg map[string]string) []elb.Action) elbCall {
	return func(t *testing.T, s *elbSide) (elbState, error) {
		out, err := s.c.ModifyListener(ctxFor(t), &elbv2.ModifyListenerInput{ListenerArn: aws.String(s.listener),
			DefaultActions: actions(s.tg)})
		if err != nil {
			return elbState{}, err
		}
		return elbState{Listeners: out.Listeners}, nil
	}
}

func modifyRule(rule string, actions func(tg map[string]string) []elb.Action, conditions []elb.RuleCondition) elbCall {
	return func(t *testing.T, s *elbSide) (elbState, error) {
		in := &elbv2.ModifyRuleInput{RuleArn: aws.String(s.rule[rule]), Conditions: conditions}
		if actions != nil {
			in.Actions = actions(s.tg)
		}
		out, err := s.c.ModifyRule(ctxFor(t), in)
		if err != nil {
			return elbState{}, err
		}
		return elbState{Rules: out.Rules}, nil
	}
}

func forward(a string, wa int, b string, wb int) func(tg map[string]string) []elb.Action {
	return func(tg map[string]string) []elb.Action {
		return []elb.Action{testenv.Forward(tg[a], wa, tg[b], wb)}
	}
}

// TestELBv2 runs the ELBv2 differential tests against one moto_server.
func TestELBv2(t *testing.T) {
	sim, moto := startELBv2(t)
	t.Run("Sequence", func(t *testing.T) { testELBv2Sequence(t, sim, moto) })
	t.Run("Invalid", func(t *testing.T) { testELBv2Invalid(t, sim, moto) })
	var quirks []string
	for _, q := range motoListenerQuirks {
		quirks = append(quirks, q.name)
	}
	for _, q := range motoActionQuirks {
		quirks = append(quirks, q.name)
	}
	for _, q := range quirks {
		if moto.quirks[q] == 0 {
			t.Errorf("moto quirk %q was not seen: moto changed; update the quirk lists", q)
		}
	}
}

// testELBv2Sequence makes the same valid calls on both sides and compares
// what each call returns and the whole listener after it.
func testELBv2Sequence(t *testing.T, sim, moto *elbSide) {
	compareState := func(step string) {
		t.Helper()
		if d := cmp.Diff(sim.state(t), moto.state(t), ignoreUnexported); d != "" {
			t.Errorf("%s: listener and rules (-sim +moto):\n%s", step, d)
		}
	}
	compareState("as created")

	steps := []struct {
		name string
		call elbCall
	}{
		{"listener weights to 0 and 100", modifyListener(forward("primary", 0, "secondary", 100))},
		{"listener weights with stickiness", modifyListener(func(tg map[string]string) []elb.Action {
			f := testenv.Forward(tg["primary"], 25, tg["secondary"], 75)
			f.ForwardConfig.TargetGroupStickinessConfig = stickiness(true, 3600)
			return []elb.Action{f}
		})},
		{"rule weights to 999 and 0, conditions kept", modifyRule("10", func(tg map[string]string) []elb.Action {
			f := testenv.Forward(tg["primary"], 999, tg["secondary"], 0)
			f.ForwardConfig.TargetGroupStickinessConfig = stickiness(true, 600)
			return []elb.Action{f}
		}, nil)},
		{"rule conditions only, actions kept", modifyRule("10", nil, []elb.RuleCondition{
			{Field: aws.String("path-pattern"), PathPatternConfig: &elb.PathPatternConditionConfig{Values: []string{"/v2/*"}}},
		})},
		{"rule weights with stickiness off", modifyRule("10", func(tg map[string]string) []elb.Action {
			f := testenv.Forward(tg["primary"], 50, tg["spare"], 50)
			f.ForwardConfig.TargetGroupStickinessConfig = stickiness(false, 0)
			return []elb.Action{f}
		}, nil)},
		{"listener weights to three groups", modifyListener(func(tg map[string]string) []elb.Action {
			return []elb.Action{testenv.Forward(tg["primary"], 1, tg["secondary"], 2, tg["spare"], 3)}
		})},
		// A TargetGroupArn alone: AWS describes it with a one-group
		// ForwardConfig of weight 1 as well (elbv2sim doc, Normalization).
		{"listener forwards by TargetGroupArn alone", modifyListener(func(tg map[string]string) []elb.Action {
			return []elb.Action{{Type: elb.ActionTypeEnumForward, TargetGroupArn: aws.String(tg["spare"])}}
		})},
		{"describe the listener by ARN", func(t *testing.T, s *elbSide) (elbState, error) {
			out, err := s.c.DescribeListeners(ctxFor(t), &elbv2.DescribeListenersInput{ListenerArns: []string{s.listener}})
			if err != nil {
				return elbState{}, err
			}
			return elbState{Listeners: out.Listeners}, nil
		}},
		{"describe rules by ARN", func(t *testing.T, s *elbSide) (elbState, error) {
			out, err := s.c.DescribeRules(ctxFor(t), &elbv2.DescribeRulesInput{RuleArns: []string{s.rule["10"], s.rule["default"]}})
			if err != nil {
				return elbState{}, err
			}
			return elbState{Rules: out.Rules}, nil
		}},
	}
	for _, st := range steps {
		vS, errS := st.call(t, sim)
		vM, errM := st.call(t, moto)
		oS, oM := outcomeOf(t, "sim", errS), outcomeOf(t, "moto", errM)
		if oS.Code != "" || oM.Code != "" {
			t.Errorf("%s: sim %v, moto %v", st.name, oS, oM)
			continue
		}
		if d := cmp.Diff(sim.see(t, vS), moto.see(t, vM), ignoreUnexported); d != "" {
			t.Errorf("%s: answer (-sim +moto):\n%s", st.name, d)
		}
		compareState(st.name)
	}
}

// elbInvalid lists every invalid call whose answers differ.
var elbInvalid = map[string]known{
	"listener weight 1000": {Sim: "ValidationError", Moto: "", Kind: strict,
		Why: "API Reference, TargetGroupTuple.Weight: \"The weight. The range is 0 to 999.\" A model constraint is " +
			"answered ValidationError \"1 validation error detected: Value '1000' at " +
			"'defaultActions.1.member.forwardConfig.targetGroups.1.member.weight' failed to satisfy constraint...\"."},
	"listener weight 2500": {Sim: "ValidationError", Moto: "", Kind: strict, Why: "As listener weight 1000."},
	"rule weight 1000":     {Sim: "ValidationError", Moto: "", Kind: strict, Why: "As listener weight 1000."},
	"rule weight 2500":     {Sim: "ValidationError", Moto: "", Kind: strict, Why: "As listener weight 1000."},
	"rule weight -1":       {Sim: "ValidationError", Moto: "", Kind: strict, Why: "As listener weight 1000 (minimum 0)."},
	"listener forwards to an unknown target group": {Sim: "TargetGroupNotFound", Moto: "", Kind: motoQuirk,
		Why: "API Reference, ModifyListener, Errors: \"TargetGroupNotFound: The specified target group does not exist.\" " +
			"moto checks the target groups of ModifyRule's actions but not of ModifyListener's, and stores the unknown ARN."},
	"modify the default rule": {Sim: "OperationNotPermitted", Moto: "", Kind: strict,
		Why: "API Reference, ModifyRule: \"To modify the actions for the default rule, use ModifyListener.\" AWS answers " +
			"OperationNotPermitted \"Default rule '...' cannot be modified\" (quoted in FeLvi-zzz/tentez#32)."},
	"stickiness enabled without a duration": {Sim: "ValidationError", Moto: "", Kind: strict,
		Why: "API Reference, TargetGroupStickinessConfig.DurationSeconds: \"The time period, in seconds, during which " +
			"requests from a client should be routed to the same target group. The range is 1-604800 seconds (7 days). You " +
			"must specify this value when enabling target group stickiness.\""},
	"a target group twice in one action": {Sim: "ValidationError", Moto: "", Kind: undocumented,
		Why: "Neither the API Reference (ForwardActionConfig, TargetGroupTuple) nor the ALB User Guide says whether a " +
			"forward action may name one target group twice; internal/sim refuses it (its doc.go marks the code as its own " +
			"choice), moto accepts it. Left for a decision against real AWS."},
}

// testELBv2Invalid makes invalid calls on both sides; after each, both
// sides are set back to the load balancer as created (with valid calls)
// and compared.
func testELBv2Invalid(t *testing.T, sim, moto *elbSide) {
	const (
		noListener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/fedcba9876543210"
		noRule     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/0123456789abcdef/fedcba9876543210/0011223344556677"
		noGroup    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-none/0123456789abcdef"
	)
	withGroup := func(tg map[string]string) map[string]string {
		m := map[string]string{"none": noGroup}
		for k, v := range tg {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		call elbCall
		code string // the code both sides answer, for cases not in elbInvalid
	}{
		{"listener weight 1000", modifyListener(forward("primary", 1000, "secondary", 0)), ""},
		{"listener weight 2500", modifyListener(forward("primary", 2500, "secondary", 0)), ""},
		{"rule weight 1000", modifyRule("10", forward("primary", 1000, "secondary", 0), nil), ""},
		{"rule weight 2500", modifyRule("10", forward("primary", 2500, "secondary", 0), nil), ""},
		{"rule weight -1", modifyRule("10", forward("primary", -1, "secondary", 0), nil), ""},
		{"modify an unknown listener", func(t *testing.T, s *elbSide) (elbState, error) {
			_, err := s.c.ModifyListener(ctxFor(t), &elbv2.ModifyListenerInput{ListenerArn: aws.String(noListener),
				DefaultActions: defaultActions(s.tg)})
			return elbState{}, err
		}, "ListenerNotFound"},
		{"modify an unknown rule", func(t *testing.T, s *elbSide) (elbState, error) {
			_, err := s.c.ModifyRule(ctxFor(t), &elbv2.ModifyRuleInput{RuleArn: aws.String(noRule), Actions: defaultActions(s.tg)})
			return elbState{}, err
		}, "RuleNotFound"},
		{"listener forwards to an unknown target group", modifyListener(func(tg map[string]string) []elb.Action {
			return forward("primary", 1, "none", 1)(withGroup(tg))
		}), ""},
		{"rule forwards to an unknown target group", modifyRule("10", func(tg map[string]string) []elb.Action {
			return forward("primary", 1, "none", 1)(withGroup(tg))
		}, nil), "TargetGroupNotFound"},
		{"describe an unknown listener", func(t *testing.T, s *elbSide) (elbState, error) {
			_, err := s.c.DescribeListeners(ctxFor(t), &elbv2.DescribeListenersInput{ListenerArns: []string{noListener}})
			return elbState{}, err
		}, "ListenerNotFound"},
		{"describe the rules of an unknown listener", func(t *testing.T, s *elbSide) (elbState, error) {
			_, err := s.c.DescribeRules(ctxFor(t), &elbv2.DescribeRulesInput{ListenerArn: aws.String(noListener)})
			return elbState{}, err
		}, "ListenerNotFound"},
		{"describe an unknown rule", func(t *testing.T, s *elbSide) (elbState, error) {
			_, err := s.c.DescribeRules(ctxFor(t), &elbv2.DescribeRulesInput{RuleArns: []string{noRule}})
			return elbState{}, err
		}, "RuleNotFound"},
		{"modify the default rule", modifyRule("default", forward("primary", 1, "secondary", 1), nil), ""},
		{"a target group twice in one action", modifyListener(forward("primary", 1, "primary", 1)), ""},
		{"stickiness enabled without a duration", modifyListener(func(tg map[string]string) []elb.Action {
			f := testenv.Forward(tg["primary"], 1, tg["secondary"], 1)
			f.ForwardConfig.TargetGroupStickinessConfig = stickiness(true, 0)
			return []elb.Action{f}
		}), ""},
	}
	restore := []elbCall{
		modifyListener(defaultActions),
		modifyRule("10", rule10Actions, rule10Conditions()),
	}
	for _, c := range cases {
		beforeS := sim.state(t)
		_, errS := c.call(t, sim)
		_, errM := c.call(t, moto)
		oS, oM := outcomeOf(t, "sim", errS), outcomeOf(t, "moto", errM)
		t.Logf("%s: sim %v, moto %v", c.name, oS, oM)
		if oS.Code == "" {
			t.Errorf("%s: sim accepted an invalid call", c.name)
		}
		if d := cmp.Diff(beforeS, sim.state(t), ignoreUnexported); d != "" {
			t.Errorf("%s: sim changed although it refused the call (-before +after):\n%s", c.name, d)
		}
		if k, ok := elbInvalid[c.name]; ok {
			if oS.Code != k.Sim || oM.Code != k.Moto {
				t.Errorf("%s: known %s difference no longer holds: want sim %q moto %q, got sim %v moto %v",
					c.name, k.Kind, k.Sim, k.Moto, oS, oM)
			}
		} else if oS.Code != c.code || oS != oM {
			t.Errorf("%s: want %s on both sides; sim %v, moto %v", c.name, c.code, oS, oM)
		}
		for _, r := range restore {
			for _, side := range []*elbSide{sim, moto} {
				if _, err := r(t, side); err != nil {
					t.Fatalf("%s: restoring %s: %v", c.name, side.name, err)
				}
			}
		}
		if d := cmp.Diff(sim.state(t), moto.state(t), ignoreUnexported); d != "" {
			t.Errorf("after %s and the restore: (-sim +moto):\n%s", c.name, d)
		}
	}
	names := make([]string, 0, len(elbInvalid))
	for n := range elbInvalid {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		found := false
		for _, c := range cases {
			found = found || c.name == n
		}
		if !found {
			t.Errorf("elbInvalid lists %q, which no case runs", n)
		}
	}
}
