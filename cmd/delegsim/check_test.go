package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(append([]string{"check"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckCommand(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		out  []string // substrings of stdout
		err  string   // substring of stderr
	}{
		{
			name: "the kernel keeps bz219278 consistent",
			args: []string{"bz219278", "--runs", "5"},
			code: exitOK,
			out:  []string{"check bz219278   profile linux-6.12   policy kernel   5 runs, seeds 1..5", "ok        linearizable           0 of 5 runs", "verdict: ok"},
		},
		{
			name: "dirty recall: linearizable fails, close-to-open holds, and the output says why",
			args: []string{"dirty-recall-stale-read", "--runs", "3", "--seed", "10"},
			code: exitFailed,
			out: []string{
				"VIOLATED  linearizable           3 of 3 runs  first at seed 10",
				"ok        close-to-open          0 of 3 runs",
				"replay: delegsim run dirty-recall-stale-read --policy kernel --profile linux-6.12 --seed 10",
				"note: linearizable fails in 3 of 3 runs, but close-to-open holds in every run",
				"verdict: VIOLATED (linearizable)",
			},
		},
		{
			name: "checking close-to-open alone passes",
			args: []string{"dirty-recall-stale-read", "--runs", "3", "--consistency", "close-to-open"},
			code: exitOK,
		},
		{
			name: "a finding is printed but does not fail the check",
			args: []string{"client-unreachable", "--runs", "2", "--consistency", "close-to-open"},
			code: exitOK,
			out:  []string{"FINDING   lease-agrees", "finding, not a failure: after fs.lease-break-time", "verdict: ok; findings: lease-agrees"},
		},
		{
			name: "overrides are part of the replay command",
			args: []string{"open-dirty-local-read", "--runs", "1", "--policy", "local-read-exempt", "--set", "clients.c2.latency=80ms"},
			code: exitFailed,
			out:  []string{"replay: delegsim run open-dirty-local-read --policy local-read-exempt --profile linux-6.12 --set clients.c2.latency=80ms --seed 1"},
		},
		{name: "unknown consistency model", args: []string{"bz219278", "--consistency", "sequential"}, code: exitBadUsage,
			err: `unknown consistency model "sequential" (allowed: linearizable, close-to-open)`},
		{name: "no runs", args: []string{"bz219278", "--runs", "0"}, code: exitBadUsage, err: "need at least one run"},
		{name: "unknown policy", args: []string{"bz219278", "--policy", "nope"}, code: exitBadUsage, err: "unknown policy"},
		{name: "unknown scenario", args: []string{"nope"}, code: exitBadUsage, err: "no built-in scenario"},
		{name: "unknown format", args: []string{"bz219278", "--format", "xml"}, code: exitBadUsage, err: "unknown --format"},
		{name: "no scenario", args: nil, code: exitBadUsage, err: "check takes one scenario"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCheck(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errs)
			}
			for _, want := range tc.out {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			if !strings.Contains(errs, tc.err) {
				t.Errorf("stderr %q lacks %q", errs, tc.err)
			}
		})
	}
}

func TestCheckJSON(t *testing.T) {
	code, out, _ := runCheck(t, "dirty-recall-stale-read", "--runs", "2", "--format", "json")
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	var rep struct {
		Scenario, Policy, Profile string
		Runs                      int
		Properties                []struct {
			Name        string  `json:"name"`
			OK          bool    `json:"ok"`
			Violations  int     `json:"violations"`
			ExampleSeed *uint64 `json:"example_seed"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Scenario != "dirty-recall-stale-read" || rep.Policy != "kernel" || rep.Runs != 2 {
		t.Errorf("header %+v", rep)
	}
	for _, p := range rep.Properties {
		if p.Name == "linearizable" && (p.OK || p.Violations != 2 || p.ExampleSeed == nil || *p.ExampleSeed != 1) {
			t.Errorf("linearizable: %+v", p)
		}
		if p.Name == "close-to-open" && (!p.OK || p.ExampleSeed != nil) {
			t.Errorf("close-to-open: %+v", p)
		}
	}
}

func TestCheckHTML(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "check.html")
	code, out, _ := runCheck(t, "open-dirty-local-read", "--policy", "local-read-exempt", "--runs", "3", "--html", path)
	if code != exitFailed || !strings.Contains(out, "visualisation of seed 1 (linearizable) written to "+path) {
		t.Errorf("exit %d\n%s", code, out)
	}
	html, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "stale: l2#1 g") {
		t.Error("the HTML does not show the stale lsattr")
	}

	// Bad input writes no file at all.
	bad := filepath.Join(dir, "bad.html")
	if code, _, _ := runCheck(t, "bz219278", "--consistency", "nope", "--html", bad); code != exitBadUsage {
		t.Errorf("exit %d, want %d", code, exitBadUsage)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files after bad input: %v", ents)
	}
}

// The same check prints the same bytes.
func TestCheckIsDeterministic(t *testing.T) {
	_, a, _ := runCheck(t, "open-dirty-local-read", "--runs", "20")
	_, b, _ := runCheck(t, "open-dirty-local-read", "--runs", "20")
	if a != b {
		t.Errorf("two identical checks differ:\n%s\n%s", a, b)
	}
}
