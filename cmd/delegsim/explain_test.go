package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExplainCommand(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
		file string // output file that must exist (or, with code 2, must not)
	}{
		{"narrated timeline", []string{"explain", "bz219278"}, 0,
			"hits c1's write lease: CB_RECALL queued, EAGAIN returned — __break_lease queues CB_RECALL via nfsd_break_deleg_cb", ""},
		{"mermaid", []string{"explain", "bz219278", "--format", "mermaid"}, 0, "participant VFS as VFS lease", ""},
		{"policy flag after the scenario", []string{"explain", "bz219278", "--policy", "nonblock-wait"}, 0, "the call waits at most 30ms", ""},
		{"html to a file", []string{"explain", "certbot-nginx", "--format", "html", "--out", filepath.Join(dir, "c.html")}, 0, "", "c.html"},
		{"unknown format", []string{"explain", "bz219278", "--format", "svg", "--out", filepath.Join(dir, "bad.svg")}, 2, "unknown --format", "bad.svg"},
		{"unknown policy", []string{"explain", "bz219278", "--policy", "nope", "--out", filepath.Join(dir, "bad.txt")}, 2, "unknown policy", "bad.txt"},
		{"no scenario", []string{"explain"}, 2, "explain takes one scenario", ""},
		{"unknown scenario", []string{"explain", "no-such-scenario"}, 2, "no-such-scenario", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := delegsim(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tt.code, errs)
			}
			if !strings.Contains(out+errs, tt.want) {
				t.Errorf("output lacks %q:\n%s%s", tt.want, out, errs)
			}
			if tt.file == "" {
				return
			}
			_, err := os.Stat(filepath.Join(dir, tt.file))
			if tt.code == 0 && err != nil {
				t.Errorf("no output file: %v", err)
			}
			if tt.code != 0 && err == nil {
				t.Errorf("bad input left an output file %s", tt.file)
			}
		})
	}
}
