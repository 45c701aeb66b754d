package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
	dir := t.TempDir()
	runCLICases(t, dir, []cliCase{
		{"expectations hold", []string{"run", "bz219278"}, 0, []string{"ok    the first lsattr fails with EAGAIN"}, ""},
		{"an expectation fails", []string{"run", "bz219278", "--set", "clients.c1.latency=200ms"}, 1, []string{"FAIL  the second lsattr succeeds"}, ""},
		{"unknown scenario", []string{"run", "bz21927"}, 2, []string{"no built-in scenario"}, ""},
		{"unknown policy", []string{"run", "bz219278", "--policy", "kernal"}, 2, []string{`unknown policy "kernal"`}, ""},
		{"unknown profile", []string{"run", "bz219278", "--profile", "linux-5.4"}, 2, []string{"unknown profile"}, ""},
		{"bad seed", []string{"run", "bz219278", "--seed", "-1"}, 2, []string{"--seed"}, ""},
		{"bad format", []string{"run", "bz219278", "--format", "yaml"}, 2, []string{"allowed: text, json"}, ""},
		{"bad override", []string{"run", "bz219278", "--set", "clients.c1.latncy=5ms"}, 2, []string{"allowed here:"}, ""},
		{"no scenario", []string{"run"}, 2, []string{"run takes one scenario"}, ""},
		{"unknown flag", []string{"run", "bz219278", "--polcy", "x"}, 2, []string{"flag provided but not defined"}, ""},
		{"unknown command", []string{"runn"}, 2, []string{`unknown command "runn"`}, ""},
		{"help", []string{"help"}, 0, []string{"Commands:"}, ""},
		{"run help", []string{"run", "--help"}, 0, []string{"-policy"}, ""},
		{"list", []string{"list"}, 0, []string{"certbot-nginx"}, ""},
	})
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
