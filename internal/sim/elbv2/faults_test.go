package elbv2sim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/google/go-cmp/cmp"

	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
	"github.com/fbctl/fbctl/internal/sim/fault"
)

func weights(a []types.Action) []int32 {
	var out []int32
	for _, t := range a[len(a)-1].ForwardConfig.TargetGroups {
		out = append(out, aws.ToInt32(t.Weight))
	}
	return out
}

func setWeights(w *world, blue, green int32) *elbv2.ModifyListenerInput {
	return &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.http), DefaultActions: []types.Action{{
		Type: types.ActionTypeEnumForward,
		ForwardConfig: &types.ForwardActionConfig{
			TargetGroups:                []types.TargetGroupTuple{tuple(w.blue, blue), tuple(w.green, green)},
			TargetGroupStickinessConfig: &types.TargetGroupStickinessConfig{Enabled: aws.Bool(true), DurationSeconds: aws.Int32(300)},
		},
	}}}
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestFaultsRetriedBySDK(t *testing.T) {
	for _, tc := range []struct {
		kind   fault.Kind
		opts   elbv2sim.Options
		code   string
		status int
	}{
		{fault.Throttle, elbv2sim.Options{}, "Throttling", 400},
		{fault.RateLimitExceeded, elbv2sim.Options{}, "Throttling", 400},
		{fault.TooManyRequests, elbv2sim.Options{}, "Throttling", 429},
		{fault.PriorRequestNotComplete, elbv2sim.Options{}, "PriorRequestNotComplete", 400},
		{fault.ServerError, elbv2sim.Options{}, "InternalFailure", 500},
		{fault.ServerError, elbv2sim.Options{ServerErrorStatus: 503}, "ServiceUnavailable", 503},
	} {
		t.Run(string(tc.kind)+"/"+tc.code, func(t *testing.T) {
			w := newWorld(t, tc.opts)
			ctx := context.Background()
			w.sim.Faults().Add(fault.Rule{Op: "ModifyListener", Kind: tc.kind, Nth: 1})
			// One fault: the SDK's standard retryer retries it and succeeds.
			out, err := w.c.ModifyListener(ctx, setWeights(w, 40, 60))
			if err != nil {
				t.Fatalf("not retried: %v", err)
			}
			if !cmp.Equal(weights(out.Listeners[0].DefaultActions), []int32{40, 60}) {
				t.Fatalf("weights %v", weights(out.Listeners[0].DefaultActions))
			}
			if n := w.sim.Calls()["ModifyListener"]; n != 2 {
				t.Fatalf("%d calls, want 2", n)
			}

			// Without retries the fault surfaces, with its code and status,
			// and nothing changes.
			w.sim.Faults().Reset()
			w.sim.Faults().Add(fault.Rule{Op: "ModifyListener", Kind: tc.kind, Nth: 1})
			before := w.state()
			_, err = newClient(w.url, 1).ModifyListener(ctx, setWeights(w, 0, 100))
			wantCode(t, err, tc.code)
			if s := httpStatus(err); s != tc.status {
				t.Fatalf("status %d, want %d", s, tc.status)
			}
			if d := cmp.Diff(before, w.state()); d != "" {
				t.Fatalf("a faulted call changed state:\n%s", d)
			}
		})
	}
}

func TestFaultRulesMatchOperations(t *testing.T) {
	w := newWorld(t, elbv2sim.Options{})
	ctx := context.Background()
	c := newClient(w.url, 1)
	w.sim.Faults().Add(fault.Rule{Op: "DescribeRules", Kind: fault.Throttle, Nth: 2})
	w.sim.Faults().Add(fault.Rule{Kind: fault.ServerError, Nth: 4}) // any operation
	var errs []string
	for i := 0; i < 3; i++ {
		_, err := c.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(w.http)})
		errs = append(errs, code(err))
		_, err = c.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(w.lb)})
		errs = append(errs, code(err))
	}
	// The "every operation" rule counts the 4th call of any operation.
	want := []string{"", "", "Throttling", "InternalFailure", "", ""}
	if !cmp.Equal(errs, want) {
		t.Fatalf("errors %q, want %q", errs, want)
	}
	if got := w.sim.Calls(); got["DescribeRules"] != 3 || got["DescribeListeners"] != 3 {
		t.Fatalf("calls %v", got)
	}
	w.sim.ResetCalls()
	if len(w.sim.Calls()) != 0 {
		t.Fatal("ResetCalls kept counts")
	}
}

func code(err error) string {
	if err == nil {
		return ""
	}
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

func TestFaultRateIsSeeded(t *testing.T) {
	pattern := func(seed int64) string {
		w := newWorld(t, elbv2sim.Options{Seed: seed})
		w.sim.Faults().Add(fault.Rule{Op: "DescribeListeners", Kind: fault.Throttle, Rate: 0.3})
		c := newClient(w.url, 1)
		var b strings.Builder
		for i := 0; i < 60; i++ {
			_, err := c.DescribeListeners(context.Background(), &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(w.lb)})
			if err != nil {
				wantCode(t, err, "Throttling")
				b.WriteByte('T')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := pattern(7), pattern(7)
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if n := strings.Count(a, "T"); n < 6 || n > 36 {
		t.Fatalf("rate 0.3 throttled %d of 60: %s", n, a)
	}
}

func TestLatencyFault(t *testing.T) {
	w := newWorld(t, elbv2sim.Options{})
	// A short delay: served normally.
	w.sim.Faults().Add(fault.Rule{Op: "DescribeListeners", Kind: fault.Latency, Nth: 1, Delay: time.Millisecond})
	if _, err := w.c.DescribeListeners(context.Background(), &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(w.lb)}); err != nil {
		t.Fatal(err)
	}

	// A long delay honours the client's deadline; the modify never happens.
	w.sim.Faults().Add(fault.Rule{Op: "ModifyListener", Kind: fault.Latency, Rate: 1, Delay: time.Hour})
	before := w.state()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := newClient(w.url, 1).ModifyListener(ctx, setWeights(w, 1, 1))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline", err)
	}
	if d := cmp.Diff(before, w.state()); d != "" {
		t.Fatalf("state changed:\n%s", d)
	}

	// The handler itself gives up on a cancelled request ...
	form := url.Values{"Action": {"DescribeListeners"}, "Version": {"2015-12-01"}, "LoadBalancerArn": {w.lb}}
	w.sim.Faults().Add(fault.Rule{Kind: fault.Latency, Rate: 1, Delay: time.Hour})
	rctx, rcancel := context.WithCancel(context.Background())
	rcancel()
	req := httptest.NewRequestWithContext(rctx, http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/elasticloadbalancing/aws4_request")
	rec := httptest.NewRecorder()
	w.sim.ServeHTTP(rec, req)
	if rec.Body.Len() != 0 {
		t.Fatalf("answered a cancelled request: %s", rec.Body)
	}
	// ... and when the server closes.
	w.sim.Close()
	req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "x")
	rec = httptest.NewRecorder()
	w.sim.ServeHTTP(rec, req)
	if rec.Body.Len() != 0 {
		t.Fatalf("answered after Close: %s", rec.Body)
	}
}
