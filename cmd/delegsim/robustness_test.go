package main

// The reproductions of issue 16, one table test per item: what a new
// user ran, and what delegsim must do instead.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// delegsimWith runs the CLI in-process with stdin and a given stdout.
func delegsimWith(stdinText string, stdout io.Writer, args ...string) (int, string) {
	old := stdin
	stdin = strings.NewReader(stdinText)
	defer func() { stdin = old }()
	var errb bytes.Buffer
	code := dispatch(args, stdout, &errb)
	return code, errb.String()
}

// Item 1: output files. A FIFO, a device and a symbolic link stay what
// they are; "-" is standard output; a failed write to stdout is exit 2.
func TestOutputFilesKeepTheirKind(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) (path string, read func() string, kind fs.FileMode)
	}{
		{"fifo", func(t *testing.T, dir string) (string, func() string, fs.FileMode) {
			p := filepath.Join(dir, "p")
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skip("no FIFOs:", err)
			}
			got := make(chan string, 1)
			go func() {
				f, err := os.Open(p)
				if err != nil {
					got <- err.Error()
					return
				}
				b, _ := io.ReadAll(f)
				f.Close()
				got <- string(b)
			}()
			return p, func() string { return <-got }, fs.ModeNamedPipe
		}},
		{"symlink", func(t *testing.T, dir string) (string, func() string, fs.FileMode) {
			os.WriteFile(filepath.Join(dir, "real.txt"), nil, 0o644)
			os.Symlink("real.txt", filepath.Join(dir, "l"))
			return filepath.Join(dir, "l"), func() string { b, _ := os.ReadFile(filepath.Join(dir, "real.txt")); return string(b) }, fs.ModeSymlink
		}},
		{"device", func(t *testing.T, dir string) (string, func() string, fs.FileMode) {
			return "/dev/null", func() string { return "CB_RECALL" }, fs.ModeCharDevice
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, read, kind := tt.setup(t, t.TempDir())
			code, out, errb := delegsim("run", "bz219278", "--trace", path)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errb)
			}
			if got := read(); !strings.Contains(got, "CB_RECALL") {
				t.Errorf("the trace did not reach the target: %q", got)
			}
			if st, err := os.Lstat(path); err != nil || st.Mode().Type()&kind == 0 {
				t.Errorf("%s is now %v, want it to stay %v", path, st.Mode().Type(), kind)
			}
		})
	}
	t.Run("stdout", func(t *testing.T) {
		code, out, _ := delegsim("run", "bz219278", "--trace", "-", "--format", "json")
		if code != exitOK || !strings.Contains(out, "send CB_RECALL") || !strings.Contains(out, `"delegsim_version"`) {
			t.Errorf("exit %d; stdout lacks the trace or the report:\n%s", code, out)
		}
	})
}

func TestFailedStdoutWriteIsExit2(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	for _, args := range [][]string{
		{"run", "bz219278", "--format", "json"},
		{"run", "bz219278"},
		{"list"},
		{"explain", "bz219278", "--format", "mermaid"},
		{"help"},
	} {
		code, errb := delegsimWith("", full, args...)
		if code != exitBadUsage || !strings.Contains(errb, "no space left on device") {
			t.Errorf("%v >/dev/full: exit %d, stderr %q; want 2 and the write error", args, code, errb)
		}
	}
}

// Item 2: every output path is checked before the work, the message
// names the flag and the path given, not a temporary file.
func TestOutputPathsCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "x")
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("keep"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"explore", "open-dirty-local-read", "--policy", "local-read-exempt", "--out", missing + ".sched"}, "--out: cannot write output: " + missing + ".sched: directory"},
		{[]string{"run", "bz219278", "--trace", missing}, "--trace: cannot write output"},
		{[]string{"check", "bz219278", "--runs", "1000000", "--html", missing}, "--html: cannot write output"},
		{[]string{"compare", "bz219278", "--trials", "1000000", "--out", missing}, "--out: cannot write output"},
		{[]string{"explain", "bz219278", "--out", dir}, "is a directory"},
		{[]string{"schema", "--out", missing}, "--out: cannot write output"},
		{[]string{"sweep", "--trials", "1000000", "--out", file}, "not a directory"},
		{[]string{"sweep", "--trials", "1000000", "--out", filepath.Join(file, "sub")}, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			start := time.Now()
			code, out, errb := delegsim(tt.args...)
			if code != exitBadUsage || !strings.Contains(errb, tt.want) || strings.Contains(errb, ".tmp") {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errb, tt.want)
			}
			if out != "" {
				t.Errorf("printed a result before failing:\n%s", out)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v: the work ran before the path was checked", d)
			}
		})
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Errorf("a refused --out changed the file to %q", b)
	}
}

// Item 3: parameters whose draws overflow model.Time are bad input.
func TestDistributionBounds(t *testing.T) {
	runCLICases(t, t.TempDir(), []cliCase{
		{"the issue's lognormal", []string{"run", "bz219278", "--set", "clients.c1.latency=lognormal:3ms,1e308"}, exitBadUsage,
			[]string{"clients[0].latency", "can draw delays beyond 24h0m0s (allowed: 0 to 24h0m0s)", "sigma at most"}, ""},
		{"a huge exponential", []string{"run", "bz219278", "--set", "server.rpc=exponential:100h"}, exitBadUsage,
			[]string{"server.rpc", "the mean must be at most"}, ""},
		{"a fixed delay of days", []string{"check", "bz219278", "--set", "clients.c1.reaction=48h"}, exitBadUsage,
			[]string{"clients[0].reaction", "a delay must be at most 24h0m0s"}, ""},
		{"a large but possible sigma", []string{"run", "bz219278", "--set", "clients.c1.latency=lognormal:3ms,2"}, exitOK, nil, ""},
	})
}

// Item 4: verdicts agree. docs/checking.md says the kernel keeps
// close-to-open on open-dirty-local-read; explore exhausts that space and
// says so, compare finds no stale read by exploration either, and a search
// cut by a bound says it is undecided and exits 3.
func TestVerdictsAgree(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs/checking.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `open-dirty-local-read` \\| ([^|]*) \\|").FindSubmatch(doc)
	if row == nil || strings.Contains(string(row[1]), "close-to-open") {
		t.Fatalf("docs/checking.md no longer says the kernel keeps close-to-open on open-dirty-local-read: %q", row)
	}
	runCLICases(t, t.TempDir(), []cliCase{
		{"bfs exhausts the kernel's space", []string{"explore", "open-dirty-local-read", "--policy", "kernel"}, exitOK,
			[]string{"exhausted: every reachable state was visited", "held in all 96 complete histories", "verdict: ok"}, ""},
		{"dfs finds nothing within its budget", []string{"explore", "open-dirty-local-read", "--policy", "kernel", "--strategy", "dfs", "--max-states", "20000"}, exitIncomplete,
			[]string{"verdict: UNDECIDED: the max-states bound (20000) was hit; no violation in the 20000 distinct states visited"}, ""},
		{"a cut search checked nothing", []string{"explore", "open-dirty-local-read", "--policy", "kernel", "--max-states", "1000"}, exitIncomplete,
			[]string{"NOT checked: the search reached no complete history", "verdict: UNDECIDED: the max-states bound (1000) was hit"}, ""},
		{"a depth bound", []string{"explore", "bz219278", "--max-depth", "5"}, exitIncomplete, []string{"UNDECIDED: the max-depth bound (5) was hit"}, ""},
		{"the unsafe policy is still found out", []string{"explore", "open-dirty-local-read", "--policy", "local-read-exempt"}, exitFailed,
			[]string{"verdict: VIOLATED (close-to-open)"}, ""},
	})
	code, out, errb := delegsim("compare", "open-dirty-local-read", "--trials", "20", "--format", "json", "--fixes", "kernel,local-read-exempt")
	if code != exitOK {
		t.Fatalf("compare: exit %d: %s", code, errb)
	}
	var tables []struct {
		Policies []struct {
			Policy   string
			StaleCTO int `json:"stale_close_to_open"`
			Explore  *struct{ Stale bool }
			Verdict  string
		}
	}
	if err := json.Unmarshal([]byte(out), &tables); err != nil || len(tables) != 1 {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, r := range tables[0].Policies {
		stale := strings.Contains(r.Verdict, "stale data possible")
		if want := r.Policy == "local-read-exempt"; stale != want || r.Explore == nil || r.Explore.Stale != want {
			t.Errorf("%s: verdict %q, explore %+v; stale data should be possible only under local-read-exempt", r.Policy, r.Verdict, r.Explore)
		}
	}
}

// Item 5: progress and interruption. SIGINT and SIGTERM stop check,
// compare, explore and sweep cleanly: the partial result is written and
// the exit status is 130.
func TestInterruptWritesPartialResults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	tests := []struct {
		name   string
		args   []string
		signal syscall.Signal
		ready  string   // a progress line "delegsim: WHAT: N of", N the work needed before the signal
		need   int      // N
		out    []string // in stdout
		err    []string // in stderr
		file   string   // written despite the interruption
	}{
		{"explore", []string{"explore", abs(t, filepath.Join(repoRoot, "explore/testdata/bz219278-3c3l.yaml"))}, syscall.SIGINT,
			"explore bz219278-3c3l", 1, []string{"search:     NOT exhausted: interrupted", "verdict: UNDECIDED: interrupted"}, []string{"interrupted; the report covers the states visited"}, ""},
		{"check", []string{"check", "bz219278", "--runs", "100000000"}, syscall.SIGTERM,
			"check bz219278", 10, []string{"INTERRUPTED after"}, []string{"interrupted after"}, ""},
		{"compare", []string{"compare", "bz219278", "certbot-nginx", "--trials", "2000", "--explore-states", "0", "--out", "t.txt"}, syscall.SIGINT,
			"compare 2 scenarios", 1, nil, []string{"the output holds the rows that finished"}, "t.txt"},
		// 5000 trials of 3 policies and the baseline per point: once 3
		// points' worth are done, the first point has finished.
		{"sweep", []string{"sweep", "--trials", "5000", "--policies", "kernel,nonblock-wait,cb-getattr-gate", "--out", "s"}, syscall.SIGINT,
			"sweep bz219278", 3 * 4 * 5000, nil, []string{"complete\": false; finish with --resume"}, "s/results.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := start(t, dir, nil, append(tt.args, "--progress", "lines", "--progress-every", "50ms")...)
			p.waitForCount(t, regexp.MustCompile("^delegsim: "+regexp.QuoteMeta(tt.ready)+": ([0-9]+) "), tt.need)
			p.signal(t, tt.signal)
			if code := p.wait(t); code != exitInterrupted {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInterrupted, p.stdout.String(), p.stderr.String())
			}
			for _, w := range tt.out {
				if !strings.Contains(p.stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, p.stdout.String())
				}
			}
			for _, w := range tt.err {
				if !strings.Contains(p.stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, p.stderr.String())
				}
			}
			if tt.file != "" {
				if b, err := os.ReadFile(filepath.Join(dir, tt.file)); err != nil || len(b) == 0 {
					t.Errorf("partial result %s not written: %v", tt.file, err)
				}
			}
		})
	}
}

// Item 6: bounds on input and memory.
func TestInputBounds(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, append([]byte("name: big\nversion: 1\ndescription: "), bytes.Repeat([]byte("x"), 2<<20)...), 0o644)
	var many strings.Builder
	many.WriteString("name: many\nversion: 1\nfiles:\n")
	for i := range 1001 {
		fmt.Fprintf(&many, "  - {name: f%d}\n", i)
	}
	many.WriteString("locals: [{name: l1, script: [{op: cat, file: f0}]}]\n")
	manyPath := filepath.Join(dir, "many.yaml")
	os.WriteFile(manyPath, []byte(many.String()), 0o644)
	runCLICases(t, dir, []cliCase{
		{"a file larger than 1 MiB", []string{"run", big}, exitBadUsage, []string{"big.yaml: larger than 1048576 bytes"}, ""},
		{"too many files", []string{"validate", manyPath}, exitBadUsage, []string{"many.yaml:4: files: 1001 entries; a scenario may have at most 1000"}, ""},
		{"a memory bound", []string{"explore", filepath.Join(repoRoot, "explore/testdata/bz219278-3c3l.yaml"), "--max-memory", "1M"}, exitIncomplete,
			[]string{"needs about 610 MiB (~64 B/state); --max-memory 1 MiB", "the search may stop at --max-memory before --max-states",
				"NOT exhausted: the max-memory bound was hit (1 MiB)"}, ""},
		{"a bad memory size", []string{"explore", "bz219278", "--max-memory", "lots"}, exitBadUsage, []string{"--max-memory: \"lots\" is not a size"}, ""},
		{"a percentage", []string{"explore", "bz219278", "--max-memory", "50%"}, exitOK, []string{"--max-memory"}, ""},
	})
}

// Item 7: old results are never silently overwritten or mixed with new
// ones.
func TestOldResults(t *testing.T) {
	dir := t.TempDir()
	d := func(n string) string { return filepath.Join(dir, n) }
	common := []string{"sweep", "bz219278", "--set", "locals.l1.script.0.at=1s", "--vary", "clients.c1.latency=0ms:60ms:30ms",
		"--policies", "kernel,nonblock-wait", "--trials", "20", "--progress", "off"}
	mustRun := func(args ...string) string {
		t.Helper()
		code, out, errb := delegsim(args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errb)
		}
		return out + errb
	}
	mustRun(append(common, "--shard", "0/2", "--out", d("s0"))...)
	mustRun(append(common, "--shard", "1/2", "--out", d("s1"))...)
	before, _ := os.ReadFile(filepath.Join(d("s0"), "results.csv"))

	// An earlier sweep of two parameters left fail-1.png and so on.
	mustRun("sweep", "bz219278", "--vary", "clients.c1.latency=0ms:60ms:60ms", "--vary", "policy_options.nonblock_wait=30ms:60ms:30ms",
		"--policies", "kernel,nonblock-wait", "--trials", "5", "--progress", "off", "--out", d("old"))
	os.WriteFile(filepath.Join(d("old"), "notes.txt"), []byte("mine"), 0o644)

	runCLICases(t, dir, []cliCase{
		{"merge into a shard", []string{"merge", d("s0"), d("s1"), "--out", d("s0")}, exitBadUsage, []string{"is the shard directory", "would overwrite"}, ""},
		{"merge into a shard by another path", []string{"merge", d("s0"), d("s1"), "--out", d("s0") + "/."}, exitBadUsage, []string{"would overwrite"}, ""},
		{"sweep into old results", append(common, "--out", d("old")), exitBadUsage, []string{"already holds a sweep's results; use --force"}, ""},
		{"sweep into a foreign directory", append(common, "--out", filepath.Join(repoRoot, "docs"), "--force"), exitBadUsage, []string{"holds no sweep"}, ""},
		{"force and resume", append(common, "--out", d("old"), "--force", "--resume"), exitBadUsage, []string{"exclude each other"}, ""},
		{"resume nothing", append(common, "--out", d("none"), "--resume"), exitBadUsage, []string{"nothing to resume"}, ""},
		{"resume another sweep", append(common, "--out", d("s0"), "--resume"), exitBadUsage, []string{"another sweep"}, ""},
	})
	if after, _ := os.ReadFile(filepath.Join(d("s0"), "results.csv")); !bytes.Equal(before, after) {
		t.Error("a refused merge changed the shard")
	}

	mustRun(append(common, "--out", d("old"), "--force")...)
	if _, err := os.Stat(filepath.Join(d("old"), "fail-1.png")); err == nil {
		t.Error("--force left the earlier sweep's fail-1.png beside the new figures")
	}
	if b, _ := os.ReadFile(filepath.Join(d("old"), "notes.txt")); string(b) != "mine" {
		t.Error("--force removed a file delegsim did not write")
	}
	checkManifest(t, d("old"))
}

// checkManifest: the manifest lists every file delegsim wrote, with its
// size and hash, and nothing else.
func checkManifest(t *testing.T, dir string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Version  string `json:"delegsim_version"`
		Complete bool
		Files    []struct {
			Name  string
			Bytes int64
		}
	}
	if err := json.Unmarshal(data, &m); err != nil || m.Version == "" || !m.Complete {
		t.Fatalf("manifest %s: %v", data, err)
	}
	listed := map[string]bool{"manifest.json": true, "notes.txt": true}
	for _, f := range m.Files {
		st, err := os.Stat(filepath.Join(dir, f.Name))
		if err != nil || st.Size() != f.Bytes {
			t.Errorf("manifest lists %s (%d bytes): %v", f.Name, f.Bytes, err)
		}
		listed[f.Name] = true
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !listed[e.Name()] {
			t.Errorf("%s is in the directory but not in the manifest", e.Name())
		}
	}
	for _, want := range []string{"results.csv", "sweep.json", "fail.png", "cost.svg"} {
		if !listed[want] {
			t.Errorf("manifest lacks %s", want)
		}
	}
}

// TestResumeRunsOnlyMissingPoints: an interrupted sweep (here: one whose
// results.csv lost its last point, and whose sweep.json says incomplete)
// is finished by --resume, which runs that point only, and ends with the
// same results as an uninterrupted sweep.
func TestResumeRunsOnlyMissingPoints(t *testing.T) {
	dir := t.TempDir()
	common := []string{"sweep", "bz219278", "--set", "locals.l1.script.0.at=1s", "--vary", "clients.c1.latency=0ms:60ms:30ms",
		"--policies", "kernel,nonblock-wait", "--trials", "20", "--progress", "off", "--no-figures"}
	whole, part := filepath.Join(dir, "whole"), filepath.Join(dir, "part")
	for _, out := range []string{whole, part} {
		if code, _, errb := delegsim(append(common, "--out", out)...); code != exitOK {
			t.Fatalf("exit %d: %s", code, errb)
		}
	}
	// Interrupt part after its first two points.
	csv, _ := os.ReadFile(filepath.Join(part, "results.csv"))
	var kept []string
	for _, l := range strings.Split(strings.TrimSuffix(string(csv), "\n"), "\n") {
		if !strings.HasPrefix(l, "2,") {
			kept = append(kept, l)
		}
	}
	os.WriteFile(filepath.Join(part, "results.csv"), []byte(strings.Join(kept, "\n")+"\n"), 0o644)
	meta, _ := os.ReadFile(filepath.Join(part, "sweep.json"))
	os.WriteFile(filepath.Join(part, "sweep.json"), bytes.Replace(meta, []byte(`"complete": true`), []byte(`"complete": false`), 1), 0o644)

	code, out, errb := delegsim(append(common, "--out", part, "--resume")...)
	if code != exitOK {
		t.Fatalf("resume: exit %d\n%s%s", code, out, errb)
	}
	// One point × (2 policies + the hidden baseline) × 20 trials.
	if !strings.Contains(errb, "resuming "+part+": 2 of its points are done") || !strings.HasPrefix(out, "60 trials in ") {
		t.Errorf("resume ran more than the missing point:\n%s%s", out, errb)
	}
	a, _ := os.ReadFile(filepath.Join(whole, "results.csv"))
	b, _ := os.ReadFile(filepath.Join(part, "results.csv"))
	if !bytes.Equal(a, b) {
		t.Errorf("resumed results differ from an uninterrupted sweep's:\n%s---\n%s", a, b)
	}
	if m, _ := os.ReadFile(filepath.Join(part, "sweep.json")); !bytes.Contains(m, []byte(`"complete": true`)) {
		t.Error("the resumed sweep.json does not say complete")
	}
}

// Item 8: the habits of a good CLI.
func TestConventions(t *testing.T) {
	for _, name := range commandNames() {
		code, out, errb := delegsim(name, "--help")
		if code != exitOK || !strings.HasPrefix(out, "usage: delegsim "+name) || errb != "" {
			t.Errorf("%s --help: exit %d, stdout %.40q, stderr %q; want the usage on stdout and 0", name, code, out, errb)
		}
		if _, h, _ := delegsim("help", name); h != out {
			t.Errorf("delegsim help %s differs from %s --help", name, name)
		}
		if strings.Contains(out, "  -") && regexp.MustCompile(`(?m)^  -[a-z]`).MatchString(out) {
			t.Errorf("%s --help shows single-dash flags:\n%s", name, out)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin.yaml")
	os.WriteFile(bin, []byte("name: x\x00\x01\x02"), 0o644)
	two := filepath.Join(dir, "two.yaml")
	os.WriteFile(two, []byte("name: a\nversion: 1\nlocals: [{name: l1, script: []}]\n---\nname: b\n"), 0o644)
	runCLICases(t, dir, []cliCase{
		{"usage names flag values", []string{"run", "--help"}, exitOK, []string{"--policy NAME", "--trace FILE", "--set KEY=VALUE"}, ""},
		{"help lists exit statuses", []string{"help"}, exitOK, []string{"130  interrupted", "3    a search stopped before deciding"}, ""},
		{"help exit-status", []string{"help", "exit-status"}, exitOK, []string{"Exit status:"}, ""},
		{"help of nothing", []string{"help", "nope"}, exitBadUsage, []string{`no command "nope"`}, ""},
		{"--version", []string{"--version"}, exitOK, []string{"delegsim "}, ""},
		{"a bad flag hints at help", []string{"run", "bz219278", "--polcy", "x"}, exitBadUsage, []string{"delegsim: flag provided but not defined: --polcy (see: delegsim help run)"}, ""},
		{"a binary scenario blames the file", []string{"run", bin}, exitBadUsage, []string{"bin.yaml: not a YAML scenario: binary data at byte 7"}, ""},
		{"unknown policy, names listed plainly", []string{"run", "bz219278", "--policy", "kernal"}, exitBadUsage,
			[]string{`--policy: unknown policy "kernal" (allowed: cb-getattr-gate, kernel, local-read-exempt`}, ""},
		{"lease 0s", []string{"run", "bz219278", "--set", "server.lease=0s"}, exitBadUsage, []string{"server.lease: must be at least 1s, got 0s"}, ""},
		{"a second YAML document", []string{"validate", two}, exitBadUsage, []string{"two.yaml:4: a second YAML document"}, ""},
		{"negative workers", []string{"sweep", "--workers", "-3"}, exitBadUsage, []string{"--workers -3 is negative"}, ""},
		{"negative workers in compare", []string{"compare", "--workers", "-3"}, exitBadUsage, []string{"--workers -3 is negative"}, ""},
		{"validate", []string{"validate", filepath.Join(repoRoot, "scenarios", "bz219278.yaml"), "certbot-nginx"}, exitOK, []string{"bz219278.yaml: ok (bz219278)", "certbot-nginx: ok"}, ""},
		{"validate a bad file among good ones", []string{"validate", "bz219278", bin}, exitBadUsage, []string{"bz219278: ok", "bin.yaml: not a YAML scenario"}, ""},
		{"completion bash", []string{"completion", "bash"}, exitOK, []string{"complete -C ", " delegsim"}, ""},
		{"completion zsh", []string{"completion", "zsh"}, exitOK, []string{"bashcompinit", "complete -o nospace -C"}, ""},
		{"completion fish", []string{"completion", "fish"}, exitOK, []string{"complete -f -c delegsim", "COMP_LINE"}, ""},
		{"completion of another shell", []string{"completion", "tcsh"}, exitBadUsage, []string{"allowed: bash, zsh, fish"}, ""},
	})

	code, errb := delegsimWith(mustRead(t, filepath.Join(repoRoot, "scenarios", "bz219278.yaml")), io.Discard, "run", "-")
	if code != exitOK {
		t.Errorf("run - (standard input): exit %d: %s", code, errb)
	}
	if code, errb := delegsimWith("name: [", io.Discard, "validate", "-"); code != exitBadUsage || !strings.Contains(errb, "(standard input):1") {
		t.Errorf("validate - of bad YAML: exit %d, %q", code, errb)
	}
	_, schema, _ := delegsim("schema")
	if want := mustRead(t, filepath.Join(repoRoot, "scenarios", "scenario.schema.json")); schema != want {
		t.Error("delegsim schema differs from scenarios/scenario.schema.json")
	}
}

func abs(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestVersionInEveryOutput: every JSON report starts with the version,
// results.csv names it in a header comment, HTML pages carry it.
func TestVersionInEveryOutput(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"run", "bz219278", "--format", "json"},
		{"list", "--format", "json"},
		{"check", "bz219278", "--runs", "2", "--format", "json"},
		{"explore", "bz219278", "--format", "json"},
		{"compare", "bz219278", "--trials", "2", "--explore-states", "0", "--format", "json"},
	} {
		_, out, _ := delegsim(args...)
		if !regexp.MustCompile(`^(\[\s*)?\{\s*"delegsim_version": "[^"]+",`).MatchString(out) {
			t.Errorf("%v: the JSON does not start with delegsim_version:\n%.200s", args, out)
		}
	}
	html := filepath.Join(dir, "e.html")
	delegsim("explain", "bz219278", "--format", "html", "--out", html)
	check := filepath.Join(dir, "c.html")
	delegsim("check", "bz219278", "--runs", "1", "--html", check)
	for _, p := range []string{html, check} {
		if !strings.Contains(mustRead(t, p), `<meta name="generator" content="delegsim `) {
			t.Errorf("%s does not carry the version", p)
		}
	}
	out := filepath.Join(dir, "s")
	delegsim("sweep", "--trials", "2", "--vary", "clients.c1.latency=0ms:10ms:10ms", "--no-figures", "--out", out, "--progress", "off")
	if csv := mustRead(t, filepath.Join(out, "results.csv")); !strings.HasPrefix(csv, "# delegsim ") {
		t.Errorf("results.csv has no version comment:\n%.100s", csv)
	}
	if meta := mustRead(t, filepath.Join(out, "sweep.json")); !strings.Contains(meta, `"delegsim_version"`) {
		t.Errorf("sweep.json has no version")
	}
}

// TestShellCompletion runs delegsim as bash's complete -C does.
func TestShellCompletion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	tests := []struct {
		line string
		want []string
	}{
		{"delegsim ex", []string{"explain", "explore"}},
		{"delegsim run bz219278 --pol", []string{"--policy"}},
		{"delegsim run bz219278 --policy ke", []string{"kernel"}},
		{"delegsim explore --strategy ", []string{"bfs", "dfs"}},
		{"delegsim check certbot", []string{"certbot-nginx"}},
		{"delegsim explain bz219278 --format ", []string{"html", "mermaid", "text"}},
		{"delegsim help sw", []string{"sweep"}},
	}
	for _, tt := range tests {
		p := start(t, t.TempDir(), []string{"COMP_LINE=" + tt.line, fmt.Sprintf("COMP_POINT=%d", len(tt.line))})
		if code := p.wait(t); code != 0 {
			t.Errorf("%q: exit %d: %s", tt.line, code, p.stderr.String())
		}
		got := strings.Fields(p.stdout.String())
		for _, w := range tt.want {
			if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+w+" ") {
				t.Errorf("%q completes to %v, lacking %q", tt.line, got, w)
			}
		}
	}
}
