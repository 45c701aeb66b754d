// Package version says which delegsim produced an output: the module
// version and the VCS revision the binary was built from, as the Go
// toolchain records them (debug.ReadBuildInfo). Every JSON report, CSV
// header comment and HTML page carries it, so a result can be traced to
// the code that computed it.
package version

import (
	"runtime/debug"
	"sync"
)

// String returns the version, such as "v1.2.0", "(devel) 3f2a9c1d0e4b"
// or "(devel) 3f2a9c1d0e4b+dirty": the module version, then the first 12
// hex digits of the VCS revision and "+dirty" if the work tree had
// uncommitted changes. A binary built without build information (or a
// test binary, which has no VCS stamp) says "(devel)".
func String() string { return cached() }

var cached = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	return format(bi)
})

// format renders build information as String does.
func format(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return v + " " + rev
}
