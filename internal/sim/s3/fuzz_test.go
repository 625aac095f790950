package s3sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzServeHTTP feeds arbitrary requests (method, path, query, condition
// headers, encoding, body) to the handler: it must not panic, must answer
// a known status with well-formed XML on errors, and a refused write must
// change nothing.
func FuzzServeHTTP(f *testing.F) {
	f.Add("PUT", "/b/k", "", "*", "", false, []byte("v"))
	f.Add("PUT", "/b/k", "", "", `"abc"`, false, []byte("v"))
	f.Add("PUT", "/b/k", "", "", "", true, []byte("1\r\nv\r\n0\r\n\r\n"))
	f.Add("DELETE", "/b/k", "", "", `"abc"`, false, []byte(nil))
	f.Add("GET", "/b", "list-type=2&prefix=k&max-keys=1&continuation-token=aw", "", "", false, []byte(nil))
	f.Add("GET", "/b/k", "", "x", "y", false, []byte(nil))
	f.Add("HEAD", "/b/k/", "", "", "", false, []byte(nil))
	f.Fuzz(func(t *testing.T, method, path, query, ifNoneMatch, ifMatch string, chunked bool, body []byte) {
		srv := New(Options{Buckets: []string{"b"}, MaxObjectSize: 1 << 10})
		srv.PutRaw("b", "k", []byte("stored"))
		u := &url.URL{Path: path, RawQuery: query}
		if path == "" || path[0] != '/' {
			u.Path = "/" + path
		}
		req, err := http.NewRequest(method, "http://s3.test"+u.String(), bytes.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/...")
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		if chunked {
			req.Header.Set("Content-Encoding", "aws-chunked")
		}
		before := fmt.Sprint(srv.snapshot())
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 204, 304, 400, 403, 404, 409, 412, 501:
		default:
			t.Fatalf("%s %s: status %d", method, u, rec.Code)
		}
		if rec.Code >= 400 {
			if method != http.MethodHead && rec.Body.Len() > 0 {
				var e errorBody
				if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == "" {
					t.Fatalf("%s %s: error body %q: %v", method, u, rec.Body, err)
				}
			}
			if after := fmt.Sprint(srv.snapshot()); after != before {
				t.Fatalf("%s %s: refused with %d but changed the store", method, u, rec.Code)
			}
		}
	})
}

// snapshot is the store's content, for comparisons in tests.
func (s *Server) snapshot() map[string]map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]string{}
	for b, objs := range s.buckets {
		out[b] = map[string]string{}
		for k, o := range objs {
			out[b][k] = o.etag
		}
	}
	return out
}
