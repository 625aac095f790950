package gcp

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
)

// gcloud, an independent client, reads what cloud_dns_wrr wrote; a person
// then rewrites the WRR policy with gcloud between fbctl's read and its
// change: Cloud DNS refuses fbctl's change (412), fbctl reads again and
// redoes it, and the person's change to the item fbctl does not own
// survives. Skipped under -short: gcloud calls take seconds each.
func TestCloudDNSWithGcloud(t *testing.T) {
	if testing.Short() {
		t.Skip("gcloud calls take seconds each")
	}
	bin := testenv.Gcloud(t)
	s, u := newDNSWorld(t)
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("dummy-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := s.GcloudEnv(u, filepath.Join(dir, "config"), token)
	gcloud := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gcloud %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	// One item a side, so that gcloud's --routing-policy-data can say it.
	tg := mustWRR(t, u, dnsAttrs("zone-b", "www", "A", []string{"192.0.2.1"}, []string{"192.0.2.2"}))
	if got, err := tg.Apply(providers.WithRunCache(context.Background()), 2500); err != nil || got != 2500 {
		t.Fatalf("Apply = %v, %v", got, err)
	}
	if got := gcloud("dns", "record-sets", "describe", "www.other.test.", "--type=A", "--zone=zone-b",
		"--format=value(routingPolicy.wrr.items[0].weight,routingPolicy.wrr.items[1].weight)"); got != "250.0\t750.0" {
		t.Fatalf("gcloud describe = %q", got)
	}

	ctx := providers.WithRunCache(context.Background())
	if got, err := tg.Observe(ctx); err != nil || got != 2500 {
		t.Fatalf("Observe = %v, %v", got, err)
	}
	gcloud("dns", "record-sets", "update", "www.other.test.", "--type=A", "--zone=zone-b", "--ttl=60",
		"--routing-policy-type=WRR", "--routing-policy-data=250=192.0.2.1;750=192.0.2.2;40=203.0.113.40")
	s.ResetCalls()
	if got, err := tg.Apply(ctx, 10000); err != nil || got != 10000 {
		t.Fatalf("Apply after gcloud = %v, %v", got, err)
	}
	if c := s.Calls(); c["changes.create"] != 2 {
		t.Fatalf("calls = %v, want 2 changes.create (the first refused with 412)", c)
	}
	if got := gcloud("dns", "record-sets", "describe", "www.other.test.", "--type=A", "--zone=zone-b",
		"--format=value(routingPolicy.wrr.items[0].weight,routingPolicy.wrr.items[1].weight,routingPolicy.wrr.items[2].weight,routingPolicy.wrr.items[2].rrdatas[0])"); got != "1000.0\t0.0\t40.0\t203.0.113.40" {
		t.Fatalf("gcloud describe after = %q", got)
	}
}
