package elbv2sim_test

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	elbv2sim "github.com/fbctl/fbctl/internal/sim/elbv2"
)

// FuzzServeHTTP feeds arbitrary request bodies to the handler: it must not
// panic, must answer 200 or 400 with well-formed XML, and a refused request
// must change nothing.
func FuzzServeHTTP(f *testing.F) {
	sim := elbv2sim.New(elbv2sim.Options{})
	if err := sim.LoadSeedJSON([]byte(fixtureSeed)); err != nil {
		f.Fatal(err)
	}
	lb, _ := sim.LoadBalancerARN("web")
	ls := sim.ListenerARNs(lb)
	blue, _ := sim.TargetGroupARN("blue")
	green, _ := sim.TargetGroupARN("green")
	rules := sim.Rules(ls[0])
	state := func() any {
		l0, _ := sim.Listener(ls[0])
		l1, _ := sim.Listener(ls[1])
		return []any{l0, l1, sim.Rules(ls[0]), sim.Rules(ls[1])}
	}
	v := func(kv ...string) string {
		u := url.Values{"Version": {"2015-12-01"}}
		for i := 0; i+1 < len(kv); i += 2 {
			u.Set(kv[i], kv[i+1])
		}
		return u.Encode()
	}
	f.Add(v("Action", "DescribeListeners", "LoadBalancerArn", lb, "PageSize", "1"))
	f.Add(v("Action", "DescribeRules", "ListenerArn", ls[0]))
	f.Add(v("Action", "DescribeTargetHealth", "TargetGroupArn", blue, "Targets.member.1.Id", "i-0blue1"))
	f.Add(v("Action", "ModifyListener", "ListenerArn", ls[0], "DefaultActions.member.1.Type", "forward",
		"DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn", blue,
		"DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight", "10",
		"DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn", green,
		"DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.Weight", "90",
		"DefaultActions.member.1.ForwardConfig.TargetGroupStickinessConfig.Enabled", "true",
		"DefaultActions.member.1.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds", "60"))
	f.Add(v("Action", "ModifyRule", "RuleArn", *rules[0].RuleArn, "Conditions.member.1.Field", "host-header",
		"Conditions.member.1.Values.member.1", "x", "Actions.member.1.Type", "fixed-response",
		"Actions.member.1.FixedResponseConfig.StatusCode", "200"))
	f.Add(v("Action", "ModifyRule", "RuleArn", *rules[1].RuleArn, "Actions.member.1.Type", "authenticate-oidc",
		"Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.1.key", "k",
		"Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.1.value", "v"))
	f.Add("Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=web&Marker=MQ")
	f.Add("%zz&&==")
	f.Fuzz(func(t *testing.T, body string) {
		before := state()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", sigv4)
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		dec := xml.NewDecoder(strings.NewReader(rec.Body.String()))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("malformed XML (%v): %s", err, rec.Body)
			}
		}
		if rec.Code != 200 {
			if d := cmp.Diff(before, state()); d != "" {
				t.Fatalf("a refused request changed state:\n%s", d)
			}
		}
	})
}
