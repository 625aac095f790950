package elbv2sim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"
)

var cmpAll = cmp.Exporter(func(reflect.Type) bool { return true })

// echo decodes ModifyRule and ModifyListener with the codec and answers
// what it decoded, encoded with the codec: the SDK must get back exactly
// what it sent.
func echo(t *testing.T) *elbv2.Client {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
			return
		}
		skip := map[string]bool{"Action": true, "Version": true}
		switch op := r.Form.Get("Action"); op {
		case "ModifyRule":
			var in modifyRuleInput
			if err := decodeForm(r.Form, skip, &in); err != nil {
				t.Errorf("decode %s: %v", op, err)
				writeError(w, "id", errf(codeValidation, "%v", err))
				return
			}
			writeResult(w, "id", op, &modifyRuleResult{Rules: []Rule{{
				RuleArn: in.RuleArn, Priority: Ptr("7"), IsDefault: Ptr(false),
				Actions: in.Actions, Conditions: in.Conditions, Transforms: in.Transforms,
			}}})
		case "ModifyListener":
			var in modifyListenerInput
			if err := decodeForm(r.Form, skip, &in); err != nil {
				t.Errorf("decode %s: %v", op, err)
				writeError(w, "id", errf(codeValidation, "%v", err))
				return
			}
			writeResult(w, "id", op, &modifyListenerResult{Listeners: []Listener{{
				ListenerArn: in.ListenerArn, Port: in.Port, Protocol: aws.ToString(in.Protocol), SslPolicy: in.SslPolicy,
				Certificates: in.Certificates, AlpnPolicy: in.AlpnPolicy, DefaultActions: in.DefaultActions,
			}}})
		default:
			t.Errorf("unexpected %s", op)
		}
	}))
	t.Cleanup(ts.Close)
	return elbv2.New(elbv2.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL), Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
}

// Every member the SDK can send in an action, condition or transform.
func everyAction() []types.Action {
	odd := "<odd> & \"quoted\" 'text'\r\n\tüñí ✓ a.b=c&d"
	return []types.Action{
		{
			Type: types.ActionTypeEnumAuthenticateOidc, Order: aws.Int32(1),
			AuthenticateOidcConfig: &types.AuthenticateOidcActionConfig{
				Issuer: aws.String("https://idp"), AuthorizationEndpoint: aws.String("https://idp/a"), TokenEndpoint: aws.String("https://idp/t"),
				UserInfoEndpoint: aws.String("https://idp/u"), ClientId: aws.String("cid"), ClientSecret: aws.String(odd),
				SessionCookieName: aws.String("c"), Scope: aws.String("openid email"), SessionTimeout: aws.Int64(604800),
				AuthenticationRequestExtraParams: map[string]string{"prompt": "login", "a.b": odd, "": "empty key"},
				OnUnauthenticatedRequest:         types.AuthenticateOidcActionConditionalBehaviorEnumAllow,
				UseExistingClientSecret:          aws.Bool(false),
			},
		},
		{
			Type: types.ActionTypeEnumAuthenticateCognito, Order: aws.Int32(2),
			AuthenticateCognitoConfig: &types.AuthenticateCognitoActionConfig{
				UserPoolArn: aws.String("arn:pool"), UserPoolClientId: aws.String("pc"), UserPoolDomain: aws.String("d"),
				SessionCookieName: aws.String("s"), Scope: aws.String("openid"), SessionTimeout: aws.Int64(1),
				AuthenticationRequestExtraParams: map[string]string{"x": ""},
				OnUnauthenticatedRequest:         types.AuthenticateCognitoActionConditionalBehaviorEnumDeny,
			},
		},
		{
			Type: types.ActionTypeEnumJwtValidation, Order: aws.Int32(3),
			JwtValidationConfig: &types.JwtValidationActionConfig{
				Issuer: aws.String("iss"), JwksEndpoint: aws.String("https://jwks"),
				AdditionalClaims: []types.JwtValidationActionAdditionalClaim{
					{Format: types.JwtValidationActionAdditionalClaimFormatEnumSingleString, Name: aws.String("aud"), Values: []string{"a", "b"}},
					{Format: types.JwtValidationActionAdditionalClaimFormatEnumStringArray, Name: aws.String("grp"), Values: []string{}},
				},
			},
		},
		{
			Type: types.ActionTypeEnumForward, Order: aws.Int32(4), TargetGroupArn: aws.String("arn:tg/a"),
			ForwardConfig: &types.ForwardActionConfig{
				TargetGroups:                []types.TargetGroupTuple{{TargetGroupArn: aws.String("arn:tg/a"), Weight: aws.Int32(0)}, {TargetGroupArn: aws.String("arn:tg/b")}},
				TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(604800)},
			},
		},
		{
			Type: types.ActionTypeEnumRedirect, Order: aws.Int32(50000),
			RedirectConfig: &types.RedirectActionConfig{StatusCode: types.RedirectActionStatusCodeEnumHttp302, Protocol: aws.String("#{protocol}"),
				Port: aws.String("#{port}"), Host: aws.String("#{host}"), Path: aws.String("/#{path}"), Query: aws.String("")},
		},
		{
			Type:                types.ActionTypeEnumFixedResponse,
			FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("418"), ContentType: aws.String("application/json"), MessageBody: aws.String(odd)},
		},
		{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{TargetGroups: []types.TargetGroupTuple{}}},
	}
}

func everyCondition() []types.RuleCondition {
	return []types.RuleCondition{
		{Field: aws.String("host-header"), Values: []string{"a.example.com"}, RegexValues: []string{"^a"},
			HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"*.example.com", "b"}, RegexValues: []string{"^.*$"}}},
		{Field: aws.String("path-pattern"), PathPatternConfig: &types.PathPatternConditionConfig{Values: []string{"/a/*"}, RegexValues: []string{"^/v[0-9]"}}},
		{Field: aws.String("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X-Y"), Values: []string{"1"}, RegexValues: []string{"[0-9]+"}}},
		{Field: aws.String("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"GET"}}},
		{Field: aws.String("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{Values: []types.QueryStringKeyValuePair{{Key: aws.String("k"), Value: aws.String("v&w")}, {Value: aws.String("only")}}}},
		{Field: aws.String("source-ip"), SourceIpConfig: &types.SourceIpConditionConfig{Values: []string{"10.0.0.0/8"}, IpAddressType: types.SourceIpAddressTypeEnumIpv4}},
		{Field: aws.String("host-header"), Values: []string{}},
	}
}

func TestCodecCarriesEveryMemberThroughTheSDK(t *testing.T) {
	c := echo(t)
	ctx := context.Background()
	in := &elbv2.ModifyRuleInput{
		RuleArn:    aws.String("arn:rule"),
		Actions:    everyAction(),
		Conditions: everyCondition(),
		Transforms: []types.RuleTransform{
			{Type: types.TransformTypeEnumHostHeaderRewrite, HostHeaderRewriteConfig: &types.HostHeaderRewriteConfig{Rewrites: []types.RewriteConfig{{Regex: aws.String("^(.*)$"), Replace: aws.String("x.$1")}}}},
			{Type: types.TransformTypeEnumUrlRewrite, UrlRewriteConfig: &types.UrlRewriteConfig{Rewrites: []types.RewriteConfig{{Regex: aws.String("a"), Replace: aws.String("")}}}},
		},
	}
	out, err := c.ModifyRule(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in.Actions, out.Rules[0].Actions, cmpAll); d != "" {
		t.Errorf("actions (-sent +got):\n%s", d)
	}
	if d := cmp.Diff(in.Conditions, out.Rules[0].Conditions, cmpAll); d != "" {
		t.Errorf("conditions (-sent +got):\n%s", d)
	}
	if d := cmp.Diff(in.Transforms, out.Rules[0].Transforms, cmpAll); d != "" {
		t.Errorf("transforms (-sent +got):\n%s", d)
	}

	lin := &elbv2.ModifyListenerInput{
		ListenerArn: aws.String("arn:l"), Port: aws.Int32(443), Protocol: types.ProtocolEnumHttps, SslPolicy: aws.String("ELBSecurityPolicy-TLS13-1-2-2021-06"),
		Certificates:   []types.Certificate{{CertificateArn: aws.String("arn:cert"), IsDefault: aws.Bool(true)}},
		AlpnPolicy:     []string{"HTTP2Preferred"},
		DefaultActions: everyAction(),
	}
	lout, err := c.ModifyListener(ctx, lin)
	if err != nil {
		t.Fatal(err)
	}
	want := types.Listener{ListenerArn: lin.ListenerArn, Port: lin.Port, Protocol: lin.Protocol, SslPolicy: lin.SslPolicy, Certificates: lin.Certificates, AlpnPolicy: lin.AlpnPolicy, DefaultActions: lin.DefaultActions}
	if d := cmp.Diff(want, lout.Listeners[0], cmpAll); d != "" {
		t.Errorf("listener (-sent +got):\n%s", d)
	}
}

func TestDecodeFormErrors(t *testing.T) {
	type in struct {
		S *string
		L []string
		M map[string]string
		N *struct{ I *int32 }
	}
	for name, form := range map[string]url.Values{
		"repeated key":       {"S": {"a", "b"}},
		"empty name part":    {"N..I": {"1"}},
		"structure as value": {"N": {"x"}},
		"scalar with member": {"S.x": {"1"}},
		"list as value":      {"L": {"x"}},
		"list bad index":     {"L.member.0": {"x"}},
		"list index text":    {"L.member.one": {"x"}},
		"list index padded":  {"L.member.01": {"x"}},
		"list no index":      {"L.member": {"x"}},
		"map as value":       {"M": {"x"}},
		"map no value":       {"M.entry.1.key": {"k"}},
		"map extra member":   {"M.entry.1.key": {"k"}, "M.entry.1.value": {"v"}, "M.entry.1.x": {"y"}},
		"map repeated key":   {"M.entry.1.key": {"k"}, "M.entry.1.value": {"v"}, "M.entry.2.key": {"k"}, "M.entry.2.value": {"w"}},
		"map wrong member":   {"M.member.1.key": {"k"}},
		"int overflow":       {"N.I": {"4294967296"}},
		"unknown":            {"Z": {"1"}},
	} {
		var v in
		err := decodeForm(form, nil, &v)
		if _, ok := err.(*paramError); !ok {
			t.Errorf("%s: err %v", name, err)
		}
	}
	var v in
	if err := decodeForm(url.Values{"L": {""}, "M": {""}, "S": {""}, "N.I": {"-5"}}, nil, &v); err != nil {
		t.Fatal(err)
	}
	if v.L == nil || len(v.L) != 0 || v.M == nil || v.S == nil || *v.S != "" || *v.N.I != -5 {
		t.Fatalf("%+v", v)
	}
}

func TestEncodeAndCopy(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.FixedZone("x", 3600))
	v := struct {
		T     *time.Time
		Empty string
		Set   *string
		Nil   []string
		None  []string
		M     map[string]string
		B     *bool
		hid   string
	}{T: &when, Set: Ptr(""), None: []string{}, M: map[string]string{"b": "2", "a": "<1>"}, B: Ptr(false), hid: "x"}
	var b strings.Builder
	encodeFields(&b, reflect.ValueOf(v))
	want := "<T>2026-01-02T02:04:05.600Z</T><Set></Set><None></None><M><entry><key>a</key><value>&lt;1&gt;</value></entry><entry><key>b</key><value>2</value></entry></M><B>false</B>"
	if b.String() != want {
		t.Fatalf("got  %s\nwant %s", b.String(), want)
	}
	c := deepCopy(v)
	*c.Set = "changed"
	c.M["a"] = "changed"
	if *v.Set != "" || v.M["a"] != "<1>" || !c.T.Equal(when) {
		t.Fatal("deepCopy shares memory")
	}
}
