package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sweepCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

// Bad input: exit status 2, a message that names the problem, and no
// output directory.
func TestSweepBadInput(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, []byte("keep"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero step", []string{"--vary", "clients.c1.latency=0ms:10ms:0ms"}, "STEP \"0ms\" must be > 0"},
		{"backwards range", []string{"--vary", "clients.c1.latency=10ms:0ms:1ms"}, "is below FROM"},
		{"unknown path", []string{"--vary", "clients.c1.latncy=0ms:10ms:10ms"}, `unknown field "latncy"`},
		{"no trials", []string{"--trials", "0"}, "--trials must be >= 1"},
		{"shard out of range", []string{"--shard", "3/3"}, "I must be in [0, 3)"},
		{"shard syntax", []string{"--shard", "1-3"}, "want I/N"},
		{"unknown policy", []string{"--policies", "kernel,nope"}, `unknown policy "nope"`},
		{"bad seed", []string{"--seed", "-1"}, "--seed"},
		{"bad consistency", []string{"--consistency", "strict"}, "strict"},
		{"two scenarios", []string{"bz219278", "certbot-nginx"}, "at most one scenario"},
		{"unknown scenario", []string{"bz2192788"}, "no built-in scenario"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(tmp, strings.ReplaceAll(tt.name, " ", "-"))
			code, _, stderr := sweepCLI(append([]string{"sweep", "--trials", "1", "--out", out}, tt.args...)...)
			if code != exitBadUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("bad input left %s behind", out)
			}
		})
	}
	code, _, stderr := sweepCLI("sweep", "--trials", "1", "--out", file)
	if data, _ := os.ReadFile(file); code != exitBadUsage || string(data) != "keep" || !strings.Contains(stderr, "not a directory") {
		t.Errorf("--out naming a file: exit %d, %q, file now %q; want 2 and the file untouched", code, stderr, data)
	}
}

// A sweep in two shards, merged, equals the sweep run whole; shards draw
// no figures, merge does.
func TestSweepShardMerge(t *testing.T) {
	tmp := t.TempDir()
	common := []string{"sweep", "bz219278", "--set", "locals.l1.script.0.at=1s", "--vary", "clients.c1.latency=0ms:60ms:30ms",
		"--policies", "kernel,nonblock-wait", "--trials", "20"}
	dir := func(n string) string { return filepath.Join(tmp, n) }
	if code, stdout, stderr := sweepCLI(append(common, "--out", dir("whole"))...); code != 0 || !strings.Contains(stdout, "fail.png") {
		t.Fatalf("sweep: exit %d\n%s%s", code, stdout, stderr)
	}
	for i, s := range []string{"0/2", "1/2"} {
		code, stdout, stderr := sweepCLI(append(common, "--shard", s, "--workers", "1", "--out", dir("s"+string(rune('0'+i))))...)
		if code != 0 || strings.Contains(stdout, ".png") {
			t.Fatalf("shard %s: exit %d, wrote figures or failed\n%s%s", s, code, stdout, stderr)
		}
	}
	code, stdout, stderr := sweepCLI("merge", dir("s1"), dir("s0"), "--out", dir("merged"))
	if code != 0 || !strings.Contains(stdout, "3 of 3 points") || !strings.Contains(stdout, "cost.svg") {
		t.Fatalf("merge: exit %d\n%s%s", code, stdout, stderr)
	}
	a, _ := os.ReadFile(filepath.Join(dir("whole"), "results.csv"))
	b, _ := os.ReadFile(filepath.Join(dir("merged"), "results.csv"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("merged results.csv differs from the whole sweep's:\n%s---\n%s", a, b)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", "--out", dir("m2")}, "needs the shards' output directories"},
		{[]string{"merge", dir("s0")}, "needs --out"},
		{[]string{"merge", dir("s0"), "--out", dir("m3")}, "missing shards: 1/2"},
		{[]string{"merge", dir("s0"), dir("whole"), "--out", dir("m4")}, "different shard counts"},
	} {
		code, _, stderr := sweepCLI(tt.args...)
		if code != exitBadUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}
