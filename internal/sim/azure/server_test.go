package azure_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/trafficmanager/armtrafficmanager"
	"github.com/google/go-cmp/cmp"

	azsim "github.com/fbctl/fbctl/internal/sim/azure"
)

const sub, rg = "sub-1", "rg-1"

type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func setup(t *testing.T) (*azsim.Server, *armtrafficmanager.ClientFactory) {
	t.Helper()
	s := azsim.New("tok")
	t.Cleanup(s.Close)
	s.AddProfile(azsim.Profile{Subscription: sub, ResourceGroup: rg, Name: "web", RoutingMethod: "Weighted", Endpoints: []*azsim.Endpoint{
		{Name: "east", Type: "AzureEndpoints", Target: "east.example.test", Weight: 10, Extra: map[string]any{"targetResourceId": "/subscriptions/sub-1/x"}},
		{Name: "west", Type: "ExternalEndpoints", Target: "west.example.test", Weight: 20, Status: "Disabled"},
		{Name: "kid", Type: "NestedEndpoints", Target: "kid.example.test", Weight: 30, Extra: map[string]any{"minChildEndpoints": 2}},
	}})
	opts := &arm.ClientOptions{ClientOptions: policy.ClientOptions{Transport: s.Client(),
		Retry: policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond},
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {Endpoint: s.URL, Audience: s.URL}}}}}
	f, err := armtrafficmanager.NewClientFactory(sub, staticToken("tok"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, f
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestSDKShapes: the SDK decodes the emulator's answers into its model
// types with every field fbctl and the SDK's documentation name.
func TestSDKShapes(t *testing.T) {
	_, f := setup(t)
	p, err := f.NewProfilesClient().Get(ctx(t), rg, "web", nil)
	if err != nil {
		t.Fatal(err)
	}
	pr := p.Properties
	if p.ID == nil || p.Name == nil || *p.Name != "web" || p.Type == nil || *p.Type != "Microsoft.Network/trafficManagerProfiles" || p.Location == nil ||
		pr == nil || pr.TrafficRoutingMethod == nil || *pr.TrafficRoutingMethod != armtrafficmanager.TrafficRoutingMethodWeighted ||
		pr.ProfileStatus == nil || pr.DNSConfig == nil || pr.DNSConfig.TTL == nil || pr.MonitorConfig == nil || pr.MonitorConfig.Protocol == nil || len(pr.Endpoints) != 3 {
		t.Fatalf("profile: %+v", p)
	}
	want := map[string][2]string{"east": {"Microsoft.Network/trafficManagerProfiles/azureEndpoints", "Online"},
		"west": {"Microsoft.Network/trafficManagerProfiles/externalEndpoints", "Disabled"},
		"kid":  {"Microsoft.Network/trafficManagerProfiles/nestedEndpoints", "Online"}}
	for _, e := range pr.Endpoints {
		w := want[*e.Name]
		if e.ID == nil || !strings.HasSuffix(*e.ID, "/"+*e.Name) || *e.Type != w[0] || e.Properties == nil || e.Properties.Weight == nil ||
			e.Properties.EndpointStatus == nil || e.Properties.EndpointMonitorStatus == nil || string(*e.Properties.EndpointMonitorStatus) != w[1] || e.Properties.Target == nil {
			t.Errorf("endpoint %s: %+v %+v", *e.Name, e, e.Properties)
		}
	}
	if e := pr.Endpoints[2].Properties; e.MinChildEndpoints == nil || *e.MinChildEndpoints != 2 {
		t.Errorf("nested endpoint lost minChildEndpoints: %+v", e)
	}
	if e := pr.Endpoints[0].Properties; e.TargetResourceID == nil {
		t.Errorf("azure endpoint lost targetResourceId: %+v", e)
	}
}

// TestSDKWrites: Update (PATCH) changes only the properties sent;
// CreateOrUpdate (PUT) replaces them; the SDK decodes both answers.
func TestSDKWrites(t *testing.T) {
	s, f := setup(t)
	ec := f.NewEndpointsClient()
	u, err := ec.Update(ctx(t), rg, "web", armtrafficmanager.EndpointTypeExternalEndpoints, "west", armtrafficmanager.Endpoint{
		Properties: &armtrafficmanager.EndpointProperties{Weight: to.Ptr[int64](700), EndpointStatus: to.Ptr(armtrafficmanager.EndpointStatusEnabled)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *u.Properties.Weight != 700 || *u.Properties.EndpointStatus != armtrafficmanager.EndpointStatusEnabled || *u.Properties.Target != "west.example.test" {
		t.Errorf("PATCH answered %+v", u.Properties)
	}
	g, err := ec.Get(ctx(t), rg, "web", armtrafficmanager.EndpointTypeAzureEndpoints, "east", nil)
	if err != nil || *g.Properties.Weight != 10 {
		t.Fatalf("GET endpoint: %+v, %v", g, err)
	}
	c, err := ec.CreateOrUpdate(ctx(t), rg, "web", armtrafficmanager.EndpointTypeAzureEndpoints, "east", armtrafficmanager.Endpoint{
		Properties: &armtrafficmanager.EndpointProperties{Weight: to.Ptr[int64](5), Target: to.Ptr("east2.example.test")}}, nil)
	if err != nil || *c.Properties.Target != "east2.example.test" || c.Properties.TargetResourceID != nil {
		t.Fatalf("PUT endpoint: %+v, %v", c.Properties, err)
	}
	if e, _ := s.Endpoint(sub, rg, "web", "east"); e.Weight != 5 {
		t.Errorf("stored %+v", e)
	}
	_, err = ec.Update(ctx(t), rg, "web", armtrafficmanager.EndpointTypeAzureEndpoints, "east", armtrafficmanager.Endpoint{
		Properties: &armtrafficmanager.EndpointProperties{Weight: to.Ptr[int64](0)}}, nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 400 || re.ErrorCode != "BadRequest" {
		t.Errorf("weight 0: %v", err)
	}
}

// TestARMErrors: not found, a bad token and faults answer ARM's error
// shape, which the SDK turns into a ResponseError with the code.
func TestARMErrors(t *testing.T) {
	s, f := setup(t)
	_, err := f.NewProfilesClient().Get(ctx(t), rg, "none", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 || re.ErrorCode != "ResourceNotFound" {
		t.Errorf("missing profile: %v", err)
	}
	s.Fail(2, 429, "0")
	if _, err := f.NewProfilesClient().Get(ctx(t), rg, "web", nil); err != nil {
		t.Errorf("the SDK did not retry 429: %v", err)
	}
	if n := s.Calls("GET profile"); n != 4 {
		t.Errorf("GET profile served %d times, want 4", n)
	}
	for _, c := range []struct{ auth, query string }{{"", "api-version=" + azsim.APIVersion}, {"Bearer tok", ""}} {
		req, _ := http.NewRequest("GET", s.URL+"/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Network/trafficmanagerprofiles/web?"+c.query, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(b, &e) != nil || e.Error.Code == "" || e.Error.Message == "" || resp.StatusCode < 400 {
			t.Errorf("%+v: %d %s", c, resp.StatusCode, b)
		}
	}
}

// TestRoundTrip: every field of the emulator's profile is one the SDK's
// model knows: decoding it into armtrafficmanager.Profile and encoding it
// again gives the same document.
func TestRoundTrip(t *testing.T) {
	s, _ := setup(t)
	raw, ok := s.ProfileJSON(sub, rg, "web")
	if !ok {
		t.Fatal("no profile")
	}
	var p armtrafficmanager.Profile
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	json.Unmarshal(raw, &a)
	json.Unmarshal(again, &b)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("the SDK's model does not round-trip the emulator's profile (-emulator +sdk):\n%s", diff)
	}
}
