package gcp

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	gcpsim "github.com/fbctl/fbctl/internal/sim/gcp"
	"github.com/fbctl/fbctl/internal/testenv"
	"github.com/fbctl/fbctl/providers"
)

// A person edits the URL map by hand with gcloud (export, other weights,
// import: GET, PATCH with the GET's fingerprint, operations wait) in the
// middle of a failback: the next observe reports the edited share, drift
// for the engine to judge, and the rest of the map survives fbctl's and
// the person's writes.
func TestSimURLMapDriftByGcloud(t *testing.T) {
	if testing.Short() {
		t.Skip("gcloud calls take seconds each")
	}
	bin := testenv.Gcloud(t)
	w := newSimWorld(t, gcpsim.Options{Seed: 17, PendingPolls: 1})
	tg := defaultRouteTarget(t, providerBlock(t, w.url))
	observe := func() providers.Share {
		t.Helper()
		s, err := tg.Observe(providers.WithRunCache(testCtx(t)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got, err := tg.Apply(providers.WithRunCache(testCtx(t)), 2500); err != nil || got != 2500 {
		t.Fatalf("Apply(25%%) = %v, %v", got, err)
	}
	if s := observe(); s != 2500 {
		t.Fatalf("observe after the step = %v; want 25 %%", s)
	}
	before := w.state(t).Maps["/lb"]

	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("dummy-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := w.srv.GcloudEnv(w.url, filepath.Join(dir, "config"), token)
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
		return string(out)
	}
	y := gcloud("compute", "url-maps", "export", "lb", "--global")
	edited := strings.NewReplacer("weight: 250\n", "weight: 600\n", "weight: 750\n", "weight: 400\n").Replace(y)
	if strings.Count(edited, "weight: 600\n") != 1 || strings.Count(edited, "weight: 400\n") != 1 {
		t.Fatalf("exported map without the step's weights 250/750 on the default route:\n%s", y)
	}
	src := filepath.Join(dir, "lb.yaml")
	if err := os.WriteFile(src, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	gcloud("compute", "url-maps", "import", "lb", "--global", "--source", src)

	if s := observe(); s != 6000 {
		t.Fatalf("observe after the hand edit = %v; want the edited 60 %%", s)
	}
	after := w.state(t).Maps["/lb"]
	if ws := weightsOf(routeList(after, "", -1)); ws["bs-aws"] != 600 || ws["bs-gcp"] != 400 {
		t.Fatalf("default route after the edit: %v", ws)
	}
	// Only the default route's weights changed.
	after.DefaultRouteAction = before.DefaultRouteAction
	if d := cmp.Diff(before, after, protoCmp...); d != "" {
		t.Fatalf("the import changed more than the weights (-before +after):\n%s", d)
	}
}
