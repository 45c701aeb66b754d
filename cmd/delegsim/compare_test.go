package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	runCLICases(t, dir, []cliCase{
		{"default scenarios", []string{"compare", "--trials", "3", "--explore-states", "0"}, 0,
			[]string{"certbot-nginx on linux-6.12: 3 runs per fix", "app-retry", "mount-v4.0", "leases-disabled", "what each fix breaks:"}, ""},
		{"markdown", []string{"compare", "bz219278", "--trials", "3", "--format", "markdown", "--fixes", "kernel,seed-getattr-exempt"}, 0,
			[]string{"| seed-getattr-exempt | kernel patch | 100% [", "What each fix breaks:"}, ""},
		{"to a file", []string{"compare", "bz219278", "--trials", "2", "--out", filepath.Join(dir, "t.txt")}, 0, nil, "t.txt"},
		{"a policy file", []string{"compare", "bz219278", "--trials", "3", "--fixes", "kernel", "--policy-file", "testdata/gate-5ms.yaml"}, 0,
			[]string{"gate-5ms", "policy file testdata/gate-5ms.yaml"}, ""},
		{"combined options", []string{"compare", "bz219278", "--trials", "2", "--fixes", "kernel,mount-v4.0+app-retry", "--explore-states", "0"}, 0,
			[]string{"mount-v4.0+app-retry"}, ""},
		{"unknown fix", []string{"compare", "bz219278", "--fixes", "kernel,nope", "--out", filepath.Join(dir, "bad.txt")}, 2, []string{`unknown fix "nope"`, "app-retry"}, "bad.txt"},
		{"fix not applicable", []string{"compare", "bz219278-v40", "--fixes", "mount-v4.0", "--out", filepath.Join(dir, "na.txt")}, 2,
			[]string{"mount-v4.0 does not apply to bz219278-v40: every client already mounts with vers=4.0"}, "na.txt"},
		{"bad policy file", []string{"compare", "bz219278", "--policy-file", "testdata/bad-policy.yaml"}, 2,
			[]string{"testdata/bad-policy.yaml:3: conflicts[0].action: \"recall-wiat 30ms\": unknown action \"recall-wiat\""}, ""},
		{"missing policy file", []string{"compare", "bz219278", "--policy-file", "testdata/nope.yaml"}, 2, []string{"testdata/nope.yaml"}, ""},
		{"unknown format", []string{"compare", "--format", "csv"}, 2, []string{"unknown --format"}, ""},
		{"no trials", []string{"compare", "--trials", "0"}, 2, []string{"--trials 0"}, ""},
		{"bad seed", []string{"compare", "--seed", "-1"}, 2, []string{"--seed"}, ""},
		{"unknown scenario", []string{"compare", "nope"}, 2, []string{"nope"}, ""},
	})
}

func TestCompareJSON(t *testing.T) {
	code, out, errs := delegsim("compare", "certbot-nginx", "--trials", "4", "--format", "json", "--seed", "9")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var tables []struct {
		Scenario string
		Seed     uint64
		Access   string
		Rows     []struct {
			Name, Kind, Policy string
			Sets               []string
			Fail               float64
			Explore            *struct{ States int }
			Verdict            string
			Changes            string `json:"documented_behaviour"`
			ClientCost         string `json:"client_cost"`
		}
	}
	if err := json.Unmarshal([]byte(out), &tables); err != nil {
		t.Fatal(err)
	}
	if len(tables) != 1 || tables[0].Scenario != "certbot-nginx" || tables[0].Seed != 9 || tables[0].Access != "nginx#1" {
		t.Fatalf("tables %+v", tables)
	}
	p := tables[0].Rows
	if len(p) != 11 || p[0].Name != "kernel" || p[0].Fail != 1 || p[0].Explore == nil || p[0].Verdict == "" {
		t.Fatalf("rows %+v", p)
	}
	var v40 bool
	for _, r := range p {
		if r.Name == "mount-v4.0" {
			v40 = r.Kind == "configuration" && r.Policy == "kernel" && strings.Join(r.Sets, " ") == "clients.certbot.version=4.0" &&
				strings.Contains(r.ClientCost, "OPEN_CONFIRM") && r.Changes != ""
		}
	}
	if !v40 {
		t.Errorf("no mount-v4.0 row as expected: %+v", p)
	}
}

// TestPolicyFileFlag: --policy-file runs a file's policy wherever --policy
// runs a built-in, and the shipped file of a built-in runs as it does.
func TestPolicyFileFlag(t *testing.T) {
	runCLICases(t, t.TempDir(), []cliCase{
		{"run", []string{"run", "bz219278", "--policy-file", "../../policyfile/policies/nonblock-wait.yaml"}, 0,
			[]string{"policy nonblock-wait", "l1#1  lsattr f    100.000 ms  →   144.940 ms  ok"}, ""},
		{"check", []string{"check", "bz219278", "--runs", "3", "--policy-file", "testdata/gate-5ms.yaml"}, 0,
			[]string{"policy gate-5ms"}, ""},
		{"explore", []string{"explore", "bz219278", "--policy-file", "testdata/gate-5ms.yaml"}, 0, []string{"policy gate-5ms"}, ""},
		{"explain", []string{"explain", "bz219278", "--policy-file", "testdata/gate-5ms.yaml"}, 0, []string{"policy gate-5ms", "CB_GETATTR"}, ""},
		{"both", []string{"run", "bz219278", "--policy", "kernel", "--policy-file", "testdata/gate-5ms.yaml"}, 2,
			[]string{"give --policy or --policy-file, not both"}, ""},
		{"bad file", []string{"run", "bz219278", "--policy-file", "testdata/bad-policy.yaml"}, 2, []string{"bad-policy.yaml:3"}, ""},
		{"print a built-in", []string{"policy", "nonblock-wait"}, 0, []string{"name: nonblock-wait", "action: recall-wait 30ms"}, ""},
		{"print an unknown", []string{"policy", "nope"}, 2, []string{`no built-in policy file "nope"`}, ""},
	})
}

// TestSweepFixes: a sweep's rows may be any fixes and policy files, as in
// compare.
func TestSweepFixes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sw")
	code, out, errs := delegsim("sweep", "bz219278", "--vary", "clients.c1.latency=0ms:20ms:10ms", "--trials", "20",
		"--fixes", "kernel,app-retry,mount-v4.0", "--policy-file", "testdata/gate-5ms.yaml", "--no-figures", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{",kernel,20,", ",app-retry,20,", ",mount-v4.0,20,", ",gate-5ms,20,"} {
		if strings.Count(string(csv), row) != 3 {
			t.Errorf("results.csv has not 3 points of %q:\n%s", row, csv)
		}
	}
	if !strings.Contains(errs, "3 points × 4 policies × 20 trials") {
		t.Errorf("stderr: %s", errs)
	}
	code, _, errs = delegsim("sweep", "bz219278-v40", "--fixes", "mount-v4.0", "--out", filepath.Join(t.TempDir(), "x"))
	if code != 2 || !strings.Contains(errs, "mount-v4.0 does not apply to bz219278-v40") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
