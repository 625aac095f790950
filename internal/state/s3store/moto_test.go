package s3store_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/fbctl/fbctl/internal/state/s3store"
	"github.com/fbctl/fbctl/internal/state/storetest"
	"github.com/fbctl/fbctl/internal/testenv"
)

// The S3 store on moto, an independent emulator: what moto honours one
// request at a time (If-None-Match and If-Match with 412, ETags,
// listings). Its conditional writes are not atomic under races, so the
// race cases run on sim/s3 only.
func TestConformanceOnMoto(t *testing.T) {
	m := testenv.StartMoto(t)
	c := client(m.URL)
	var n atomic.Int64
	storetest.RunSequential(t, func(t *testing.T, env storetest.Env) storetest.Subject {
		// One server, a bucket per case: moto takes seconds to start.
		bucket := fmt.Sprintf("state-%d", n.Add(1))
		if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatal(err)
		}
		st, err := s3store.New(s3store.Options{Client: c, Bucket: bucket, Prefix: "fbctl", Now: env.Now, Ticker: env.Ticker})
		if err != nil {
			t.Fatal(err)
		}
		return storetest.Subject{Store: st, Corrupt: func(t *testing.T, fb, kind string, data []byte) string {
			key := map[string]string{"document": "fbctl/" + fb + "/state.json", "lock": "fbctl/" + fb + "/lock.json",
				"history": "fbctl/" + fb + "/history/00000000000000000001.json"}[kind]
			if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytesReader(data)}); err != nil {
				t.Fatal(err)
			}
			return "s3://" + bucket + "/" + key
		}}
	})
}
