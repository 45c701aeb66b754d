package main

import (
	"bytes"
	"encoding/json"
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

func TestRunJSONIsDeterministic(t *testing.T) {
	args := []string{"run", "certbot-nginx", "--format", "json", "--seed", "3"}
	code, a, _ := delegsim(args...)
	_, b, _ := delegsim(args...)
	if code != 0 || a != b {
		t.Fatalf("exit %d; identical output: %v", code, a == b)
	}
	var rep struct {
		Scenario, Policy, Profile string
		Seed                      uint64
		Expectations              []struct {
			Name string
			OK   bool
		}
		Ops []struct {
			Actor, Op, Result string
			StartMs           float64 `json:"start_ms"`
			EndMs             float64 `json:"end_ms"`
			Bytes             *int64
		}
	}
	if err := json.Unmarshal([]byte(a), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Scenario != "certbot-nginx" || rep.Policy != "kernel" || rep.Profile != "linux-6.12" || rep.Seed != 3 {
		t.Fatalf("header %+v", rep)
	}
	if len(rep.Expectations) == 0 || len(rep.Ops) != 5 {
		t.Fatalf("%d expectations, %d ops", len(rep.Expectations), len(rep.Ops))
	}
	first := rep.Ops[3] // ops are listed in completion order
	if first.Actor != "nginx" || first.Result != "EAGAIN" || first.Bytes != nil {
		t.Fatalf("first fetch %+v", first)
	}
}

func TestRunExitStatus(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
	}{
		{"expectations hold", []string{"run", "bz219278"}, 0, "ok    the first lsattr fails with EAGAIN"},
		{"an expectation fails", []string{"run", "bz219278", "--set", "clients.c1.latency=200ms"}, 1, "FAIL  the second lsattr succeeds"},
		{"unknown scenario", []string{"run", "bz21927"}, 2, "no built-in scenario"},
		{"unknown policy", []string{"run", "bz219278", "--policy", "kernal"}, 2, `unknown policy "kernal"`},
		{"unknown profile", []string{"run", "bz219278", "--profile", "linux-5.4"}, 2, "unknown profile"},
		{"bad seed", []string{"run", "bz219278", "--seed", "-1"}, 2, "--seed"},
		{"bad format", []string{"run", "bz219278", "--format", "yaml"}, 2, "allowed: text, json"},
		{"bad override", []string{"run", "bz219278", "--set", "clients.c1.latncy=5ms"}, 2, "allowed here:"},
		{"no scenario", []string{"run"}, 2, "run takes one scenario"},
		{"unknown flag", []string{"run", "bz219278", "--polcy", "x"}, 2, "flag provided but not defined"},
		{"unknown command", []string{"runn"}, 2, `unknown command "runn"`},
		{"help", []string{"help"}, 0, "Commands:"},
		{"run help", []string{"run", "--help"}, 0, "-policy"},
		{"list", []string{"list"}, 0, "certbot-nginx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errb := delegsim(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errb)
			}
			if !strings.Contains(out+errb, tt.want) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tt.want, out, errb)
			}
		})
	}
}

// TestBadInputWritesNoFile: a run refused for bad input leaves no trace
// file behind, and a good one writes it whole.
func TestBadInputWritesNoFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nversion: 1\nfiles: [{name: f}]\nclients:\n  - name: c1\n    callback: {loss: 1.5}\n"), 0o644)
	trace := filepath.Join(dir, "trace.txt")
	code, _, errb := delegsim("run", bad, "--trace", trace)
	if code != 2 || !strings.Contains(errb, "bad.yaml:6: clients[0].callback.loss") {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
	if _, err := os.Stat(trace); !os.IsNotExist(err) {
		t.Fatal("a trace file was written for bad input")
	}
	if code, _, _ := delegsim("run", "bz219278", "--trace", trace); code != 0 {
		t.Fatalf("exit %d", code)
	}
	data, _ := os.ReadFile(trace)
	if !strings.Contains(string(data), "CB_RECALL") {
		t.Fatal("trace lacks the recall")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestDefaultComparesEveryPolicy(t *testing.T) {
	code, out, _ := delegsim()
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"kernel ", "seed-getattr-exempt", "EAGAIN", "no-write-deleg"} {
		if !strings.Contains(out, want) {
			t.Errorf("default output lacks %q:\n%s", want, out)
		}
	}
}
