package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/delegsim/delegsim/internal/version"
	"github.com/delegsim/delegsim/sweep"
)

// shellWords splits a command line as a POSIX shell would, for the
// single-quoted words report commands use.
func shellWords(line string) []string {
	var out []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			cur.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// reportCommands returns the commands of report.md's "Reproduce" block,
// by what each reproduces.
func reportCommands(t *testing.T, md string) map[string][]string {
	t.Helper()
	_, block, ok := strings.Cut(md, "## Reproduce every number\n\n```sh\n")
	if !ok {
		t.Fatal("report.md has no Reproduce block")
	}
	block, _, _ = strings.Cut(block, "```")
	cmds := map[string][]string{}
	what := ""
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		if w, ok := strings.CutPrefix(l, "# "); ok {
			if w == "its sequence diagram" { // one after each counterexample
				w += " (" + what + ")"
			}
			what = w
			continue
		}
		cmds[what] = shellWords(l)
	}
	return cmds
}

// setFlag replaces the value of a flag in a command line.
func setFlag(args []string, flag, value string) []string {
	out := append([]string{}, args...)
	for i := range out {
		if out[i] == flag && i+1 < len(out) {
			out[i+1] = value
		}
	}
	return out
}

// TestReportCommand: `delegsim report` writes the page, the Markdown, the
// figures, the sweep and the schedules, and the commands it lists
// reproduce its numbers: the decision table, the sweep's results.csv and
// a counterexample's schedule, byte for byte.
func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "rep")
	args := []string{"report", "bz219278", "--trials", "10", "--explore-states", "3000", "--sweep-trials", "30",
		"--vary", "clients.c1.latency=0ms:100ms:50ms", "--counterexample-states", "200000", "--out", out}
	code, stdout, stderr := delegsim(args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range []string{"report.html", "report.md", "figures/fail.png", "figures/latency.svg", "sweep/results.csv",
		"counterexample-open-dirty-local-read-local-read-exempt.txt"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := reportCommands(t, string(md))
	if got := strings.Join(cmds["this report"], " "); got != strings.Join(append([]string{"delegsim"}, setFlag(args, "--out", "DIR")...), " ") {
		t.Errorf("the report's own command is %q", got)
	}

	table := cmds["the decision table on bz219278"]
	if len(table) == 0 {
		t.Fatalf("no compare command among %v", cmds)
	}
	code, got, errs := delegsim(append(table[1:], "--format", "markdown")...)
	if code != 0 || !strings.Contains(string(md), got) {
		t.Errorf("`%s` (exit %d, %s) does not print the report's table:\n%s", strings.Join(table, " "), code, errs, got)
	}

	sw := cmds["the sweep behind the figures (sweep/results.csv and the figures)"]
	if len(sw) == 0 {
		t.Fatalf("no sweep command among %v", cmds)
	}
	swDir := filepath.Join(dir, "sweep")
	if code, o, e := delegsim(setFlag(sw[1:], "--out", swDir)...); code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(sw, " "), code, o, e)
	}
	for _, f := range []string{"results.csv", "sweep.json"} {
		a, _ := os.ReadFile(filepath.Join(out, "sweep", f))
		b, _ := os.ReadFile(filepath.Join(swDir, f))
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("%s: the sweep command gives another %s", strings.Join(sw, " "), f)
		}
	}

	ex := cmds["the counterexample of local-read-exempt on open-dirty-local-read"]
	if len(ex) == 0 {
		t.Fatalf("no explore command among %v", cmds)
	}
	sched := filepath.Join(dir, "ce.txt")
	if code, o, e := delegsim(setFlag(ex[1:], "--out", sched)...); code != 1 {
		t.Fatalf("%s: exit %d, want 1 (a violation)\n%s%s", strings.Join(ex, " "), code, o, e)
	}
	a, _ := os.ReadFile(filepath.Join(out, "counterexample-open-dirty-local-read-local-read-exempt.txt"))
	b, _ := os.ReadFile(sched)
	if len(a) == 0 || string(a) != string(b) {
		t.Errorf("%s gives another schedule:\n%s\nthe report's:\n%s", strings.Join(ex, " "), b, a)
	}
	diagram := cmds["its sequence diagram (the counterexample of local-read-exempt on open-dirty-local-read)"]
	diagram = setFlag(setFlag(diagram, "--schedule", sched), "--out", filepath.Join(dir, "ce.html"))
	if code, o, e := delegsim(diagram[1:]...); code != 0 {
		t.Errorf("%s: exit %d\n%s%s", strings.Join(diagram, " "), code, o, e)
	}
}

func TestReportRejects(t *testing.T) {
	dir := t.TempDir()
	runCLICases(t, dir, []cliCase{
		{"no out", []string{"report", "bz219278"}, 2, []string{"report needs --out DIR"}, ""},
		{"no scenario", []string{"report", "--out", filepath.Join(dir, "a")}, 2, []string{"report takes one scenario"}, "a"},
		{"unknown scenario", []string{"report", "nope", "--out", filepath.Join(dir, "b")}, 2, []string{`no built-in scenario "nope"`}, "b"},
		{"unknown fix", []string{"report", "bz219278", "--fixes", "nope", "--out", filepath.Join(dir, "c")}, 2, []string{`unknown fix "nope"`}, "c"},
		{"fix not applicable", []string{"report", "bz219278-v40", "--fixes", "mount-v4.0", "--out", filepath.Join(dir, "d")}, 2,
			[]string{"mount-v4.0 does not apply to bz219278-v40"}, "d"},
		{"bad grid", []string{"report", "bz219278", "--vary", "clients.c1.latency=5ms", "--out", filepath.Join(dir, "e")}, 2, []string{"--vary"}, "e"},
		{"out is a file", []string{"report", "bz219278", "--out", "report_test.go"}, 2, []string{"exists and is not a directory"}, ""},
	})
}

// TestReportOldResults: a report is not written over an earlier one
// unless --force, which removes the files the earlier report's manifest
// lists and nothing else; a directory of other files, or another
// command's results, is refused even with --force. Every report ends
// with a manifest of what it wrote, and names the delegsim version.
func TestReportOldResults(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "rep")
	quick := []string{"report", "bz219278", "--fixes", "kernel,nonblock-wait", "--trials", "5", "--explore-states", "0",
		"--safety", "none", "--progress", "off", "--out", out}
	withSweep := append(append([]string{}, quick...), "--sweep-trials", "5", "--vary", "clients.c1.latency=0ms:50ms:50ms")
	noSweep := append(append([]string{}, quick...), "--sweep-trials", "0")
	if code, o, e := delegsim(withSweep...); code != exitOK {
		t.Fatalf("first report: exit %d\n%s%s", code, o, e)
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	if !strings.Contains(string(md), "delegsim "+version.String()) {
		t.Errorf("report.md does not name delegsim %s", version.String())
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !strings.Contains(string(html), "delegsim "+version.String()) {
		t.Errorf("report.html does not name delegsim %s", version.String())
	}
	checkReportManifest(t, out)
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)

	foreign := filepath.Join(dir, "thesis")
	os.MkdirAll(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "thesis.tex"), []byte("mine"), 0o644)
	sweepDir := filepath.Join(dir, "sw")
	if code, o, e := delegsim("sweep", "bz219278", "--vary", "clients.c1.latency=0ms:50ms:50ms", "--policies", "kernel",
		"--trials", "5", "--no-figures", "--progress", "off", "--out", sweepDir); code != exitOK {
		t.Fatalf("sweep: exit %d\n%s%s", code, o, e)
	}
	runCLICases(t, dir, []cliCase{
		{"over an earlier report", noSweep, exitBadUsage, []string{"already holds the results of delegsim report; use --force"}, ""},
		{"into other files", setFlag(append(noSweep, "--force"), "--out", foreign), exitBadUsage, []string{"holds no results of delegsim report"}, ""},
		{"into a sweep", setFlag(append(noSweep, "--force"), "--out", sweepDir), exitBadUsage, []string{"holds the results of delegsim sweep"}, ""},
	})
	if _, err := os.Stat(filepath.Join(out, "figures", "fail.png")); err != nil {
		t.Fatalf("a refused report changed the earlier one: %v", err)
	}

	if code, o, e := delegsim(append(noSweep, "--force")...); code != exitOK {
		t.Fatalf("--force: exit %d\n%s%s", code, o, e)
	}
	for _, gone := range []string{"figures", "sweep"} {
		if _, err := os.Stat(filepath.Join(out, gone)); err == nil {
			t.Errorf("--force left the earlier report's %s beside a report without a sweep", gone)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "notes.txt")); string(b) != "mine" {
		t.Error("--force removed a file delegsim did not write")
	}
	checkReportManifest(t, out)
}

// checkReportManifest: a report directory's manifest lists every file in
// it, with its size, except notes.txt, which the test wrote.
func checkReportManifest(t *testing.T, dir string) {
	t.Helper()
	m, err := sweep.ReadManifest(dir)
	if err != nil || m == nil || m.Command != "report" || !m.Complete || m.Version != version.String() {
		t.Fatalf("manifest %+v: %v", m, err)
	}
	listed := map[string]bool{sweep.ManifestFile: true, "notes.txt": true}
	for _, f := range m.Files {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Name)))
		if err != nil || st.Size() != f.Bytes {
			t.Errorf("manifest lists %s (%d bytes): %v", f.Name, f.Bytes, err)
		}
		listed[f.Name] = true
	}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if !listed[filepath.ToSlash(rel)] {
			t.Errorf("%s is in the directory but not in the manifest", rel)
		}
		return nil
	})
	if !listed["report.html"] || !listed["report.md"] {
		t.Errorf("manifest lacks the report: %+v", m.Files)
	}
}

// TestReportInterrupted: SIGINT or SIGTERM stops a report cleanly, in
// whatever stage it is: exit status 130, and nothing written.
func TestReportInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, tc := range []struct {
		name  string
		sig   syscall.Signal
		stage string // a progress line "delegsim: report: STAGE: N", once N >= need
		need  int
	}{
		{"SIGTERM while comparing", syscall.SIGTERM, "compare bz219278", 1},
		{"SIGINT during the sweep", syscall.SIGINT, "sweep", 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := start(t, dir, nil, "report", "bz219278", "--progress", "lines", "--progress-every", "50ms", "--out", "rep")
			p.waitForCount(t, regexp.MustCompile("^delegsim: report: "+regexp.QuoteMeta(tc.stage)+": ([0-9]+) "), tc.need)
			p.signal(t, tc.sig)
			if code := p.wait(t); code != exitInterrupted {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitInterrupted, p.stderr.String())
			}
			if !strings.Contains(p.stderr.String(), "; nothing written") {
				t.Errorf("stderr does not say nothing was written:\n%s", p.stderr.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "rep")); err == nil {
				t.Error("an interrupted report left its directory")
			}
		})
	}
}
