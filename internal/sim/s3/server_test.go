package s3sim

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

func start(t *testing.T, opts Options) (*Server, *s3.Client) {
	t.Helper()
	srv := New(opts)
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer:     aws.NopRetryer{}})
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Conditional writes exclude each other: of 32 racing create-only puts of
// one key, and of 32 racing puts on one ETag, exactly one wins each time.
// (moto lets two through in about 1 round in 200.)
func TestConditionalWritesAreAtomic(t *testing.T) {
	_, c := start(t, Options{Buckets: []string{"b"}})
	ctx := t.Context()
	for round := range 20 {
		key := aws.String("k" + strings.Repeat("x", round))
		// Every body differs from every other (and from the first race's):
		// a put of the stored content would leave the ETag as it was.
		racePuts := func(ifMatch *string) int {
			phase := byte(0)
			if ifMatch != nil {
				phase = 1
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins := 0
			for i := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					in := &s3.PutObjectInput{Bucket: aws.String("b"), Key: key, Body: bytes.NewReader([]byte{byte(i), byte(round), phase}), IfMatch: ifMatch}
					if ifMatch == nil {
						in.IfNoneMatch = aws.String("*")
					}
					_, err := c.PutObject(ctx, in)
					if err != nil && code(err) != "PreconditionFailed" {
						t.Errorf("put: %v", err)
					}
					mu.Lock()
					defer mu.Unlock()
					if err == nil {
						wins++
					}
				}()
			}
			wg.Wait()
			return wins
		}
		if n := racePuts(nil); n != 1 {
			t.Fatalf("round %d: %d create-only puts won", round, n)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: key})
		if err != nil {
			t.Fatal(err)
		}
		if n := racePuts(head.ETag); n != 1 {
			t.Fatalf("round %d: %d puts on one ETag won", round, n)
		}
	}
}

// Latency delays every answer; Calls counts every request per operation.
func TestLatencyAndCalls(t *testing.T) {
	srv, c := start(t, Options{Buckets: []string{"b"}, Latency: 30 * time.Millisecond})
	ctx := t.Context()
	began := time.Now()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("none")}); code(err) != "NoSuchKey" {
		t.Fatalf("get of a missing key = %v", err)
	}
	if d := time.Since(began); d < 60*time.Millisecond {
		t.Fatalf("two requests took %s, want at least 2 x 30ms", d)
	}
	want := map[string]int{OpPutObject: 1, OpGetObject: 1}
	if got := srv.Calls(); len(got) != 2 || got[OpPutObject] != 1 || got[OpGetObject] != 1 {
		t.Fatalf("Calls = %v, want %v", got, want)
	}
	srv.ResetCalls()
	if len(srv.Calls()) != 0 {
		t.Fatal("ResetCalls left counts")
	}
}

// Unsigned requests are refused; bodies beyond MaxObjectSize are refused;
// aws-chunked bodies are decoded.
func TestRequestChecks(t *testing.T) {
	srv, c := start(t, Options{Buckets: []string{"b"}, MaxObjectSize: 8})
	resp, err := http.Post(srv.URL()+"/b/k", "text/plain", strings.NewReader("x")) // POST is not routed
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPut, srv.URL()+"/b/k", strings.NewReader("x"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(srv.Keys("b")) != 0 {
		t.Fatalf("unsigned PUT = %d, keys %v", resp.StatusCode, srv.Keys("b"))
	}
	_, err = c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("123456789")})
	if code(err) != "EntityTooLarge" {
		t.Fatalf("put of 9 bytes with a limit of 8 = %v", err)
	}
	got, err := decodeAWSChunked([]byte("3;chunk-signature=ab\r\nabc\r\n2\r\nde\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n"))
	if err != nil || string(got) != "abcde" {
		t.Fatalf("decodeAWSChunked = %q, %v", got, err)
	}
	for _, bad := range []string{"3\r\nab", "zz\r\n", "3\r\nabcXY0\r\n", "ffffffff\r\nab"} {
		if _, err := decodeAWSChunked([]byte(bad)); err == nil {
			t.Errorf("decodeAWSChunked(%q) succeeded", bad)
		}
	}
}
