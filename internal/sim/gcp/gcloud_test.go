package gcpsim

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gcloud runs gcloud commands against one emulator.
type gcloud struct {
	t   *testing.T
	bin string
	env []string
}

func newGcloud(t *testing.T, s *Server, url string) *gcloud {
	t.Helper()
	bin, err := exec.LookPath("gcloud")
	if err != nil {
		t.Fatal("gcloud is missing: install the Google Cloud SDK (Debian's google-cloud-cli) and run make test; a missing tool is a failure, not a skip")
	}
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

func TestGcloudCompute(t *testing.T) {
	if testing.Short() {
		t.Skip("gcloud calls take seconds each")
	}
	s, _, _ := start(t, Options{Seed: 1, PendingPolls: 3})
	g := newGcloud(t, s, s.srv.URL())
	y := g.run("compute", "url-maps", "export", "checkout-lb", "--global")
	t.Log(y)
	y = strings.Replace(y, "weight: 0", "weight: 250", 1)
	y = strings.Replace(y, "weight: 1000", "weight: 750", 1)
	y = strings.Replace(y, "description: 'checkout: AWS primary, GCP secondary'\n", "", 1)
	f := filepath.Join(t.TempDir(), "um.yaml")
	if err := os.WriteFile(f, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Log(g.run("compute", "url-maps", "import", "checkout-lb", "--global", "--source", f))
	t.Log(g.run("compute", "url-maps", "add-host-rule", "checkout-lb", "--global", "--hosts=api.example.com", "--path-matcher-name=static"))
	t.Log(g.run("compute", "backend-services", "list", "--format=json"))
	t.Log(g.run("compute", "backend-services", "update-backend", "checkout-pool", "--global", "--instance-group=ig-aws-proxy", "--instance-group-zone=us-east1-b", "--capacity-scaler=0.5"))
	t.Logf("calls: %v", s.Calls())
	um, _ := s.URLMap("", "checkout-lb")
	t.Log(um)
	bs, _ := s.BackendService("", "checkout-pool")
	t.Log(bs)
}
