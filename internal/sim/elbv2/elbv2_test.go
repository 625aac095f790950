package elbv2sim_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
)

// cmpAll compares SDK values including their (empty) unexported markers.
var cmpAll = cmp.Exporter(func(reflect.Type) bool { return true })

func newClient(url string, attempts int) *elbv2.Client {
	return elbv2.New(elbv2.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.RateLimiter = ratelimit.None
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
	})
}

func start(t *testing.T, opts elbv2sim.Options) (*elbv2sim.Server, *elbv2.Client, string) {
	t.Helper()
	sim := elbv2sim.New(opts)
	url, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim, newClient(url, 3), url
}

const fixtureSeed = `{
  "TargetGroups": [
    {"TargetGroupName": "blue", "Targets": [{"Id": "i-0blue1", "Port": 80, "State": "healthy"}, {"Id": "i-0blue2", "Port": 80, "State": "healthy"}]},
    {"TargetGroupName": "green", "Targets": [{"Id": "i-0green1", "Port": 8080, "State": "initial"}]},
    {"TargetGroupName": "red"},
    {"TargetGroupName": "spare1"}, {"TargetGroupName": "spare2"}, {"TargetGroupName": "spare3"}
  ],
  "LoadBalancers": [{
    "LoadBalancerName": "web",
    "Listeners": [
      {"Port": 80, "Protocol": "HTTP",
       "DefaultActions": [{"Type": "forward", "ForwardConfig": {
         "TargetGroups": [{"TargetGroupArn": "blue", "Weight": 90}, {"TargetGroupArn": "green", "Weight": 10}],
         "TargetGroupStickinessConfig": {"Enabled": true, "DurationSeconds": 300}}}],
       "Rules": [
         {"Priority": 20,
          "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
                         {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["1"]}}],
          "Actions": [{"Type": "forward", "Order": 1, "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": "blue", "Weight": 100}, {"TargetGroupArn": "green", "Weight": 0}],
            "TargetGroupStickinessConfig": {"Enabled": false}}}]},
         {"Priority": 10,
          "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": ["old.example.com"]}}],
          "Actions": [{"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_301", "Protocol": "HTTPS", "Port": "443",
            "Host": "new.example.com", "Path": "/#{path}", "Query": "#{query}"}}]},
         {"Priority": 30,
          "Conditions": [{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}],
          "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": "maintenance"}}]}
       ]},
      {"Port": 443, "Protocol": "HTTPS",
       "DefaultActions": [
         {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {
           "Issuer": "https://idp.example.com", "AuthorizationEndpoint": "https://idp.example.com/auth",
           "TokenEndpoint": "https://idp.example.com/token", "UserInfoEndpoint": "https://idp.example.com/userinfo",
           "ClientId": "fbctl", "ClientSecret": "s3cret", "Scope": "openid", "SessionTimeout": 3600,
           "AuthenticationRequestExtraParams": {"prompt": "login", "display": "page"},
           "OnUnauthenticatedRequest": "authenticate"}},
         {"Type": "forward", "Order": 2, "ForwardConfig": {
           "TargetGroups": [{"TargetGroupArn": "blue", "Weight": 50}, {"TargetGroupArn": "green", "Weight": 50}],
           "TargetGroupStickinessConfig": {"Enabled": true, "DurationSeconds": 3600}}}]}
    ]
  }, {
    "LoadBalancerName": "idle"
  }]
}`

type world struct {
	sim                   *elbv2sim.Server
	c                     *elbv2.Client
	url                   string
	lb, idle              string
	blue, green, red      string
	spares                []string
	http, https           string
	r10, r20, r30, rdefHT string
}

func newWorld(t *testing.T, opts elbv2sim.Options) *world {
	t.Helper()
	sim, c, url := start(t, opts)
	if err := sim.LoadSeedJSON([]byte(fixtureSeed)); err != nil {
		t.Fatal(err)
	}
	w := &world{sim: sim, c: c, url: url}
	must := func(s string, ok bool) string {
		t.Helper()
		if !ok {
			t.Fatal("fixture lookup failed")
		}
		return s
	}
	w.lb = must(sim.LoadBalancerARN("web"))
	w.idle = must(sim.LoadBalancerARN("idle"))
	w.blue = must(sim.TargetGroupARN("blue"))
	w.green = must(sim.TargetGroupARN("green"))
	w.red = must(sim.TargetGroupARN("red"))
	for _, n := range []string{"spare1", "spare2", "spare3"} {
		w.spares = append(w.spares, must(sim.TargetGroupARN(n)))
	}
	ls := sim.ListenerARNs(w.lb)
	w.http, w.https = ls[0], ls[1]
	rules := sim.Rules(w.http)
	w.r10, w.r20, w.r30, w.rdefHT = *rules[0].RuleArn, *rules[1].RuleArn, *rules[2].RuleArn, *rules[3].RuleArn
	return w
}

// state is everything a modify call could change.
func (w *world) state() any {
	l1, _ := w.sim.Listener(w.http)
	l2, _ := w.sim.Listener(w.https)
	return []any{l1, l2, w.sim.Rules(w.http), w.sim.Rules(w.https)}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an API error", err, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code %q (%v), want %q", ae.ErrorCode(), err, code)
	}
}

func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func TestDescribeLoadBalancersAndTargetGroups(t *testing.T) {
	w := newWorld(t, elbv2sim.Options{Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	ctx := context.Background()

	out, err := w.c.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.LoadBalancers) != 2 || *out.LoadBalancers[0].LoadBalancerArn != w.lb || *out.LoadBalancers[0].LoadBalancerName != "web" {
		t.Fatalf("load balancers: %+v", out.LoadBalancers)
	}
	lb := out.LoadBalancers[0]
	if lb.Type != types.LoadBalancerTypeEnumApplication || lb.State.Code != types.LoadBalancerStateEnumActive ||
		!lb.CreatedTime.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || aws.ToString(lb.DNSName) == "" {
		t.Fatalf("load balancer: %+v", lb)
	}
	byName, err := w.c.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"idle"}})
	if err != nil || len(byName.LoadBalancers) != 1 || *byName.LoadBalancers[0].LoadBalancerArn != w.idle {
		t.Fatalf("by name: %v %+v", err, byName)
	}
	byArn, err := w.c.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{w.lb}})
	if err != nil || len(byArn.LoadBalancers) != 1 || *byArn.LoadBalancers[0].LoadBalancerName != "web" {
		t.Fatalf("by arn: %v %+v", err, byArn)
	}
	_, err = w.c.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"nope"}})
	if !isType[*types.LoadBalancerNotFoundException](err) {
		t.Fatalf("unknown name: %v", err)
	}

	tgs, err := w.c.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	if err != nil || len(tgs.TargetGroups) != 6 {
		t.Fatalf("target groups: %v %+v", err, tgs)
	}
	if *tgs.TargetGroups[0].TargetGroupArn != w.blue || !cmp.Equal(tgs.TargetGroups[0].LoadBalancerArns, []string{w.lb}) ||
		len(tgs.TargetGroups[2].LoadBalancerArns) != 0 || tgs.TargetGroups[0].Protocol != types.ProtocolEnumHttp {
		t.Fatalf("target groups: %+v", tgs.TargetGroups)
	}
	used, err := w.c.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(w.lb)})
	if err != nil || len(used.TargetGroups) != 2 || *used.TargetGroups[1].TargetGroupArn != w.green {
		t.Fatalf("by load balancer: %v %+v", err, used)
	}
	named, err := w.c.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"red"}})
	if err != nil || len(named.TargetGroups) != 1 || *named.TargetGroups[0].TargetGroupArn != w.red {
		t.Fatalf("by name: %v %+v", err, named)
	}
	_, err = w.c.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{w.red + "x"}})
	if !isType[*types.TargetGroupNotFoundException](err) {
		t.Fatalf("unknown target group: %v", err)
	}
	_, err = w.c.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(w.lb + "x")})
	if !isType[*types.LoadBalancerNotFoundException](err) {
		t.Fatalf("unknown load balancer: %v", err)
	}
	_, err = w.c.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"red"}, TargetGroupArns: []string{w.red}})
	wantCode(t, err, "ValidationError")
}

func TestDescribeListenersAndRules(t *testing.T) {
	w := newWorld(t, elbv2sim.Options{})
	ctx := context.Background()

	ls, err := w.c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(w.lb)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.Listeners) != 2 || ls.NextMarker != nil {
		t.Fatalf("listeners: %+v", ls)
	}
	want := []types.Action{{
		Type: types.ActionTypeEnumForward,
		ForwardConfig: &types.ForwardActionConfig{
			TargetGroups:                []types.TargetGroupTuple{{TargetGroupArn: aws.String(w.blue), Weight: aws.Int32(90)}, {TargetGroupArn: aws.String(w.green), Weight: aws.Int32(10)}},
			TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(300)},
		},
	}}
	l := ls.Listeners[0]
	if *l.ListenerArn != w.http || *l.LoadBalancerArn != w.lb || *l.Port != 80 || l.Protocol != types.ProtocolEnumHttp {
		t.Fatalf("listener: %+v", l)
	}
	if d := cmp.Diff(want, l.DefaultActions, cmpAll); d != "" {
		t.Fatalf("default actions (-want +got):\n%s", d)
	}
	// The OIDC client secret is never described.
	oidc := ls.Listeners[1].DefaultActions[0].AuthenticateOidcConfig
	if oidc == nil || oidc.ClientSecret != nil || *oidc.ClientId != "fbctl" || oidc.AuthenticationRequestExtraParams["prompt"] != "login" || *oidc.SessionTimeout != 3600 {
		t.Fatalf("oidc config: %+v", oidc)
	}

	byArn, err := w.c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{w.https}})
	if err != nil || len(byArn.Listeners) != 1 || *byArn.Listeners[0].ListenerArn != w.https {
		t.Fatalf("by arn: %v %+v", err, byArn)
	}
	_, err = w.c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{w.http, w.http + "x"}})
	if !isType[*types.ListenerNotFoundException](err) {
		t.Fatalf("unknown listener: %v", err)
	}
	_, err = w.c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(w.lb + "x")})
	if !isType[*types.LoadBalancerNotFoundException](err) {
		t.Fatalf("unknown load balancer: %v", err)
	}
	_, err = w.c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{})
	wantCode(t, err, "ValidationError")
	none, err := w.c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(w.idle)})
	if err != nil || len(none.Listeners) != 0 {
		t.Fatalf("idle load balancer: %v %+v", err, none)
	}

	rs, err := w.c.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(w.http)})
	if err != nil {
		t.Fatal(err)
	}
	var prios []string
	for _, r := range rs.Rules {
		prios = append(prios, *r.Priority)
	}
	if !cmp.Equal(prios, []string{"10", "20", "30", "default"}) {
		t.Fatalf("priorities %v", prios)
	}
	def := rs.Rules[3]
	if !*def.IsDefault || *def.RuleArn != w.rdefHT || len(def.Conditions) != 0 || *rs.Rules[0].IsDefault {
		t.Fatalf("default rule: %+v", def)
	}
	if d := cmp.Diff(want, def.Actions, cmpAll); d != "" {
		t.Fatalf("default rule actions are the listener's default actions (-want +got):\n%s", d)
	}
	wantRedirect := types.Rule{
		RuleArn:    aws.String(w.r10),
		Priority:   aws.String("10"),
		IsDefault:  aws.Bool(false),
		Conditions: []types.RuleCondition{{Field: aws.String("host-header"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"old.example.com"}}}},
		Actions: []types.Action{{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{
			StatusCode: types.RedirectActionStatusCodeEnumHttp301, Protocol: aws.String("HTTPS"), Port: aws.String("443"),
			Host: aws.String("new.example.com"), Path: aws.String("/#{path}"), Query: aws.String("#{query}"),
		}}},
	}
	if d := cmp.Diff(wantRedirect, rs.Rules[0], cmpAll); d != "" {
		t.Fatalf("redirect rule (-want +got):\n%s", d)
	}
	fixed := rs.Rules[2].Actions[0].FixedResponseConfig
	if fixed == nil || *fixed.StatusCode != "503" || *fixed.MessageBody != "maintenance" || *fixed.ContentType != "text/plain" {
		t.Fatalf("fixed response: %+v", fixed)
	}

	byRule, err := w.c.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{w.r30, w.r10}})
	if err != nil || len(byRule.Rules) != 2 || *byRule.Rules[0].RuleArn != w.r30 || *byRule.Rules[1].RuleArn != w.r10 {
		t.Fatalf("by rule arns: %v %+v", err, byRule)
	}
	_, err = w.c.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{w.r10 + "x"}})
	if !isType[*types.RuleNotFoundException](err) {
		t.Fatalf("unknown rule: %v", err)
	}
	_, err = w.c.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(w.http + "x")})
	if !isType[*types.ListenerNotFoundException](err) {
		t.Fatalf("unknown listener: %v", err)
	}
	_, err = w.c.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(w.http), RuleArns: []string{w.r10}})
	wantCode(t, err, "ValidationError")
	_, err = w.c.DescribeRules(ctx, &elbv2.DescribeRulesInput{})
	wantCode(t, err, "ValidationError")
}

func TestModifyListenerRoundTrip(t *testing.T) {
	w := newWorld(t, elbv2sim.Options{})
	ctx := context.Background()
	rulesBefore := [][]elbv2sim.Rule{w.sim.Rules(w.http), w.sim.Rules(w.https)}
	httpBefore, _ := w.sim.Listener(w.http)

	got, err := w.c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{w.https}})
	if err != nil {
		t.Fatal(err)
	}
	// Send every action back unchanged except the weights; the secret is not
	// described, so keep the stored one.
	sent := got.Listeners[0].DefaultActions
	sent[0].AuthenticateOidcConfig.UseExistingClientSecret = aws.Bool(true)
	sent[1].ForwardConfig.TargetGroups[0].Weight = aws.Int32(0)
	sent[1].ForwardConfig.TargetGroups[1].Weight = aws.Int32(999)
	out, err := w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.https), DefaultActions: sent})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sent, out.Listeners[0].DefaultActions, cmpAll); d != "" {
		t.Fatalf("ModifyListener answer (-sent +got):\n%s", d)
	}
	after, err := w.c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{w.https}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sent, after.Listeners[0].DefaultActions, cmpAll); d != "" {
		t.Fatalf("described after modify (-sent +got):\n%s", d)
	}
	stored, _ := w.sim.Listener(w.https)
	if s := stored.DefaultActions[0].AuthenticateOidcConfig.ClientSecret; s == nil || *s != "s3cret" {
		t.Fatalf("client secret not kept: %v", s)
	}
	if *stored.DefaultActions[1].ForwardConfig.TargetGroups[1].Weight != 999 {
		t.Fatalf("stored: %+v", stored.DefaultActions[1].ForwardConfig)
	}
	// Nothing else changed.
	httpAfter, _ := w.sim.Listener(w.http)
	if d := cmp.Diff(httpBefore, httpAfter); d != "" {
		t.Fatalf("other listener changed:\n%s", d)
	}
	if d := cmp.Diff(rulesBefore[0], w.sim.Rules(w.http)); d != "" {
		t.Fatalf("rules changed:\n%s", d)
	}

	// REPLACE semantics: a one-action list replaces the two actions.
	only := []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("200")}}}
	out, err = w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.https), DefaultActions: only})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(only, out.Listeners[0].DefaultActions, cmpAll); d != "" {
		t.Fatalf("replaced list (-sent +got):\n%s", d)
	}
	// The default rule follows the listener.
	rs, err := w.c.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(w.https)})
	if err != nil || len(rs.Rules) != 1 || !cmp.Equal(only, rs.Rules[0].Actions, cmpAll) {
		t.Fatalf("default rule: %v %+v", err, rs)
	}

	// Port and protocol; the actions stay.
	out, err = w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.https), Port: aws.Int32(8443), Protocol: types.ProtocolEnumHttp})
	if err != nil || *out.Listeners[0].Port != 8443 || out.Listeners[0].Protocol != types.ProtocolEnumHttp || !cmp.Equal(only, out.Listeners[0].DefaultActions, cmpAll) {
		t.Fatalf("port change: %v %+v", err, out)
	}
}

func TestModifyRuleRoundTrip(t *testing.T) {
	w := newWorld(t, elbv2sim.Options{})
	ctx := context.Background()
	before, err := w.c.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(w.http)})
	if err != nil {
		t.Fatal(err)
	}
	listenerBefore, _ := w.sim.Listener(w.http)
	r20 := before.Rules[1]

	// Weights only: the actions are sent back whole, conditions untouched.
	sent := r20.Actions
	sent[0].ForwardConfig.TargetGroups[0].Weight = aws.Int32(25)
	sent[0].ForwardConfig.TargetGroups[1].Weight = aws.Int32(75)
	sent[0].ForwardConfig.TargetGroupStickinessConfig = &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(604800)}
	out, err := w.c.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: r20.RuleArn, Actions: sent})
	if err != nil {
		t.Fatal(err)
	}
	want := r20
	want.Actions = sent
	if d := cmp.Diff(want, out.Rules[0], cmpAll); d != "" {
		t.Fatalf("ModifyRule answer (-want +got):\n%s", d)
	}
	after, err := w.c.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(w.http)})
	if err != nil {
		t.Fatal(err)
	}
	wantAll := before.Rules
	wantAll[1] = want
	if d := cmp.Diff(wantAll, after.Rules, cmpAll); d != "" {
		t.Fatalf("rules after modify (-want +got):\n%s", d)
	}
	if l, _ := w.sim.Listener(w.http); !cmp.Equal(listenerBefore, l) {
		t.Fatal("the listener changed")
	}

	// Conditions and transforms replace their lists exactly.
	conds := []types.RuleCondition{
		{Field: aws.String("host-header"), Values: []string{"a.example.com"}, HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"a.example.com", "b.example.com"}}},
		{Field: aws.String("path-pattern"), PathPatternConfig: &types.PathPatternConditionConfig{RegexValues: []string{"^/v[0-9]+/"}}},
		{Field: aws.String("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("User-Agent"), Values: []string{"*Mobile*"}}},
		{Field: aws.String("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"GET", "HEAD"}}},
		{Field: aws.String("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Key: aws.String("v"), Value: aws.String("2")}, {Value: aws.String("beta")}}}},
		{Field: aws.String("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"192.0.2.0/24", "2001:db8::/32"}}},
	}
	transforms := []types.RuleTransform{{Type: types.TransformTypeEnumUrlRewrite, UrlRewriteConfig: &types.UrlRewriteConfig{Rewrites: []types.RewriteConfig{{Regex: aws.String("^/api/(.*)$"), Replace: aws.String("/$1")}}}}}
	out, err = w.c.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: r20.RuleArn, Conditions: conds, Transforms: transforms})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(conds, out.Rules[0].Conditions, cmpAll); d != "" {
		t.Fatalf("conditions (-sent +got):\n%s", d)
	}
	if d := cmp.Diff(transforms, out.Rules[0].Transforms, cmpAll); d != "" {
		t.Fatalf("transforms (-sent +got):\n%s", d)
	}
	if d := cmp.Diff(sent, out.Rules[0].Actions, cmpAll); d != "" {
		t.Fatalf("actions changed with the conditions:\n%s", d)
	}
	out, err = w.c.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: r20.RuleArn, ResetTransforms: aws.Bool(true)})
	if err != nil || out.Rules[0].Transforms != nil {
		t.Fatalf("reset transforms: %v %+v", err, out)
	}
	// A no-op modify changes nothing.
	st := w.state()
	if _, err := w.c.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: aws.String(w.r30)}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(st, w.state()); d != "" {
		t.Fatalf("no-op changed state:\n%s", d)
	}
}

func TestNormalization(t *testing.T) {
	for _, verbatim := range []bool{false, true} {
		w := newWorld(t, elbv2sim.Options{Verbatim: verbatim})
		ctx := context.Background()
		sent := []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.red)}}
		out, err := w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.http), DefaultActions: sent})
		if err != nil {
			t.Fatal(err)
		}
		want := sent
		if !verbatim {
			want = []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.red), ForwardConfig: &types.ForwardActionConfig{
				TargetGroups:                []types.TargetGroupTuple{{TargetGroupArn: aws.String(w.red), Weight: aws.Int32(1)}},
				TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(false)},
			}}}
		}
		if d := cmp.Diff(want, out.Listeners[0].DefaultActions, cmpAll); d != "" {
			t.Fatalf("verbatim=%v (-want +got):\n%s", verbatim, d)
		}
		// Described single-group actions go back unchanged ...
		if _, err := w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.http), DefaultActions: out.Listeners[0].DefaultActions}); err != nil {
			t.Fatalf("verbatim=%v: sending back the described action: %v", verbatim, err)
		}
		// ... but a split must drop TargetGroupArn.
		split := want[0]
		split.ForwardConfig = &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(w.red), Weight: aws.Int32(50)}, {TargetGroupArn: aws.String(w.blue)}}}
		_, err = w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.http), DefaultActions: []types.Action{split}})
		wantCode(t, err, "ValidationError")
		split.TargetGroupArn = nil
		out, err = w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.http), DefaultActions: []types.Action{split}})
		if err != nil {
			t.Fatal(err)
		}
		wantW := []*int32{aws.Int32(50), aws.Int32(1)}
		if verbatim {
			wantW[1] = nil
		}
		got := out.Listeners[0].DefaultActions[0].ForwardConfig
		if !cmp.Equal(wantW, []*int32{got.TargetGroups[0].Weight, got.TargetGroups[1].Weight}) || (got.TargetGroupStickinessConfig == nil) != verbatim {
			t.Fatalf("verbatim=%v: %+v", verbatim, got)
		}
	}
}

func fwd(tgs ...types.TargetGroupTuple) *types.ForwardActionConfig {
	return &types.ForwardActionConfig{TargetGroups: tgs}
}

func tuple(arn string, weight int32) types.TargetGroupTuple {
	return types.TargetGroupTuple{TargetGroupArn: aws.String(arn), Weight: aws.Int32(weight)}
}

func TestValidationErrors(t *testing.T) {
	w := newWorld(t, elbv2sim.Options{})
	ctx := context.Background()
	forward := func(fc *types.ForwardActionConfig) []types.Action {
		return []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: fc}}
	}
	sticky := func(enabled bool, d *int32) *types.ForwardActionConfig {
		fc := fwd(tuple(w.blue, 1), tuple(w.green, 1))
		fc.TargetGroupStickinessConfig = &types.TargetGroupStickinessConfig{Enabled: aws.Bool(enabled), DurationSeconds: d}
		return fc
	}
	oidc := &types.AuthenticateOidcActionConfig{Issuer: aws.String("i"), AuthorizationEndpoint: aws.String("a"), TokenEndpoint: aws.String("t"), UserInfoEndpoint: aws.String("u"), ClientId: aws.String("c"), ClientSecret: aws.String("s")}
	ml := func(arn string, actions []types.Action) func() error {
		return func() error {
			_, err := w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(arn), DefaultActions: actions})
			return err
		}
	}
	mr := func(arn string, actions []types.Action, conds []types.RuleCondition) func() error {
		return func() error {
			_, err := w.c.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: aws.String(arn), Actions: actions, Conditions: conds})
			return err
		}
	}
	six := fwd(tuple(w.blue, 1), tuple(w.green, 1), tuple(w.red, 1), tuple(w.spares[0], 1), tuple(w.spares[1], 1), tuple(w.spares[2], 1))
	cases := []struct {
		name  string
		call  func() error
		check func(error) bool
		code  string // and, for a ValidationError, a part of the message
	}{
		{"unknown listener", ml(w.http+"0", forward(fwd(tuple(w.blue, 1)))), isType[*types.ListenerNotFoundException], ""},
		{"unknown rule", mr(w.r10+"0", forward(fwd(tuple(w.blue, 1))), nil), isType[*types.RuleNotFoundException], ""},
		{"unknown target group", ml(w.http, forward(fwd(tuple(w.blue, 1), tuple(w.blue+"0", 1)))), isType[*types.TargetGroupNotFoundException], ""},
		{"unknown target group arn", ml(w.http, []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/0")}}), isType[*types.TargetGroupNotFoundException], ""},
		{"unknown target group in rule", mr(w.r20, forward(fwd(tuple(w.blue+"0", 1))), nil), isType[*types.TargetGroupNotFoundException], ""},
		{"weight 1000", ml(w.http, forward(fwd(tuple(w.blue, 1000), tuple(w.green, 0)))), nil, "ValidationError: targetGroups.1.member.weight"},
		{"weight -1", mr(w.r20, forward(fwd(tuple(w.blue, -1))), nil), nil, "ValidationError: targetGroups.1.member.weight"},
		{"stickiness without duration", ml(w.http, forward(sticky(true, nil))), nil, "ValidationError: DurationSeconds when enabling"},
		{"stickiness 0 s", ml(w.http, forward(sticky(true, aws.Int32(0)))), nil, "ValidationError: durationSeconds"},
		{"stickiness 604801 s", mr(w.r20, forward(sticky(true, aws.Int32(604801))), nil), nil, "ValidationError: less than or equal to 604800"},
		{"six target groups", ml(w.http, forward(six)), nil, "ValidationError: at most 5 target groups"},
		{"duplicate target group", ml(w.http, forward(fwd(tuple(w.blue, 1), tuple(w.blue, 2)))), nil, "ValidationError: more than once"},
		{"empty forward config", ml(w.http, forward(fwd())), nil, "ValidationError: must be specified for a forward action"},
		{"forward without target", ml(w.http, []types.Action{{Type: types.ActionTypeEnumForward}}), nil, "ValidationError: must be specified for a forward action"},
		{"TargetGroupArn with two groups", ml(w.http, []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.blue), ForwardConfig: fwd(tuple(w.blue, 1), tuple(w.green, 1))}}), nil, "ValidationError: only one target group"},
		{"TargetGroupArn with another group", mr(w.r20, []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.blue), ForwardConfig: fwd(tuple(w.green, 1))}}, nil), nil, "ValidationError: only one target group"},
		{"config of another type", ml(w.http, []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.blue), RedirectConfig: &types.RedirectActionConfig{StatusCode: types.RedirectActionStatusCodeEnumHttp301}}}), nil, "ValidationError: RedirectConfig can be specified only"},
		{"unknown action type", ml(w.http, []types.Action{{Type: "teleport"}}), nil, "ValidationError: member.type"},
		{"empty action list", ml(w.http, []types.Action{}), nil, "ValidationError: at least 1 element"},
		{"bad redirect status", mr(w.r10, []types.Action{{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{StatusCode: "HTTP_307"}}}, nil), nil, "ValidationError: redirectConfig.statusCode"},
		{"bad fixed status", mr(w.r30, []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("302")}}}, nil), nil, "ValidationError: fixedResponseConfig.statusCode"},
		{"order 0", ml(w.http, []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.blue), Order: aws.Int32(0)}}), nil, "ValidationError: member.order"},
		{"two terminal actions", ml(w.http, []types.Action{
			{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.blue), Order: aws.Int32(1)},
			{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("200")}, Order: aws.Int32(2)},
		}), isType[*types.InvalidLoadBalancerActionException], ""},
		{"terminal action not last", ml(w.https, []types.Action{
			{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.blue), Order: aws.Int32(1)},
			{Type: types.ActionTypeEnumAuthenticateOidc, AuthenticateOidcConfig: oidc, Order: aws.Int32(2)},
		}), isType[*types.InvalidLoadBalancerActionException], ""},
		{"multiple actions without order", ml(w.https, []types.Action{
			{Type: types.ActionTypeEnumAuthenticateOidc, AuthenticateOidcConfig: oidc},
			{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.blue)},
		}), nil, "ValidationError: order is required"},
		{"oidc on HTTP", ml(w.http, []types.Action{
			{Type: types.ActionTypeEnumAuthenticateOidc, AuthenticateOidcConfig: oidc, Order: aws.Int32(1)},
			{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.blue), Order: aws.Int32(2)},
		}), isType[*types.IncompatibleProtocolsException], ""},
		{"oidc without secret", ml(w.https, []types.Action{
			{Type: types.ActionTypeEnumAuthenticateOidc, AuthenticateOidcConfig: &types.AuthenticateOidcActionConfig{Issuer: aws.String("i"), AuthorizationEndpoint: aws.String("a"), TokenEndpoint: aws.String("t"), UserInfoEndpoint: aws.String("u"), ClientId: aws.String("c")}, Order: aws.Int32(1)},
			{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(w.blue), Order: aws.Int32(2)},
		}), nil, "ValidationError: client secret"},
		{"default rule", mr(w.rdefHT, forward(fwd(tuple(w.blue, 1))), nil), isType[*types.OperationNotPermittedException], ""},
		{"bad condition field", mr(w.r10, nil, []types.RuleCondition{{Field: aws.String("cookie"), Values: []string{"x"}}}), nil, "ValidationError: member.field"},
		{"condition without value", mr(w.r10, nil, []types.RuleCondition{{Field: aws.String("host-header")}}), nil, "ValidationError: at least one value"},
		{"Values on http-header", mr(w.r10, nil, []types.RuleCondition{{Field: aws.String("http-header"), Values: []string{"x"}, HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X"), Values: []string{"y"}}}}), nil, "ValidationError: Values can be specified only"},
		{"two host-header conditions", mr(w.r10, nil, []types.RuleCondition{{Field: aws.String("host-header"), Values: []string{"a"}}, {Field: aws.String("host-header"), Values: []string{"b"}}}), nil, "ValidationError: at most one"},
		{"empty conditions", mr(w.r10, nil, []types.RuleCondition{}), nil, "ValidationError: at least one condition"},
		{"duplicate port", func() error {
			_, err := w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.https), Port: aws.Int32(80)})
			return err
		}, isType[*types.DuplicateListenerException], ""},
		{"HTTP with an oidc default action", func() error {
			_, err := w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.https), Protocol: types.ProtocolEnumHttp})
			return err
		}, isType[*types.IncompatibleProtocolsException], ""},
		{"TCP on an ALB", func() error {
			_, err := w.c.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.http), Protocol: types.ProtocolEnumTcp})
			return err
		}, isType[*types.UnsupportedProtocolException], ""},
		{"transforms and reset", func() error {
			_, err := w.c.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: aws.String(w.r10), ResetTransforms: aws.Bool(true),
				Transforms: []types.RuleTransform{{Type: types.TransformTypeEnumHostHeaderRewrite, HostHeaderRewriteConfig: &types.HostHeaderRewriteConfig{}}}})
			return err
		}, nil, "ValidationError: both Transforms and ResetTransforms"},
		{"page size 0", func() error {
			_, err := w.c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(w.lb), PageSize: aws.Int32(0)})
			return err
		}, nil, "ValidationError: pageSize"},
		{"bad marker", func() error {
			_, err := w.c.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(w.http), Marker: aws.String("bogus!")})
			return err
		}, nil, "ValidationError: marker"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := w.state()
			calls := w.sim.Calls()
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			if tc.check != nil && !tc.check(err) {
				t.Fatalf("wrong error type %T: %v", errors.Unwrap(errors.Unwrap(err)), err)
			}
			if code, msg, _ := strings.Cut(tc.code, ": "); code != "" {
				wantCode(t, err, code)
				if !strings.Contains(err.Error(), msg) {
					t.Fatalf("error %v does not mention %q", err, msg)
				}
			}
			if d := cmp.Diff(before, w.state()); d != "" {
				t.Fatalf("state changed:\n%s", d)
			}
			// A 400 is not retried: exactly one more call.
			n := 0
			for op, c := range w.sim.Calls() {
				n += c - calls[op]
			}
			if n != 1 {
				t.Fatalf("%d calls, want 1", n)
			}
		})
	}
}

func TestPagination(t *testing.T) {
	sim, c, _ := start(t, elbv2sim.Options{})
	ctx := context.Background()
	lb := sim.AddLoadBalancer("many")
	tg := sim.AddTargetGroup("tg")
	act := []elbv2sim.Action{{Type: elbv2sim.ActionForward, TargetGroupArn: elbv2sim.Ptr(tg)}}
	var want []string
	for i := 0; i < 7; i++ {
		want = append(want, sim.AddListener(lb, 8000+i, act))
	}
	for i := 1; i <= 5; i++ {
		sim.AddRule(want[0], 100-i, []elbv2sim.Condition{{Field: elbv2sim.Ptr("path-pattern"), Values: []string{"/x"}}}, act)
	}
	p := elbv2.NewDescribeListenersPaginator(c, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(lb), PageSize: aws.Int32(3)})
	var got []string
	var sizes []int
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(out.Listeners))
		for _, l := range out.Listeners {
			got = append(got, *l.ListenerArn)
		}
	}
	if !cmp.Equal(want, got) || !cmp.Equal(sizes, []int{3, 3, 1}) {
		t.Fatalf("pages %v: %v", sizes, got)
	}
	var prios []string
	rp := elbv2.NewDescribeRulesPaginator(c, &elbv2.DescribeRulesInput{ListenerArn: aws.String(want[0]), PageSize: aws.Int32(2)})
	pages := 0
	for rp.HasMorePages() {
		out, err := rp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.Rules {
			prios = append(prios, *r.Priority)
		}
	}
	if pages != 3 || !cmp.Equal(prios, []string{"95", "96", "97", "98", "99", "default"}) {
		t.Fatalf("%d pages: %v", pages, prios)
	}
	lbp := elbv2.NewDescribeLoadBalancersPaginator(c, &elbv2.DescribeLoadBalancersInput{PageSize: aws.Int32(1)})
	out, err := lbp.NextPage(ctx)
	if err != nil || len(out.LoadBalancers) != 1 || lbp.HasMorePages() {
		t.Fatalf("one load balancer: %v %+v", err, out)
	}
	tgp, err := c.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(400)})
	if err != nil || len(tgp.TargetGroups) != 1 || tgp.NextMarker != nil {
		t.Fatalf("target groups: %v %+v", err, tgp)
	}
	_, err = c.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(401)})
	wantCode(t, err, "ValidationError")
}

func TestTargetHealth(t *testing.T) {
	sim, c, _ := start(t, elbv2sim.Options{})
	ctx := context.Background()
	tg := sim.AddTargetGroup("tg")
	states := []string{elbv2sim.StateInitial, elbv2sim.StateHealthy, elbv2sim.StateUnhealthy, elbv2sim.StateUnhealthyDraining,
		elbv2sim.StateUnused, elbv2sim.StateDraining, elbv2sim.StateUnavailable}
	var targets []elbv2sim.TargetHealth
	for i, s := range states {
		targets = append(targets, elbv2sim.TargetHealth{Id: "i-" + s, Port: int32(8000 + i), State: s})
	}
	targets[2].Reason, targets[2].Description = "Target.Timeout", "Request timed out"
	targets[1].AvailabilityZone = "us-east-1a"
	sim.SetTargetHealth(tg, targets)

	out, err := c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TargetHealthDescriptions) != len(states) {
		t.Fatalf("%d descriptions", len(out.TargetHealthDescriptions))
	}
	wantReason := map[string]types.TargetHealthReasonEnum{
		elbv2sim.StateInitial: "Elb.RegistrationInProgress", elbv2sim.StateHealthy: "", elbv2sim.StateUnhealthy: "Target.Timeout",
		elbv2sim.StateUnhealthyDraining: "Target.FailedHealthChecks", elbv2sim.StateUnused: "Target.NotInUse",
		elbv2sim.StateDraining: "Target.DeregistrationInProgress", elbv2sim.StateUnavailable: "Target.HealthCheckDisabled",
	}
	for i, d := range out.TargetHealthDescriptions {
		s := states[i]
		if string(d.TargetHealth.State) != s || d.TargetHealth.Reason != wantReason[s] || *d.Target.Id != "i-"+s || *d.Target.Port != int32(8000+i) {
			t.Fatalf("target %d: %+v %+v", i, d.Target, d.TargetHealth)
		}
		if (s == elbv2sim.StateHealthy) != (d.TargetHealth.Description == nil) {
			t.Fatalf("target %d description: %v", i, d.TargetHealth.Description)
		}
	}
	if *out.TargetHealthDescriptions[1].Target.AvailabilityZone != "us-east-1a" || *out.TargetHealthDescriptions[2].TargetHealth.Description != "Request timed out" {
		t.Fatalf("explicit fields: %+v", out.TargetHealthDescriptions[1:3])
	}

	filtered, err := c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg),
		Targets: []types.TargetDescription{{Id: aws.String("i-healthy")}, {Id: aws.String("i-nope"), Port: aws.Int32(81)}}})
	if err != nil || len(filtered.TargetHealthDescriptions) != 2 {
		t.Fatalf("filtered: %v %+v", err, filtered)
	}
	if f := filtered.TargetHealthDescriptions[1]; f.TargetHealth.State != types.TargetHealthStateEnumUnused || f.TargetHealth.Reason != types.TargetHealthReasonEnumNotRegistered || *f.Target.Port != 81 {
		t.Fatalf("unregistered: %+v", f.TargetHealth)
	}
	_, err = c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg + "x")})
	if !isType[*types.TargetGroupNotFoundException](err) {
		t.Fatalf("unknown target group: %v", err)
	}
	empty := sim.AddTargetGroup("empty")
	none, err := c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(empty)})
	if err != nil || len(none.TargetHealthDescriptions) != 0 {
		t.Fatalf("empty: %v %+v", err, none)
	}
	// Health changes are seen by the next call.
	sim.SetTargetHealth(tg, []elbv2sim.TargetHealth{{Id: "i-x", State: elbv2sim.StateHealthy}})
	out, err = c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
	if err != nil || len(out.TargetHealthDescriptions) != 1 || *out.TargetHealthDescriptions[0].Target.Port != 80 {
		t.Fatalf("after change: %v %+v", err, out)
	}
}

func TestSeedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seed.json")
	if err := os.WriteFile(path, []byte(fixtureSeed), 0o600); err != nil {
		t.Fatal(err)
	}
	sim := elbv2sim.New(elbv2sim.Options{})
	if err := sim.LoadSeed(path); err != nil {
		t.Fatal(err)
	}
	// ARNs derive from names: a second emulator seeded alike agrees.
	other := elbv2sim.New(elbv2sim.Options{})
	if err := other.LoadSeedJSON([]byte(fixtureSeed)); err != nil {
		t.Fatal(err)
	}
	lb, _ := sim.LoadBalancerARN("web")
	lb2, _ := other.LoadBalancerARN("web")
	if lb != lb2 || !cmp.Equal(sim.ListenerARNs(lb), other.ListenerARNs(lb2)) {
		t.Fatalf("ARNs differ: %s %s", lb, lb2)
	}
	if err := sim.LoadSeed(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("missing file loaded")
	}
	blue, _ := sim.TargetGroupARN("blue")
	if th := sim.TargetHealth(blue); len(th) != 2 || th[0].State != elbv2sim.StateHealthy {
		t.Fatalf("targets: %+v", th)
	}

	// Bad seeds fail whole: nothing of them is added.
	before := sim.Rules(sim.ListenerARNs(lb)[0])
	for name, bad := range map[string]string{
		"unknown key":          `{"TargetGroups": [{"TargetGroupName": "x", "Colour": "red"}]}`,
		"unknown target group": `{"TargetGroups": [{"TargetGroupName": "x"}], "LoadBalancers": [{"LoadBalancerName": "y", "Listeners": [{"Port": 80, "DefaultActions": [{"Type": "forward", "TargetGroupArn": "nope"}]}]}]}`,
		"duplicate name":       `{"TargetGroups": [{"TargetGroupName": "x"}], "LoadBalancers": [{"LoadBalancerName": "web"}]}`,
		"duplicate port":       `{"LoadBalancers": [{"LoadBalancerName": "y", "Listeners": [{"Port": 80}, {"Port": 80}]}]}`,
		"bad priority":         `{"LoadBalancers": [{"LoadBalancerName": "y", "Listeners": [{"Port": 80, "Rules": [{"Priority": 0}]}]}]}`,
		"bad state":            `{"TargetGroups": [{"TargetGroupName": "x", "Targets": [{"Id": "i-1", "State": "sick"}]}]}`,
		"trailing data":        `{} {}`,
		"not json":             `TargetGroups: []`,
	} {
		if err := sim.LoadSeedJSON([]byte(bad)); err == nil {
			t.Errorf("%s: loaded", name)
		}
		if _, ok := sim.TargetGroupARN("x"); ok {
			t.Errorf("%s: partly applied", name)
		}
		if _, ok := sim.LoadBalancerARN("y"); ok {
			t.Errorf("%s: partly applied", name)
		}
	}
	if d := cmp.Diff(before, sim.Rules(sim.ListenerARNs(lb)[0])); d != "" {
		t.Fatalf("rules changed:\n%s", d)
	}
	// Explicit ARNs are kept.
	if err := sim.LoadSeedJSON([]byte(`{"TargetGroups": [{"TargetGroupName": "z", "TargetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/z/abc"}]}`)); err != nil {
		t.Fatal(err)
	}
	if a, _ := sim.TargetGroupARN("z"); a != "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/z/abc" {
		t.Fatalf("explicit arn: %s", a)
	}
}

func TestGoAPIPanics(t *testing.T) {
	sim := elbv2sim.New(elbv2sim.Options{})
	lb := sim.AddLoadBalancer("lb")
	l := sim.AddListener(lb, 80, nil)
	for name, f := range map[string]func(){
		"duplicate load balancer": func() { sim.AddLoadBalancer("lb") },
		"listener without lb":     func() { sim.AddListener(lb+"x", 81, nil) },
		"duplicate port":          func() { sim.AddListener(lb, 80, nil) },
		"rule without listener":   func() { sim.AddRule(l+"x", 1, nil, nil) },
		"rule priority":           func() { sim.AddRule(l, 50001, nil, nil) },
		"health without group":    func() { sim.SetTargetHealth("x", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	if _, ok := sim.Listener(l + "x"); ok {
		t.Fatal("unknown listener found")
	}
	if sim.Rules(l+"x") != nil {
		t.Fatal("rules of unknown listener")
	}
	// The Go API copies what it is given.
	tg := sim.AddTargetGroup("tg")
	acts := []elbv2sim.Action{{Type: elbv2sim.ActionForward, ForwardConfig: &elbv2sim.ForwardActionConfig{TargetGroups: []elbv2sim.TargetGroupTuple{{TargetGroupArn: elbv2sim.Ptr(tg), Weight: elbv2sim.Ptr[int32](5)}}}}}
	l2 := sim.AddListener(lb, 81, acts)
	*acts[0].ForwardConfig.TargetGroups[0].Weight = 7
	got, _ := sim.Listener(l2)
	if *got.DefaultActions[0].ForwardConfig.TargetGroups[0].Weight != 5 {
		t.Fatal("AddListener kept the caller's pointers")
	}
	*got.DefaultActions[0].ForwardConfig.TargetGroups[0].Weight = 9
	again, _ := sim.Listener(l2)
	if *again.DefaultActions[0].ForwardConfig.TargetGroups[0].Weight != 5 {
		t.Fatal("Listener returned shared pointers")
	}
	r := sim.AddRule(l2, 5, []elbv2sim.Condition{{Field: elbv2sim.Ptr("host-header"), Values: []string{"a"}}}, acts)
	if rr, ok := sim.Rule(r); !ok || *rr.Priority != "5" {
		t.Fatalf("rule: %+v", rr)
	}
}
