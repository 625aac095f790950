package app

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time by `make build`, from git, with -ldflags
// "-X github.com/fbctl/fbctl/internal/app.version=$(git describe --tags --always --dirty)
// -X github.com/fbctl/fbctl/internal/app.commit=$(git rev-parse HEAD)",
// so a build has them where the go command stamps no VCS information
// (-buildvcs=false, a container without git, a tarball). Otherwise they
// come from the Go build information: the module version that
// `go install ...@vX` records, and the VCS stamp of a build in a checkout.
var (
	version = ""
	commit  = ""
)

// VersionInfo is what `fbctl version` reports.
type VersionInfo struct {
	FormatVersion string `json:"format_version"`
	Version       string `json:"version"`
	Commit        string `json:"commit"`
	// Dirty says the binary was built from a checkout with uncommitted
	// changes: its commit alone does not say what it runs.
	Dirty     bool   `json:"dirty"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// BuildVersion returns the version information of this binary.
func BuildVersion() VersionInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return buildVersion(version, commit, bi)
}

// buildVersion works out the version from the -ldflags values ldVersion
// and ldCommit, which win (they come from the person who built it), and
// the build information bi (nil when there is none).
func buildVersion(ldVersion, ldCommit string, bi *debug.BuildInfo) VersionInfo {
	v := VersionInfo{FormatVersion: FormatVersion, Version: ldVersion, Commit: ldCommit,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	// git describe --dirty marks the version "-dirty"; the go command
	// marks a pseudo-version "+dirty" (Go 1.24 and later).
	v.Dirty = strings.HasSuffix(ldVersion, "-dirty")
	if bi != nil {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
			v.Dirty = v.Dirty || strings.HasSuffix(bi.Main.Version, "+dirty")
		}
		if ldVersion == "" || ldCommit == "" {
			// The VCS stamp describes this build; ldflags set by hand
			// without one of them still win where given.
			for _, s := range bi.Settings {
				switch {
				case s.Key == "vcs.revision" && v.Commit == "":
					v.Commit = s.Value
				case s.Key == "vcs.modified" && s.Value == "true":
					v.Dirty = true
				}
			}
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	return v
}

// VersionOptions are the options of `fbctl version`.
type VersionOptions struct {
	Global *Global
}

// Version prints the version, commit and Go version.
func Version(streams IO, opts VersionOptions) error {
	v := BuildVersion()
	if opts.Global.JSON() {
		return opts.Global.writeData(streams.Out, v)
	}
	dirty := ""
	if v.Dirty {
		dirty = " (dirty: built with uncommitted changes)"
	}
	_, err := fmt.Fprintf(streams.Out, "fbctl %s\ncommit %s%s\n%s %s\n", v.Version, v.Commit, dirty, v.GoVersion, v.Platform)
	return err
}
