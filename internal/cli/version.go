package cli

import (
	"runtime"
	"runtime/debug"

	"github.com/latheml/lathe"
	"github.com/spf13/cobra"
)

// VersionInfo describes this build.
type VersionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

func buildInfo() VersionInfo {
	v := VersionInfo{Version: lathe.Version, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Commit = s.Value
			}
		}
	}
	return v
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version of this lathe binary",
		Example: "  lathe version\n  lathe version -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := buildInfo()
			return a.print(v, func() table {
				return kv("version", v.Version, "commit", first(v.Commit, "-"), "go", v.Go, "platform", v.OS+"/"+v.Arch)
			})
		},
	}
}
