package gcssim_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gcssim "github.com/fbctl/fbctl/internal/sim/gcs"
	"github.com/fbctl/fbctl/internal/testenv"
)

// TestGcloudStorage: an independent client (gcloud storage, Python and
// apitools, not the Go client) sees the documented semantics: create-only
// and generation-conditioned copies, reads, listings with prefixes, and
// conditioned removals.
//
// gcloud is pointed at the emulator with
// CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=URL/storage/v1/, a dummy token
// in CLOUDSDK_AUTH_ACCESS_TOKEN_FILE and a fresh CLOUDSDK_CONFIG, so no
// real endpoint or credential is used. Two findings from it:
//   - its multipart uploads quote the boundary with single quotes
//     (boundary='===...=='), which mime.ParseMediaType refuses and GCS
//     accepts; the emulator accepts it too;
//   - downloads go to /download/storage/v1/... (the mediaLink), not to
//     /storage/v1/...?alt=media as the Go client's.
//
// Each gcloud call takes a second or two; the test skips under -short.
func TestGcloudStorage(t *testing.T) {
	if testing.Short() {
		t.Skip("gcloud calls take seconds each")
	}
	cli := testenv.Gcloud(t)
	srv := gcssim.New(gcssim.Options{Buckets: []string{"bkt"}})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	src := filepath.Join(dir, "f.json")
	for f, data := range map[string]string{token: "dummy-token\n", src: `{"a":1}`} {
		if err := os.WriteFile(f, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, args...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "CLOUDSDK_") && !strings.HasPrefix(kv, "GOOGLE_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env,
			"CLOUDSDK_CONFIG="+filepath.Join(dir, "config"),
			"CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE="+url+"/storage/v1/",
			"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE="+token,
			"CLOUDSDK_CORE_DISABLE_PROMPTS=1", "CLOUDSDK_CORE_PROJECT=fbctl-test",
			"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true", "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true")
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("gcloud %s: err %v (want ok: %v)\n%s", strings.Join(args, " "), err, wantOK, out)
		}
		return string(out)
	}
	obj := "gs://bkt/dir/f.json"
	run(true, "storage", "cp", src, obj, "--if-generation-match=0")
	if out := run(false, "storage", "cp", src, obj, "--if-generation-match=0"); !strings.Contains(out, "412") {
		t.Fatalf("second create-only cp: %s", out)
	}
	if out := run(true, "storage", "cat", obj); out != `{"a":1}` {
		t.Fatalf("cat: %q", out)
	}
	gen := strings.TrimSpace(run(true, "storage", "objects", "describe", obj, "--format=value(generation)"))
	if names := srv.Names("bkt"); len(names) != 1 || names[0] != "dir/f.json" || gen == "" {
		t.Fatalf("names %q, generation %q", names, gen)
	}
	run(true, "storage", "cp", src, obj, "--if-generation-match="+gen) // overwrite on the generation read
	if out := run(false, "storage", "rm", obj, "--if-generation-match="+gen); !strings.Contains(out, "412") {
		t.Fatalf("rm on a stale generation: %s", out)
	}
	if out := run(true, "storage", "ls", "gs://bkt/"); strings.TrimSpace(out) != "gs://bkt/dir/" {
		t.Fatalf("ls of the bucket: %q", out)
	}
	gen2 := strings.TrimSpace(run(true, "storage", "objects", "describe", obj, "--format=value(generation)"))
	run(true, "storage", "rm", obj, "--if-generation-match="+gen2)
	if names := srv.Names("bkt"); len(names) != 0 {
		t.Fatalf("after rm: %q", names)
	}
	t.Logf("gcloud requests: %v", srv.Calls())
}
