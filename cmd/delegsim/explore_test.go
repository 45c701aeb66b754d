package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExploreExitStatus: 0 when the space was exhausted without a
// violation, 1 for a violation, 3 when a bound cut the search (undecided),
// 2 for bad input, with no output file.
func TestExploreExitStatus(t *testing.T) {
	runCLICases(t, t.TempDir(), []cliCase{
		{"kernel exhausts the reproducer", []string{"explore", "bz219278-2c2l"}, 0, []string{"exhausted: every reachable state was visited", "l1#1  lsattr f  EAGAIN  34 of 34", "ok  close-to-open", "verdict: ok: exhausted, no violation"}, ""},
		{"the GETATTR exemption still fails lsattr", []string{"explore", "bz219278-2c2l", "--policy", "seed-getattr-exempt"}, 0, []string{"l2#1  lsattr g  EAGAIN  34 of 34"}, ""},
		{"a bound is reported", []string{"explore", "bz219278-2c2l", "--max-states", "100"}, exitIncomplete, []string{"NOT exhausted: the max-states bound was hit (100)", "verdict: UNDECIDED: the max-states bound (100) was hit"}, ""},
		{"a stale read is a violation", []string{"explore", "open-dirty-local-read", "--policy", "local-read-exempt"}, 1, []string{"VIOLATED  close-to-open", "l2#1 lsattr g at 1010.000ms saw size 0", "a shortest one", "replay: delegsim run open-dirty-local-read --schedule FILE"}, ""},
		{"dfs", []string{"explore", "bz219278", "--strategy", "dfs"}, 0, []string{"strategy dfs", "383 distinct"}, ""},
		{"bad strategy", []string{"explore", "bz219278", "--strategy", "random"}, 2, []string{"unknown strategy \"random\" (allowed: bfs, dfs)"}, ""},
		{"bad consistency", []string{"explore", "bz219278", "--consistency", "eventual"}, 2, []string{"--consistency"}, ""},
		{"bad bound", []string{"explore", "bz219278", "--max-depth", "0"}, 2, []string{"must be positive"}, ""},
		{"bad scenario", []string{"explore", "no-such-scenario"}, 2, []string{"no built-in scenario"}, ""},
		{"no scenario", []string{"explore"}, 2, []string{"explore takes one scenario"}, ""},
		{"bad format", []string{"explore", "bz219278", "--format", "xml"}, 2, []string{"unknown --format"}, ""},
		{"symmetry and workers", []string{"explore", "bz219278-2c2l", "--symmetry", "--workers", "2"}, 0, []string{"38555 distinct", "up to a renaming of stateids and xids", "l1#1  lsattr f  EAGAIN  34 of 34"}, ""},
		{"a shard", []string{"explore", "bz219278-2c2l", "--shard", "1/3"}, 0, []string{"shard:      1 of 3, split at depth 18"}, ""},
		{"bad shard", []string{"explore", "bz219278", "--shard", "3/3"}, 2, []string{"--shard \"3/3\""}, ""},
		{"bad workers", []string{"explore", "bz219278", "--workers", "0"}, 2, []string{"--workers must be positive"}, ""},
	})
}

// TestExploreShardsMerge: the JSON reports of three shards merge into the
// histories and outcomes of the whole search.
func TestExploreShardsMerge(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := range 3 {
		code, out, errOut := delegsim("explore", "bz219278-2c2l", "--shard", fmt.Sprintf("%d/3", i), "--format", "json")
		if code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, code, errOut)
		}
		f := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	code, out, errOut := delegsim(append([]string{"merge"}, files...)...)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, errOut)
	}
	for _, w := range []string{"3 merged, split at depth 18", "34 complete histories", "l1#1  lsattr f  EAGAIN  34 of 34", "exhausted"} {
		if !strings.Contains(out, w) {
			t.Errorf("merged report lacks %q:\n%s", w, out)
		}
	}
	if code, _, errOut := delegsim("merge", files[0], files[1]); code != 2 || !strings.Contains(errOut, "shard 2/3 is missing") {
		t.Errorf("a missing shard: exit %d: %s", code, errOut)
	}
}

// TestExploreOutReplay: --out writes the counterexample schedule, which
// `run --schedule` replays to the stale read; the JSON report carries the
// same schedule and is byte-identical from run to run.
func TestExploreOutReplay(t *testing.T) {
	dir := t.TempDir()
	sched := filepath.Join(dir, "cx.sched")
	args := []string{"explore", "open-dirty-local-read", "--policy", "local-read-exempt", "--format", "json", "--out", sched}
	code, a, errOut := delegsim(args...)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, b, _ := delegsim(args...); a != b {
		t.Fatal("JSON report differs between two runs")
	}
	var rep struct {
		Exhausted      bool `json:"exhausted"`
		Counterexample struct {
			Property string   `json:"property"`
			Schedule []string `json:"schedule"`
		} `json:"counterexample"`
	}
	if err := json.Unmarshal([]byte(a), &rep); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sched)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counterexample.Property != "close-to-open" || len(rep.Counterexample.Schedule) == 0 ||
		!strings.Contains(string(data), rep.Counterexample.Schedule[len(rep.Counterexample.Schedule)-1]) {
		t.Fatalf("report %+v; schedule file:\n%s", rep, data)
	}
	trace := filepath.Join(dir, "trace.txt")
	code, out, errOut := delegsim("run", "open-dirty-local-read", "--schedule", sched, "--trace", trace)
	if code != 0 { // the schedule's times are ones a timed run can have
		t.Fatalf("replay exit %d: %s", code, errOut)
	}
	for _, w := range []string{"policy local-read-exempt", "l2#1  lsattr g   1010.000 ms  →  1020.000 ms  ok  size=0"} {
		if !strings.Contains(out, w) {
			t.Errorf("replay output lacks %q:\n%s", w, out)
		}
	}
	if tr, err := os.ReadFile(trace); err != nil || !strings.Contains(string(tr), "recv WRITE") {
		t.Errorf("trace: %v", err)
	}

	// A schedule that does not fit is bad input, and leaves no trace file.
	bad := filepath.Join(dir, "bad.sched")
	os.WriteFile(bad, []byte("scenario open-dirty-local-read\npolicy local-read-exempt\nprofile linux-6.12\nseed 1\ntimer l1 script/0\n"), 0o644)
	badTrace := filepath.Join(dir, "bad-trace.txt")
	code, _, errOut = delegsim("run", "open-dirty-local-read", "--schedule", bad, "--trace", badTrace)
	if code != 2 || !strings.Contains(errOut, "bad.sched:5: \"timer l1 script/0\" is not enabled") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(badTrace); !os.IsNotExist(err) {
		t.Errorf("trace written for a bad schedule: %v", err)
	}
	code, _, errOut = delegsim("run", "open-dirty-local-read", "--schedule", sched, "--policy", "kernel")
	if code != 2 || !strings.Contains(errOut, "recorded with policy local-read-exempt, this run uses policy kernel") {
		t.Fatalf("exit %d: %s", code, errOut)
	}

	// No violation: no schedule file.
	none := filepath.Join(dir, "none.sched")
	if code, _, _ := delegsim("explore", "bz219278", "--out", none); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("schedule written without a counterexample: %v", err)
	}
}
