package app

import (
	"runtime/debug"
	"testing"
)

func TestBuildVersion(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name                string
		ldVersion, ldCommit string
		bi                  *debug.BuildInfo
		version, commit     string
		dirty               bool
	}{
		{name: "go install @version: the module version, no VCS",
			bi: &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, version: "v1.2.3", commit: "unknown"},
		{name: "go build in a clean checkout: pseudo-version and VCS stamp",
			bi:      &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261202033500-0123456789ab"}, Settings: vcs(sha, "false")},
			version: "v0.0.0-20261202033500-0123456789ab", commit: sha},
		{name: "go build in a dirty checkout",
			bi:      &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261202033500-0123456789ab+dirty"}, Settings: vcs(sha, "true")},
			version: "v0.0.0-20261202033500-0123456789ab+dirty", commit: sha, dirty: true},
		{name: "go run: (devel), VCS stamp of a modified tree",
			bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(sha, "true")}, version: "dev", commit: sha, dirty: true},
		{name: "make build: ldflags win over the build info",
			ldVersion: "v1.3.0-2-g0123456", ldCommit: sha,
			bi:      &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261202033500-fedcba987654+dirty"}, Settings: vcs("fedcba", "true")},
			version: "v1.3.0-2-g0123456", commit: sha},
		{name: "make build in a dirty tree, VCS stamping off",
			ldVersion: "v1.3.0-2-g0123456-dirty", ldCommit: sha, bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			version: "v1.3.0-2-g0123456-dirty", commit: sha, dirty: true},
		{name: "make build without tags: describe gives the short commit",
			ldVersion: "0123456", ldCommit: sha, version: "0123456", commit: sha},
		{name: "nothing known", version: "dev", commit: "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := buildVersion(tc.ldVersion, tc.ldCommit, tc.bi)
			if v.Version != tc.version || v.Commit != tc.commit || v.Dirty != tc.dirty {
				t.Errorf("got version %q commit %q dirty %v, want %q %q %v", v.Version, v.Commit, v.Dirty, tc.version, tc.commit, tc.dirty)
			}
			if v.FormatVersion != FormatVersion || v.GoVersion == "" || v.Platform == "" {
				t.Errorf("incomplete: %+v", v)
			}
		})
	}
}
