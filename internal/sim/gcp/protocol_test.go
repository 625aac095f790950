package gcpsim

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestProtocolErrors: what the clients cannot send, sent by hand.
func TestProtocolErrors(t *testing.T) {
	s := New(Options{})
	d, err := SeedDemo(s)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.URLMap("", d.URLMap)
	p := "/compute/v1/projects/demo-project/"
	for _, tc := range []struct {
		method, path, body string
		code               int
		reason, msg        string
	}{
		{"DELETE", p + "global/urlMaps/checkout-lb", "", 405, "methodNotAllowed", "DELETE"},
		{"PATCH", p + "global/operations/operation-1", "{}", 405, "methodNotAllowed", ""},
		{"GET", p + "global/backendServices/checkout-pool/getHealth", "", 405, "methodNotAllowed", ""},
		{"POST", p + "global/urlMaps", "{}", 405, "methodNotAllowed", ""}, // insert is not emulated
		{"GET", p + "global/operations", "", 404, "notFound", ""},
		{"GET", p + "aggregated/operations", "", 404, "notFound", ""},
		{"GET", p + "aggregated/forwardingRules", "", 404, "notFound", ""},
		{"POST", p + "aggregated/urlMaps", "", 405, "methodNotAllowed", ""},
		{"GET", p + "global/operations/operation-1/wait", "", 405, "methodNotAllowed", ""},
		{"POST", p + "global/operations/operation-9/wait", "", 404, "notFound", "operation-9"},
		{"GET", p + "global/operations/12345", "", 404, "notFound", "12345"},
		{"PUT", p + "global/operations/operation-1", "{}", 405, "methodNotAllowed", ""},
		{"GET", p + "global/urlMaps?maxResults=501", "", 400, "invalid", "maxResults"},
		{"GET", p + "global/urlMaps?pageToken=bm9wZQ", "", 400, "invalid", "pageToken"},
		{"GET", p + "global/urlMaps?pageToken=" + listToken(t, s, "global/backendServices"), "", 400, "invalid", "pageToken"},
		{"PUT", p + "global/urlMaps/checkout-lb", `{"name":"checkout-lb"}`, 412, "conditionNotMet", "fingerprint"},
		{"PUT", p + "global/urlMaps/checkout-lb", `{"fingerprint":"` + m.GetFingerprint() + `","name":"other"}`, 400, "invalid", "name"},
		{"PUT", p + "global/urlMaps/nope", `{}`, 404, "notFound", "nope"},
		{"GET", p + "global/forwardingRules/x", "", 404, "notFound", ""},
		{"GET", "/compute/v1/projects/other/global/urlMaps/checkout-lb", "", 404, "notFound", "projects/other"},
		{"GET", "/healthz", "", 404, "notFound", ""},
		{"PATCH", p + "global/urlMaps/checkout-lb", `{"fingerprint":"` + m.GetFingerprint() + `","nope":1}`, 400, "invalid", "nope"},
		{"PATCH", p + "global/urlMaps/checkout-lb", `[]`, 400, "invalid", "JSON object"},
		{"PATCH", p + "global/urlMaps/checkout-lb", `{"fingerprint":"` + m.GetFingerprint() + `","defaultRouteAction":{"weightedBackendServices":[{"backendService":"global/backendServices/checkout-gcp","weight":-1}]}}`, 400, "invalid", "weight"},
		{"POST", p + "global/backendServices/checkout-pool/getHealth", `{"group":1}`, 400, "invalid", ""},
	} {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var je jsonError
		if err := json.Unmarshal(rec.Body.Bytes(), &je); err != nil || rec.Code != tc.code || je.Error.Code != tc.code ||
			len(je.Error.Errors) != 1 || je.Error.Errors[0].Reason != tc.reason || !strings.Contains(je.Error.Message, tc.msg) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("content type %q", ct)
		}
	}
	if got, _ := s.URLMap("", d.URLMap); got.GetFingerprint() != m.GetFingerprint() {
		t.Fatal("refused requests changed the URL map")
	}
	// Calls counts requests that name an operation, refused ones included.
	if c := s.Calls(); c["urlMaps.patch"] != 3 || c["backendServices.getHealth"] != 1 || c["urlMaps.get"] != 1 ||
		c["urlMaps.update"] != 3 || c["urlMaps.list"] != 3 || c["globalOperations.wait"] != 1 || c["urlMaps.aggregatedList"] != 0 {
		t.Fatalf("calls: %v", c)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 {
		t.Fatal("ResetCalls")
	}
}

func TestSeedDemo(t *testing.T) {
	s := New(Options{Project: "acme-prod"})
	d, err := SeedDemo(s)
	if err != nil {
		t.Fatal(err)
	}
	if s.Project() != "acme-prod" || !strings.HasPrefix(d.PrimaryService, linkPrefix+"acme-prod/global/backendServices/") {
		t.Fatalf("demo: %+v", d)
	}
	pool, err := s.BackendService("", d.CapacityService)
	if err != nil || len(pool.GetBackends()) != 2 || pool.GetBackends()[0].GetGroup() != d.PrimaryGroup ||
		pool.GetBackends()[0].GetCapacityScaler() != 0 || pool.GetBackends()[1].GetCapacityScaler() != 1 {
		t.Fatalf("pool: %v %v", pool, err)
	}
	um, err := s.URLMap("", d.URLMap)
	if err != nil || len(um.GetPathMatchers()) != 1 || um.GetPathMatchers()[0].GetName() != "static" {
		t.Fatalf("url map: %v %v", um, err)
	}
	if _, err := SeedDemo(s); err != nil { // seeding twice replaces
		t.Fatal(err)
	}
}

// listToken returns the next page token of a one-item page of a list path.
func listToken(t *testing.T, s *Server, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/compute/v1/projects/"+s.Project()+"/"+path+"?maxResults=1", nil))
	var l struct{ NextPageToken string }
	if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil || rec.Code != 200 || l.NextPageToken == "" {
		t.Fatalf("list %s: %d %s", path, rec.Code, rec.Body)
	}
	return l.NextPageToken
}
