package app

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time with -ldflags "-X github.com/fbctl/fbctl/internal/app.version=v1.2.3
// -X github.com/fbctl/fbctl/internal/app.commit=abc123"; otherwise taken
// from the Go build information where it has them.
var (
	version = ""
	commit  = ""
)

// VersionInfo is what `fbctl version` reports.
type VersionInfo struct {
	FormatVersion string `json:"format_version"`
	Version       string `json:"version"`
	Commit        string `json:"commit"`
	GoVersion     string `json:"go_version"`
	Platform      string `json:"platform"`
}

// BuildVersion returns the version information of this binary.
func BuildVersion() VersionInfo {
	v := VersionInfo{FormatVersion: FormatVersion, Version: version, Commit: commit,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && v.Commit == "" {
				v.Commit = s.Value
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
	_, err := fmt.Fprintf(streams.Out, "fbctl %s\ncommit %s\n%s %s\n", v.Version, v.Commit, v.GoVersion, v.Platform)
	return err
}
