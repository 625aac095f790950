package app

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/api/option"
	storage "google.golang.org/api/storage/v1"

	gcssim "github.com/fbctl/fbctl/internal/sim/gcs"
	"github.com/fbctl/fbctl/internal/state/gcsstore"
)

// State in GCS (the emulator), shared by two hosts (see
// stateSharedByTwoHosts).
func TestGCSStateSharedByTwoHosts(t *testing.T) {
	srv := gcssim.New(gcssim.Options{Buckets: []string{"fbctl-state"}})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e := newE2E(t, `bake = "1m"
    primary_healthy_for = "1m"`)
	svc, err := storage.NewService(context.Background(), option.WithEndpoint(srv.Endpoint()), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	third, err := gcsstore.New(gcsstore.Options{Service: svc, Bucket: "fbctl-state", Prefix: "prod", Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	stateSharedByTwoHosts(t, e, sharedBucket{
		stateBlock: fmt.Sprintf(`state "gcs" {
  bucket       = "fbctl-state"
  prefix       = "prod"
  endpoint_url = %q
}`, url),
		third: third,
		keys:  func() []string { return srv.Names("fbctl-state") },
		calls: srv.Calls,
	})
}
