package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// delegsim runs the CLI in-process and returns its exit status and output.
func delegsim(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

// cliCase is one command line and what it must do.
type cliCase struct {
	name string
	args []string
	code int      // exit status
	want []string // substrings of stdout+stderr
	file string   // an output file (in dir) that must exist on success and must not on failure
}

// runCLICases runs each case as a subtest.
func runCLICases(t *testing.T, dir string, cases []cliCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errb := delegsim(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errb)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errb, w) {
					t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", w, out, errb)
				}
			}
			if tt.file == "" {
				return
			}
			_, err := os.Stat(filepath.Join(dir, tt.file))
			if tt.code == exitOK && err != nil {
				t.Errorf("no output file: %v", err)
			}
			if tt.code != exitOK && err == nil {
				t.Errorf("a failed command left an output file %s", tt.file)
			}
		})
	}
}
