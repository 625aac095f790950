package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestVersionLdflags builds fbctl as `make build` does, with the version
// and commit passed by -ldflags and VCS stamping off (as in a build
// container without git), and checks that `fbctl version` reports them,
// a "-dirty" version as dirty. It takes a few seconds with a warm build
// cache; -short skips it.
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fbctl")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build fbctl: %v", err)
	}
	const ver, sha = "v9.8.7-3-gabcdef0-dirty", "abcdef0123456789abcdef0123456789abcdef01"
	bin := filepath.Join(t.TempDir(), "fbctl")
	build := exec.Command(gobin, "build", "-buildvcs=false", "-o", bin, "-ldflags",
		"-X github.com/fbctl/fbctl/internal/app.version="+ver+" -X github.com/fbctl/fbctl/internal/app.commit="+sha, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "-o", "json").Output()
	if err != nil {
		t.Fatalf("fbctl version: %v", err)
	}
	var v struct {
		Version, Commit string
		Dirty           bool
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("fbctl version -o json: %v\n%s", err, out)
	}
	if v.Version != ver || v.Commit != sha || !v.Dirty {
		t.Errorf("fbctl version = %+v, want %s %s dirty", v, ver, sha)
	}
	text, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "fbctl " + ver + "\ncommit " + sha + " (dirty: built with uncommitted changes)\n"
	if got := string(text); len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("fbctl version printed\n%s\nwant it to start with\n%s", got, want)
	}
}
