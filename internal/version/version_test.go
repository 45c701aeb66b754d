package version

import (
	"runtime/debug"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"released module", debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0"},
		{"no version at all", debug.BuildInfo{}, "(devel)"},
		{"a clean checkout", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "3f2a9c1d0e4b5a6978"}, {Key: "vcs.modified", Value: "false"}}},
			"(devel) 3f2a9c1d0e4b"},
		{"uncommitted changes", debug.BuildInfo{Main: debug.Module{Version: "v0.3.1-0.20260101-3f2a9c1d0e4b"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "3f2a9c1d0e4b5a6978"}, {Key: "vcs.modified", Value: "true"}}},
			"v0.3.1-0.20260101-3f2a9c1d0e4b 3f2a9c1d0e4b+dirty"},
	}
	for _, tt := range tests {
		if got := format(&tt.bi); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if String() == "" {
		t.Error("String() is empty")
	}
}
