package report

import (
	"runtime/debug"
	"strings"
)

// Version returns delegsim's version as the binary knows it: the module
// version and, for a build from a checkout, the commit and whether the
// tree had changes ("(devel) 0123abcd+modified").
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	parts := []string{bi.Main.Version}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		parts = append(parts, rev+modified)
	}
	return strings.Join(parts, " ")
}
