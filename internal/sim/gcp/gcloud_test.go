package gcpsim

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/fbctl/fbctl/internal/testenv"
)

// gcloud runs gcloud commands against one emulator.
type gcloud struct {
	t   *testing.T
	bin string
	env []string
}

func newGcloud(t *testing.T, s *Server, url string) *gcloud {
	t.Helper()
	bin := testenv.Gcloud(t)
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("dummy-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &gcloud{t: t, bin: bin, env: s.GcloudEnv(url, filepath.Join(dir, "config"), token)}
}

// run runs gcloud with args and fails unless it exits 0; it returns the
// standard output.
func (g *gcloud) run(args ...string) string {
	g.t.Helper()
	cmd := exec.Command(g.bin, args...)
	cmd.Env = g.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	g.t.Logf("gcloud %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if err != nil {
		g.t.Fatalf("gcloud %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// TestGcloudCompute: gcloud (528, Python and apitools, an independent
// client) lists, describes, exports and imports URL maps, adds a host rule
// (GET + PUT), lists and describes backend services and updates a backend
// (GET + PUT); every command exits 0 and the emulator's state changes as
// the command says. Operations answer RUNNING (PendingPolls) so that gcloud
// waits on each through operations.wait. Findings:
//   - url-maps list and backend-services list use aggregatedList;
//   - import sends GET, then a PATCH of the whole map with the GET's
//     fingerprint, explicit nulls (nested too) for every field the file
//     lacks and [] for empty lists, then POST …/operations/NAME/wait;
//   - import refuses a file carrying output-only fields such as id (its
//     schema wants an integer where the API writes a string): edit what
//     url-maps export writes, as the documentation says;
//   - add-host-rule and update-backend send PUT (update) with the GET's
//     fingerprint and wait only when the operation is not DONE.
//
// Each gcloud call takes one to two seconds; the test skips under -short.
func TestGcloudCompute(t *testing.T) {
	if testing.Short() {
		t.Skip("gcloud calls take seconds each")
	}
	s, d, _ := start(t, Options{Seed: 1, PendingPolls: 3})
	seedRegional(t, s, "us-central1")
	g := newGcloud(t, s, s.srv.URL())
	lines := func(out string) []string { return strings.Fields(out) }

	if got := lines(g.run("compute", "url-maps", "list", "--format=value(name,region.basename())")); !slices.Equal(got, []string{"checkout-lb", "r-lb", "us-central1"}) {
		t.Fatalf("url-maps list: %q", got)
	}
	var described struct{ Fingerprint, Description string }
	if err := json.Unmarshal([]byte(g.run("compute", "url-maps", "describe", d.URLMap, "--global", "--format=json")), &described); err != nil {
		t.Fatal(err)
	}
	before, _ := s.URLMap("", d.URLMap)
	if described.Fingerprint != before.GetFingerprint() || described.Description != before.GetDescription() {
		t.Fatalf("describe: %+v, stored %v", described, before)
	}

	// A person edits the exported map: other weights, no description.
	y := g.run("compute", "url-maps", "export", d.URLMap, "--global")
	edited := strings.NewReplacer("weight: 0\n", "weight: 250\n", "weight: 1000\n", "weight: 750\n").Replace(y)
	edited = regexp.MustCompile(`(?m)^description: .*\n`).ReplaceAllString(edited, "")
	if edited == y || strings.Contains(edited, "description") {
		t.Fatalf("export has another form:\n%s", y)
	}
	f := filepath.Join(t.TempDir(), "um.yaml")
	if err := os.WriteFile(f, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	g.run("compute", "url-maps", "import", d.URLMap, "--global", "--source", f)
	after, _ := s.URLMap("", d.URLMap)
	if w := weightsOf(after); !slices.Equal(w, []uint32{250, 750}) || after.Description != nil || after.GetFingerprint() == before.GetFingerprint() {
		t.Fatalf("after import: weights %v, %v", w, after)
	}

	g.run("compute", "url-maps", "add-host-rule", d.URLMap, "--global", "--hosts=api.example.com", "--path-matcher-name=static")
	after, _ = s.URLMap("", d.URLMap)
	if hr := after.GetHostRules(); len(hr) != 2 || !slices.Equal(hr[1].GetHosts(), []string{"api.example.com"}) || hr[1].GetPathMatcher() != "static" ||
		!slices.Equal(weightsOf(after), []uint32{250, 750}) {
		t.Fatalf("after add-host-rule: %v", after)
	}

	if got := lines(g.run("compute", "backend-services", "list", "--format=value(name)")); !slices.Equal(got, []string{"checkout-aws", "checkout-gcp", "checkout-pool", "static-assets", "r-aws", "r-gcp"}) {
		t.Fatalf("backend-services list: %q", got)
	}
	var pool struct {
		Backends []struct {
			Group          string
			CapacityScaler float64
		}
	}
	if err := json.Unmarshal([]byte(g.run("compute", "backend-services", "describe", d.CapacityService, "--global", "--format=json")), &pool); err != nil {
		t.Fatal(err)
	}
	if len(pool.Backends) != 2 || pool.Backends[0].Group != d.PrimaryGroup || pool.Backends[0].CapacityScaler != 0 || pool.Backends[1].CapacityScaler != 1 {
		t.Fatalf("backend-services describe: %+v", pool)
	}
	g.run("compute", "backend-services", "update-backend", d.CapacityService, "--global",
		"--instance-group=ig-aws-proxy", "--instance-group-zone=us-east1-b", "--capacity-scaler=0.5")
	bs, _ := s.BackendService("", d.CapacityService)
	if b := bs.GetBackends(); len(b) != 2 || b[0].GetCapacityScaler() != 0.5 || b[1].GetCapacityScaler() != 1 || b[0].GetMaxUtilization() != 0.8 {
		t.Fatalf("after update-backend: %v", bs)
	}

	want := map[string]int{
		"urlMaps.aggregatedList": 1, "backendServices.aggregatedList": 1,
		"urlMaps.patch": 1, "urlMaps.update": 1, "backendServices.update": 1,
		"globalOperations.wait": 3,
	}
	calls := s.Calls()
	for op, n := range want {
		if calls[op] != n {
			t.Errorf("%s: %d calls, want %d (all: %v)", op, calls[op], n, calls)
		}
	}
}

func weightsOf(m *computepb.UrlMap) []uint32 {
	var w []uint32
	for _, b := range m.GetDefaultRouteAction().GetWeightedBackendServices() {
		w = append(w, b.GetWeight())
	}
	return w
}
