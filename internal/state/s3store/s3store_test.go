package s3store_test

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	s3sim "github.com/fbctl/fbctl/internal/sim/s3"
	"github.com/fbctl/fbctl/internal/state/s3store"
	"github.com/fbctl/fbctl/internal/state/storetest"
)

// client talks to url with static dummy credentials and path-style
// addressing: nothing from the environment, no real endpoint.
func client(url string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
}

// The S3 store passes the conformance suite on the atomic emulator.
func TestConformanceOnEmulator(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env storetest.Env) storetest.Subject {
		srv := s3sim.New(s3sim.Options{Buckets: []string{"state"}})
		url, err := srv.Start()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		st, err := s3store.New(s3store.Options{Client: client(url), Bucket: "state", Prefix: "team/fbctl",
			Now: env.Now, Ticker: env.Ticker})
		if err != nil {
			t.Fatal(err)
		}
		return storetest.Subject{Store: st, Corrupt: func(t *testing.T, fb, kind string, data []byte) string {
			key := map[string]string{"document": "team/fbctl/" + fb + "/state.json", "lock": "team/fbctl/" + fb + "/lock.json",
				"history": "team/fbctl/" + fb + "/history/00000000000000000001.json"}[kind]
			srv.PutRaw("state", key, data)
			return "s3://state/" + key
		}}
	})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
