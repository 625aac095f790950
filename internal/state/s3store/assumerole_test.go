package s3store_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/state/s3store"
	"github.com/fbctl/fbctl/internal/testenv"
)

// assume_role: the store's S3 requests are signed with the credentials
// STS AssumeRole gives for the role (asked once, at the same endpoint),
// not with those of the default chain. On moto, which serves both.
func TestAssumeRole(t *testing.T) {
	m := testenv.StartMoto(t)
	empty := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDBASECHAIN", "AWS_SECRET_ACCESS_KEY": "base-secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	target, err := url.Parse(m.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var assumes int
	var s3Keys []string
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		auth := r.Header.Get("Authorization")
		key := ""
		if i := strings.Index(auth, "Credential="); i >= 0 {
			key, _, _ = strings.Cut(auth[i+len("Credential="):], "/")
		}
		mu.Lock()
		if bytes.Contains(body, []byte("Action=AssumeRole")) {
			assumes++
		} else {
			s3Keys = append(s3Keys, key)
		}
		mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)

	c, err := s3store.NewClient(t.Context(), s3store.Config{Bucket: "assumed", EndpointURL: proxy.URL,
		AssumeRole: "arn:aws:iam::123456789012:role/fbctl-state"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("assumed")}); err != nil {
		t.Fatal(err)
	}
	st, err := s3store.New(s3store.Options{Client: c, Bucket: "assumed", Prefix: "p"})
	if err != nil {
		t.Fatal(err)
	}
	doc := state.NewDocument("web", time.Now())
	if err := st.Save(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(t.Context(), "web"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if assumes != 1 {
		t.Fatalf("AssumeRole calls = %d, want 1 (the credentials are cached)", assumes)
	}
	if len(s3Keys) < 3 {
		t.Fatalf("S3 requests = %v", s3Keys)
	}
	for _, k := range s3Keys {
		if k == "" || k == "AKIDBASECHAIN" {
			t.Fatalf("an S3 request was signed with %q, not the role's credentials (all: %v)", k, s3Keys)
		}
	}
}
