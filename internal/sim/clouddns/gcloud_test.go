package clouddns

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dns "google.golang.org/api/dns/v1"

	"github.com/fbctl/fbctl/internal/testenv"
)

func seeded(t *testing.T) (*Server, string) {
	t.Helper()
	s := New("proj")
	u, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddZone("zone-a", "example.test.")
	s.Put("zone-a", &dns.ResourceRecordSet{Name: "www.example.test.", Type: "A", Ttl: 60, RoutingPolicy: &dns.RRSetRoutingPolicy{
		Wrr: &dns.RRSetRoutingPolicyWrrPolicy{Items: []*dns.RRSetRoutingPolicyWrrPolicyWrrPolicyItem{
			{Weight: 90, Rrdatas: []string{"192.0.2.1"}}, {Weight: 10, Rrdatas: []string{"198.51.100.1"}}}}}})
	s.Put("zone-a", &dns.ResourceRecordSet{Name: "api.example.test.", Type: "A", Ttl: 300, Rrdatas: []string{"192.0.2.9"}})
	return s, u
}

// TestGcloudRecordSets: gcloud (an independent client: Python and
// apitools) lists, describes and updates a WRR record set in the emulator;
// every command exits 0 and the emulator's state changes as the command
// says. Skipped under -short: each gcloud call takes seconds.
func TestGcloudRecordSets(t *testing.T) {
	if testing.Short() {
		t.Skip("gcloud calls take seconds each")
	}
	s, u := seeded(t)
	bin := testenv.Gcloud(t)
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("dummy-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := s.GcloudEnv(u, filepath.Join(dir, "config"), token)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		t.Logf("gcloud %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
		if err != nil {
			t.Fatalf("gcloud %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out)
	}
	if got := strings.Fields(run("dns", "record-sets", "list", "--zone", "zone-a", "--format=value(name,type)")); strings.Join(got, " ") != "api.example.test. A www.example.test. A" {
		t.Fatalf("list: %q", got)
	}
	if got := strings.TrimSpace(run("dns", "record-sets", "describe", "www.example.test.", "--type", "A", "--zone", "zone-a",
		"--format=value(routingPolicy.wrr.items[0].weight,routingPolicy.wrr.items[1].rrdatas[0])")); got != "90.0\t198.51.100.1" {
		t.Fatalf("describe: %q", got)
	}
	before := s.Get("zone-a", "api.example.test.", "A")
	run("dns", "record-sets", "update", "www.example.test.", "--type", "A", "--zone", "zone-a", "--ttl", "60",
		"--routing-policy-type=WRR", "--routing-policy-data=25=192.0.2.1;75=198.51.100.1")
	got := s.Get("zone-a", "www.example.test.", "A")
	if got == nil || got.RoutingPolicy == nil || got.RoutingPolicy.Wrr == nil || len(got.RoutingPolicy.Wrr.Items) != 2 ||
		got.RoutingPolicy.Wrr.Items[0].Weight != 25 || got.RoutingPolicy.Wrr.Items[1].Weight != 75 ||
		got.RoutingPolicy.Wrr.Items[1].Rrdatas[0] != "198.51.100.1" {
		t.Fatalf("after update: %+v", got)
	}
	if after := s.Get("zone-a", "api.example.test.", "A"); after.Ttl != before.Ttl || after.Rrdatas[0] != before.Rrdatas[0] {
		t.Fatalf("another record set changed: %+v", after)
	}
	t.Logf("calls: %v", s.Calls())
}
