package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	runCLICases(t, dir, []cliCase{
		{"default scenarios", []string{"compare", "--trials", "3", "--explore-states", "0"}, 0, []string{"certbot-nginx on linux-6.12: 3 runs per policy"}, ""},
		{"markdown", []string{"compare", "bz219278", "--trials", "3", "--format", "markdown", "--policies", "kernel,seed-getattr-exempt"}, 0, []string{"| seed-getattr-exempt | 100% ["}, ""},
		{"to a file", []string{"compare", "bz219278", "--trials", "2", "--out", filepath.Join(dir, "t.txt")}, 0, nil, "t.txt"},
		{"unknown policy", []string{"compare", "bz219278", "--policies", "kernel,nope", "--out", filepath.Join(dir, "bad.txt")}, 2, []string{`unknown policy "nope"`}, "bad.txt"},
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
		Policies []struct {
			Policy  string
			Fail    float64
			Explore *struct{ States int }
			Verdict string
		}
	}
	if err := json.Unmarshal([]byte(out), &tables); err != nil {
		t.Fatal(err)
	}
	if len(tables) != 1 || tables[0].Scenario != "certbot-nginx" || tables[0].Seed != 9 || tables[0].Access != "nginx#1" {
		t.Fatalf("tables %+v", tables)
	}
	p := tables[0].Policies
	if len(p) != 6 || p[0].Policy != "kernel" || p[0].Fail != 1 || p[0].Explore == nil || p[0].Verdict == "" {
		t.Fatalf("rows %+v", p)
	}
}
