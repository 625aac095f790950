package azure

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServeHTTP: any request gets JSON (a resource or ARM's error shape),
// the handler never panics, and a Weighted profile never stores a weight
// outside 1-1000 or a status other than Enabled/Disabled.
func FuzzServeHTTP(f *testing.F) {
	p := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficmanagerprofiles/web"
	f.Add("GET", p, "")
	f.Add("GET", p+"/azureEndpoints/east", "")
	f.Add("PATCH", p+"/AzureEndpoints/east", `{"properties":{"weight":7,"endpointStatus":"Disabled"}}`)
	f.Add("PATCH", p+"/externalEndpoints/west", `{"properties":{"weight":0}}`)
	f.Add("PUT", p+"/externalEndpoints/new", `{"properties":{"target":"x.example.test","customHeaders":[{"name":"h","value":"v"}]}}`)
	f.Add("PUT", p+"/nestedEndpoints/east", `{"properties":{"weight":1001}}`)
	f.Add("DELETE", p, "")
	f.Add("PATCH", p+"/azureEndpoints/east", `{"properties":{"endpointStatus":"Maybe"}}`)
	f.Add("GET", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficmanagerprofiles", "")
	f.Fuzz(func(t *testing.T, method, path, body string) {
		s := &Server{Token: "tok", profiles: map[string]*Profile{}, calls: map[string]int{}}
		s.AddProfile(Profile{Subscription: "s", ResourceGroup: "rg", Name: "web", RoutingMethod: "Weighted", Endpoints: []*Endpoint{
			{Name: "east", Type: "AzureEndpoints", Weight: 10}, {Name: "west", Type: "ExternalEndpoints", Weight: 20, Status: "Disabled"}}})
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, "https://emulator"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		q := req.URL.Query()
		q.Set("api-version", APIVersion)
		req.URL.RawQuery = q.Encode()
		req.Header.Set("Authorization", "Bearer tok")
		rec := httptest.NewRecorder()
		s.serve(rec, req)
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%s %s: %d, body not JSON: %q", method, path, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 {
			e, _ := doc["error"].(map[string]any)
			if e == nil || e["code"] == nil || e["message"] == nil {
				t.Fatalf("%s %s: %d without ARM's error shape: %q", method, path, rec.Code, rec.Body.String())
			}
		}
		for _, e := range s.profiles[key("s", "rg", "web")].Endpoints {
			if e.Weight < 1 || e.Weight > 1000 || (e.Status != "Enabled" && e.Status != "Disabled") {
				t.Fatalf("%s %s %s: stored %+v", method, path, body, e)
			}
		}
	})
}
