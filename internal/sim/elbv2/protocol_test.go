package elbv2sim_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
)

type rawResp struct {
	status int
	reqID  string
	body   string
}

func raw(t *testing.T, method, target, auth string, form url.Values) rawResp {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if form != nil {
		target += "?" + form.Encode()
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResp{resp.StatusCode, resp.Header.Get("x-amzn-RequestId"), string(b)}
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

func parseError(t *testing.T, r rawResp) errorResponse {
	t.Helper()
	var e errorResponse
	if err := xml.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	if e.RequestID == "" || e.RequestID != r.reqID {
		t.Fatalf("request id %q in the body, %q in the header", e.RequestID, r.reqID)
	}
	return e
}

const sigv4 = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"

func TestWireProtocol(t *testing.T) {
	w := newWorld(t, elbv2sim.Options{})
	op := func(action string, kv ...string) url.Values {
		v := url.Values{"Action": {action}, "Version": {"2015-12-01"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	// A successful answer.
	r := raw(t, http.MethodPost, w.url+"/", sigv4, op("DescribeListeners", "ListenerArns.member.1", w.http))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var ok struct {
		XMLName xml.Name `xml:"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/ DescribeListenersResponse"`
		Result  struct {
			Listeners []struct {
				ListenerArn string
				Port        int
			} `xml:"Listeners>member"`
		} `xml:"DescribeListenersResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(r.body), &ok); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	if len(ok.Result.Listeners) != 1 || ok.Result.Listeners[0].ListenerArn != w.http || ok.Result.Listeners[0].Port != 80 || ok.RequestID != r.reqID || r.reqID == "" {
		t.Fatalf("answer %+v (header id %q)", ok, r.reqID)
	}

	// GET with a query string works too.
	if r := raw(t, http.MethodGet, w.url+"/", sigv4, op("DescribeLoadBalancers")); r.status != 200 || !strings.Contains(r.body, "<LoadBalancerName>web</LoadBalancerName>") {
		t.Fatalf("GET: %d %s", r.status, r.body)
	}

	for _, tc := range []struct {
		name   string
		method string
		path   string
		auth   string
		form   url.Values
		status int
		code   string
		msg    string
	}{
		{"no signature", http.MethodPost, "/", "", op("DescribeLoadBalancers"), 403, "MissingAuthenticationToken", ""},
		{"unknown action", http.MethodPost, "/", sigv4, op("CreateLoadBalancer"), 400, "InvalidAction", "CreateLoadBalancer"},
		{"no action", http.MethodPost, "/", sigv4, url.Values{"Version": {"2015-12-01"}}, 400, "MissingAction", ""},
		{"no version", http.MethodPost, "/", sigv4, url.Values{"Action": {"DescribeLoadBalancers"}}, 400, "MissingParameter", "Version"},
		{"old version", http.MethodPost, "/", sigv4, url.Values{"Action": {"DescribeLoadBalancers"}, "Version": {"2012-06-01"}}, 400, "NoSuchVersion", ""},
		{"unknown parameter", http.MethodPost, "/", sigv4, op("DescribeListeners", "LoadBalancerArn", w.lb, "Colour", "red"), 400, "ValidationError", "unknown parameter Colour"},
		{"unknown nested parameter", http.MethodPost, "/", sigv4, op("ModifyListener", "ListenerArn", w.http, "DefaultActions.member.1.Type", "forward", "DefaultActions.member.1.TargetGroupArn", w.blue, "DefaultActions.member.1.ForwardConfig.Colour", "red"), 400, "ValidationError", "DefaultActions.member.1.ForwardConfig.Colour"},
		{"mutual authentication", http.MethodPost, "/", sigv4, op("ModifyListener", "ListenerArn", w.http, "MutualAuthentication.Mode", "verify"), 400, "ValidationError", "unknown parameter MutualAuthentication"},
		{"list without member", http.MethodPost, "/", sigv4, op("DescribeListeners", "ListenerArns.1", w.http), 400, "ValidationError", "member"},
		{"list index gap", http.MethodPost, "/", sigv4, op("DescribeListeners", "ListenerArns.member.2", w.http), 400, "ValidationError", "without gaps"},
		{"bad integer", http.MethodPost, "/", sigv4, op("DescribeListeners", "LoadBalancerArn", w.lb, "PageSize", "ten"), 400, "ValidationError", "not a valid integer"},
		{"bad boolean", http.MethodPost, "/", sigv4, op("ModifyRule", "RuleArn", w.r10, "ResetTransforms", "yes"), 400, "ValidationError", "not a valid boolean"},
		{"missing rule arn", http.MethodPost, "/", sigv4, op("ModifyRule"), 400, "ValidationError", "ruleArn"},
		{"missing listener arn", http.MethodPost, "/", sigv4, op("ModifyListener"), 400, "ValidationError", "listenerArn"},
		{"missing target group arn", http.MethodPost, "/", sigv4, op("DescribeTargetHealth"), 400, "ValidationError", "targetGroupArn"},
		{"missing action type", http.MethodPost, "/", sigv4, op("ModifyRule", "RuleArn", w.r10, "Actions.member.1.TargetGroupArn", w.blue), 400, "ValidationError", "actions.1.member.type"},
		{"wrong path", http.MethodPost, "/2015-12-01/listeners", sigv4, op("DescribeLoadBalancers"), 404, "NotFound", ""},
		{"wrong method", http.MethodPut, "/", sigv4, nil, 405, "MethodNotAllowed", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.state()
			var r rawResp
			if tc.method == http.MethodPut {
				req, _ := http.NewRequest(http.MethodPut, w.url+tc.path, nil)
				req.Header.Set("Authorization", tc.auth)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r = rawResp{resp.StatusCode, resp.Header.Get("x-amzn-RequestId"), string(b)}
			} else {
				r = raw(t, tc.method, w.url+tc.path, tc.auth, tc.form)
			}
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			e := parseError(t, r)
			if e.Error.Code != tc.code || e.Error.Type != "Sender" || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("error %+v, want %s mentioning %q", e.Error, tc.code, tc.msg)
			}
			if d := cmp.Diff(before, w.state()); d != "" {
				t.Fatalf("state changed:\n%s", d)
			}
		})
	}

	// An empty list ("X=") is an empty list: here no listener at all.
	r = raw(t, http.MethodPost, w.url+"/", sigv4, op("DescribeListeners", "ListenerArns", ""))
	if r.status != 200 || !strings.Contains(r.body, "<Listeners></Listeners>") {
		t.Fatalf("empty list: %d %s", r.status, r.body)
	}
	// Text is escaped.
	out, err := w.c.ModifyRule(context.Background(), &elbv2.ModifyRuleInput{RuleArn: aws.String(w.r30), Actions: []types.Action{{
		Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{
			StatusCode: aws.String("200"), ContentType: aws.String("text/html"), MessageBody: aws.String("<h1>\"Tom & Jerry's\"</h1>\r\n\tüñí ✓"),
		},
	}}})
	if err != nil || *out.Rules[0].Actions[0].FixedResponseConfig.MessageBody != "<h1>\"Tom & Jerry's\"</h1>\r\n\tüñí ✓" {
		t.Fatalf("escaping: %v %q", err, *out.Rules[0].Actions[0].FixedResponseConfig.MessageBody)
	}
}

func TestHandlerWithoutStart(t *testing.T) {
	sim := elbv2sim.New(elbv2sim.Options{})
	sim.AddLoadBalancer("lb")
	ts := httptest.NewServer(sim)
	defer ts.Close()
	out, err := newClient(ts.URL, 1).DescribeLoadBalancers(context.Background(), &elbv2.DescribeLoadBalancersInput{})
	if err != nil || len(out.LoadBalancers) != 1 {
		t.Fatalf("%v %+v", err, out)
	}
	if _, err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Start(); err == nil {
		t.Fatal("started twice")
	}
	sim.Close()
	sim.Close()
}

func TestConcurrentClients(t *testing.T) {
	w := newWorld(t, elbv2sim.Options{})
	ctx := context.Background()
	const workers, rounds = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < rounds; j++ {
				b := int32(i*rounds + j)
				if _, err := w.c.ModifyListener(ctx, setWeights(w, b, 999-b)); err != nil {
					errs <- err
				}
				if _, err := w.c.ModifyRule(ctx, &elbv2.ModifyRuleInput{RuleArn: aws.String(w.r20), Actions: []types.Action{{
					Type: types.ActionTypeEnumForward, Order: aws.Int32(1), ForwardConfig: fwd(tuple(w.blue, b), tuple(w.green, 999-b)),
				}}}); err != nil {
					errs <- err
				}
				ls, err := w.c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{w.http}})
				if err != nil {
					errs <- err
				} else if ws := weights(ls.Listeners[0].DefaultActions); ws[0]+ws[1] != 999 && !(ws[0] == 90 && ws[1] == 10) {
					errs <- fmt.Errorf("torn weights %v", ws)
				}
				if _, err := w.c.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(w.blue)}); err != nil {
					errs <- err
				}
				w.sim.SetTargetHealth(w.green, []elbv2sim.TargetHealth{{Id: fmt.Sprint("i-", i), State: elbv2sim.StateHealthy}})
				_ = w.sim.Rules(w.http)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	calls := w.sim.Calls()
	for _, op := range []string{"ModifyListener", "ModifyRule", "DescribeListeners", "DescribeTargetHealth"} {
		if calls[op] != workers*rounds {
			t.Errorf("%s: %d calls, want %d", op, calls[op], workers*rounds)
		}
	}
	l, _ := w.sim.Listener(w.http)
	fc := l.DefaultActions[0].ForwardConfig
	if *fc.TargetGroups[0].Weight+*fc.TargetGroups[1].Weight != 999 || !*fc.TargetGroupStickinessConfig.Enabled {
		t.Fatalf("final listener %+v", fc)
	}
}
