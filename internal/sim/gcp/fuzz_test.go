package gcpsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
)

// FuzzServeHTTP feeds arbitrary methods, paths and bodies to the handler:
// it must not panic, must answer JSON with a status the API uses, and a
// refused request must change nothing.
func FuzzServeHTTP(f *testing.F) {
	s := New(Options{})
	d, err := SeedDemo(s)
	if err != nil {
		f.Fatal(err)
	}
	state := func() string {
		var b strings.Builder
		for _, n := range []string{"checkout-aws", "checkout-gcp", "static-assets", "checkout-pool"} {
			bs, _ := s.BackendService("", n)
			j, _ := protojson.Marshal(bs)
			b.Write(j)
		}
		m, _ := s.URLMap("", d.URLMap)
		j, _ := protojson.Marshal(m)
		b.Write(j)
		return b.String()
	}
	m, _ := s.URLMap("", d.URLMap)
	bs, _ := s.BackendService("", d.CapacityService)
	p := "/compute/v1/projects/demo-project/"
	f.Add("GET", p+"global/urlMaps/checkout-lb", "")
	f.Add("PATCH", p+"global/urlMaps/checkout-lb", `{"fingerprint":"`+m.GetFingerprint()+`","defaultRouteAction":{"weightedBackendServices":[{"backendService":"global/backendServices/checkout-aws","weight":1},{"backendService":"global/backendServices/checkout-gcp","weight":0}]}}`)
	f.Add("PATCH", p+"global/backendServices/checkout-pool", `{"fingerprint":"`+bs.GetFingerprint()+`","backends":[{"group":"`+d.PrimaryGroup+`","capacityScaler":0.5},{"group":"`+d.SecondaryGroup+`"}]}`)
	f.Add("PATCH", p+"global/backendServices/checkout-pool", `{"fingerprint":"`+bs.GetFingerprint()+`","backends":null,"unknown":1}`)
	f.Add("POST", p+"global/backendServices/checkout-pool/getHealth", `{"group":"`+d.PrimaryGroup+`"}`)
	f.Add("GET", p+"global/operations/operation-1", "")
	f.Add("GET", p+"regions/us-east1/operations/operation-1", "")
	f.Add("DELETE", p+"global/urlMaps/checkout-lb", "")
	f.Add("PUT", p+"global/urlMaps/checkout-lb", `{"fingerprint":"`+m.GetFingerprint()+`","name":"checkout-lb","defaultService":"global/backendServices/checkout-gcp"}`)
	f.Add("GET", p+"global/backendServices?maxResults=2&pageToken=", "")
	f.Add("GET", p+"aggregated/urlMaps?maxResults=1", "")
	f.Add("POST", p+"global/operations/operation-1/wait", "")
	f.Add("PATCH", p+"global/urlMaps/checkout-lb?requestId=x", "[1,2]")
	f.Add("GET", "/compute/v1/projects//global/urlMaps/x", "")
	f.Add("GET", "/", "")
	f.Fuzz(func(t *testing.T, method, target, body string) {
		u, err := url.Parse(target)
		if err != nil {
			u = &url.URL{Path: target}
		}
		before := state()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Method = method
		req.URL = u
		req.Body = io.NopCloser(strings.NewReader(body))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 403, 404, 405, 412, 429, 500:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("not JSON: %q", rec.Body)
		}
		if rec.Code != 200 && before != state() {
			t.Fatalf("a refused request (%d) changed state: %s", rec.Code, rec.Body)
		}
	})
}
