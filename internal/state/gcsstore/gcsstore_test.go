package gcsstore_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"

	gcssim "github.com/fbctl/fbctl/internal/sim/gcs"
	"github.com/fbctl/fbctl/internal/state/gcsstore"
	"github.com/fbctl/fbctl/internal/state/storetest"
)

// emulator serves a GCS emulator with the bucket "state".
func emulator(t *testing.T) *gcssim.Server {
	t.Helper()
	srv := gcssim.New(gcssim.Options{Buckets: []string{"state"}})
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// client talks to the emulator without credentials: nothing from the
// environment, no real endpoint.
func client(t *testing.T, srv *gcssim.Server) *storage.Service {
	t.Helper()
	svc, err := storage.NewService(context.Background(), option.WithEndpoint(srv.Endpoint()), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func noBackoff(int) time.Duration { return 0 }

// The GCS store passes the conformance suite on the atomic emulator,
// races included.
func TestConformanceOnEmulator(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env storetest.Env) storetest.Subject {
		srv := emulator(t)
		st, err := gcsstore.New(gcsstore.Options{Service: client(t, srv), Bucket: "state", Prefix: "team/fbctl",
			Now: env.Now, Ticker: env.Ticker, Backoff: noBackoff})
		if err != nil {
			t.Fatal(err)
		}
		return storetest.Subject{Store: st, Corrupt: func(t *testing.T, fb, kind string, data []byte) string {
			key := map[string]string{"document": "team/fbctl/" + fb + "/state.json", "lock": "team/fbctl/" + fb + "/lock.json",
				"history": "team/fbctl/" + fb + "/history/00000000000000000001.json"}[kind]
			srv.PutRaw("state", key, data)
			return "gs://state/" + key
		}}
	})
}
