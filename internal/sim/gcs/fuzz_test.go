package gcssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzServeHTTP feeds arbitrary requests (method, raw path and query,
// content type, body) to the handler: it must not panic, must answer a
// known status with a JSON API error body on errors, and a refused
// request must change nothing.
func FuzzServeHTTP(f *testing.F) {
	mp := "--B\r\nContent-Type: application/json\r\n\r\n{\"name\":\"k\"}\r\n--B\r\nContent-Type: text/plain\r\n\r\nv\r\n--B--\r\n"
	f.Add("POST", "/upload/storage/v1/b/b/o?uploadType=multipart&ifGenerationMatch=0", "multipart/related; boundary=B", []byte(mp))
	f.Add("POST", "/upload/storage/v1/b/b/o?uploadType=media&name=a%2Fb&ifGenerationMatch=1", "text/plain", []byte("v"))
	f.Add("GET", "/storage/v1/b/b/o/k?alt=media&ifGenerationNotMatch=0", "", []byte(nil))
	f.Add("DELETE", "/storage/v1/b/b/o/k?ifGenerationMatch=5", "", []byte(nil))
	f.Add("GET", "/storage/v1/b/b/o?prefix=k&delimiter=/&maxResults=1&pageToken=b2s", "", []byte(nil))
	f.Add("GET", "/download/storage/v1/b/b/o/%zz", "", []byte(nil))
	f.Add("GET", "/storage/v1/b/b", "", []byte(nil))
	f.Fuzz(func(t *testing.T, method, target, contentType string, body []byte) {
		srv := New(Options{Buckets: []string{"b"}, MaxObjectSize: 1 << 10})
		srv.PutRaw("b", "k", []byte("stored"))
		req, err := http.NewRequest(method, "http://gcs.test/"+target, bytes.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		before := fmt.Sprint(srv.snapshot())
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 204, 304, 400, 404, 412, 413, 501:
		default:
			t.Fatalf("%s %s: status %d", method, target, rec.Code)
		}
		if rec.Code >= 300 {
			if rec.Code != 304 && method != http.MethodHead {
				var e errorBody
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != rec.Code || len(e.Error.Errors) == 0 {
					t.Fatalf("%s %s: error body %q: %v", method, target, rec.Body, err)
				}
			}
			if after := fmt.Sprint(srv.snapshot()); after != before {
				t.Fatalf("%s %s: refused with %d but changed the store", method, target, rec.Code)
			}
		}
	})
}

// snapshot is the store's content, for comparisons in tests.
func (s *Server) snapshot() map[string]map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]int64{}
	for b, objs := range s.buckets {
		out[b] = map[string]int64{}
		for k, o := range objs {
			out[b][k] = o.generation
		}
	}
	return out
}
