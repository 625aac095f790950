package gcpsim

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

func TestGetAndPatchRoundTrip(t *testing.T) {
	s, d, c := start(t, Options{})
	ctx := context.Background()
	m := getURLMap(t, c, s.Project(), d.URLMap)
	if m.GetKind() != "compute#urlMap" || m.GetSelfLink() != s.URLMapURL("", d.URLMap) || m.GetId() == 0 || m.GetFingerprint() == "" || m.GetCreationTimestamp() == "" {
		t.Fatalf("server fields: %v", m)
	}
	stored, _ := s.URLMap("", d.URLMap)
	if diff := cmp.Diff(stored, m, protocmp.Transform()); diff != "" {
		t.Fatalf("GET differs from the store:\n%s", diff)
	}
	op, err := patchURLMap(ctx, c, s.Project(), d.URLMap, setWeights(m, 250, 750))
	if err != nil {
		t.Fatal(err)
	}
	if op.Proto().GetKind() != "compute#operation" || op.Proto().GetOperationType() != "patch" || op.Proto().GetTargetLink() != m.GetSelfLink() {
		t.Fatalf("operation: %v", op.Proto())
	}
	if err := op.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if !op.Done() {
		t.Fatal("not done after Wait")
	}
	after := getURLMap(t, c, s.Project(), d.URLMap)
	if after.GetFingerprint() == m.GetFingerprint() {
		t.Fatal("fingerprint did not move")
	}
	w := after.GetDefaultRouteAction().GetWeightedBackendServices()
	if w[0].GetWeight() != 250 || w[1].GetWeight() != 750 || w[0].GetBackendService() != d.PrimaryService {
		t.Fatalf("weights: %v", w)
	}
	// Everything else is preserved.
	want := setWeights(m, 250, 750)
	want.Fingerprint = after.Fingerprint
	if diff := cmp.Diff(want, after, protocmp.Transform()); diff != "" {
		t.Fatalf("PATCH changed more than the weights:\n%s", diff)
	}

	bs := getBS(t, c, s.Project(), d.CapacityService)
	bs.Backends[0].CapacityScaler = proto.Float32(0.5)
	op, err = patchBS(ctx, c, s.Project(), d.CapacityService, bs)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := s.BackendService("", d.CapacityService)
	if got.GetBackends()[0].GetCapacityScaler() != 0.5 || got.GetBackends()[0].GetGroup() != d.PrimaryGroup {
		t.Fatalf("backends: %v", got.GetBackends())
	}
	if n := s.Calls()["urlMaps.patch"]; n != 1 {
		t.Fatalf("calls: %v", s.Calls())
	}
}
