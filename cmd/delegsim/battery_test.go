package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// batteryBase is a valid scenario the battery breaks one way at a time.
const batteryBase = `name: t
version: 1
files: [{name: f}]
server: {lease: 90s}
clients:
  - name: c1
    latency: 5ms
    fore: {loss: 0}
    script:
      - {at: 0s, op: open, file: f, flags: [O_RDWR, O_CREAT]}
      - {op: write, file: f, bytes: 10}
      - {op: close, file: f}
locals:
  - name: l1
    script:
      - {at: 100ms, op: lsattr, file: f, retry: {attempts: 2, delay: 10ms, backoff: 2}}
expect:
  - {name: it runs, op: "l1#1", result: ok}
`

// TestBadInputBattery is issue 16's battery of bad input, kept in the
// suite: every command line is refused with exit status 2, a message on
// stderr that names the problem, nothing on stdout, and no file left in
// the output directory.
func TestBadInputBattery(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	n := 0
	file := func(content string) string {
		n++
		p := filepath.Join(dir, fmt.Sprintf("s%03d.yaml", n))
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	edit := func(old, new string) string {
		if !strings.Contains(batteryBase, old) {
			t.Fatalf("battery: %q not in the base scenario", old)
		}
		return file(strings.Replace(batteryBase, old, new, 1))
	}
	good := file(batteryBase)
	if code, o, e := delegsim("run", good); code != exitOK {
		t.Fatalf("the base scenario does not run: %d\n%s%s", code, o, e)
	}
	o := func(name string) string { return filepath.Join(out, name) }

	type bad struct {
		args []string
		want string
	}
	var cases []bad
	add := func(want string, args ...string) { cases = append(cases, bad{args, want}) }

	// Scenario files.
	add("no built-in scenario", "run", "bz21927")
	add("no such file or directory", "run", filepath.Join(dir, "missing.yaml"))
	add("is a directory", "run", dir+"/")
	add("empty scenario file", "run", file(""))
	add("binary data at byte", "run", file("name: t\x00\x01"))
	add("not a YAML scenario", "run", file("\xff\xfe\xfd"))
	add("did not find expected", "run", file("name: [unclosed\n"))
	add("a second YAML document", "run", file(batteryBase+"---\nname: u\n"))
	add(`unknown field "profle"`, "run", edit("version: 1", "version: 1\nprofle: linux-6.12"))
	add(`unknown field "latncy"`, "run", edit("latency: 5ms", "latncy: 5ms"))
	add(`unknown policy "kernal"`, "run", edit("version: 1", "version: 1\npolicy: kernal"))
	add(`unknown profile "linux-5.4"`, "run", edit("version: 1", "version: 1\nprofile: linux-5.4"))
	add("must be 1", "run", edit("version: 1", "version: 2"))
	add(`"one" is not a valid integer`, "run", edit("version: 1", "version: one"))
	add("negative duration", "run", edit("latency: 5ms", "latency: -5ms"))
	add("bad duration", "run", edit("latency: 5ms", "latency: 5"))
	add("bad duration", "run", edit("latency: 5ms", "latency: NaNms"))
	add("unknown distribution", "run", edit("latency: 5ms", "latency: gamma:3ms"))
	add("below min", "run", edit("latency: 5ms", "latency: uniform:5ms..1ms"))
	add("sigma must be a number", "run", edit("latency: 5ms", "latency: lognormal:3ms,-1"))
	add("can draw delays beyond", "run", edit("latency: 5ms", "latency: lognormal:3ms,1e308"))
	add("can draw delays beyond", "run", edit("latency: 5ms", "latency: 25h"))
	add("[0, 1]", "run", edit("fore: {loss: 0}", "fore: {loss: 1.5}"))
	add("[0, 1]", "run", edit("fore: {loss: 0}", "fore: {loss: .nan}"))
	add("must be at least 1s", "run", edit("lease: 90s", "lease: 0s"))
	add("must be at least 1s", "run", edit("lease: 90s", "lease: 500ms"))
	add("must be >= 0", "run", edit("files: [{name: f}]", "files: [{name: f, size: -1}]"))
	add("declared twice", "run", edit("files: [{name: f}]", "files: [{name: f}, {name: f}]"))
	add("required", "run", edit("files: [{name: f}]", "files: [{size: 1}]"))
	add(`file "g" is not declared`, "run", edit("{op: write, file: f", "{op: write, file: g"))
	add(`unknown flag "O_RDWRX"`, "run", edit("[O_RDWR, O_CREAT]", "[O_RDWRX]"))
	add("give exactly one of O_RDONLY", "run", edit("[O_RDWR, O_CREAT]", "[O_RDWR, O_RDONLY]"))
	add("only open takes flags", "run", edit("{op: close, file: f}", "{op: close, file: f, flags: [O_RDWR]}"))
	add(`unknown client operation "opne"`, "run", edit("op: open", "op: opne"))
	add(`unknown local operation "lsatr"`, "run", edit("op: lsattr", "op: lsatr"))
	add("a write needs bytes > 0", "run", edit("bytes: 10", "bytes: 0"))
	add("must be >= 0", "run", edit("bytes: 10", "bytes: -10"))
	add(`"0.5" is not a valid integer`, "run", edit("bytes: 10", "bytes: 0.5"))
	add("must be in [0, 1000]", "run", edit("attempts: 2", "attempts: 1001"))
	add("must be a factor in [0, 100]", "run", edit("backoff: 2", "backoff: 101"))
	add(`unknown NFS version "4.3"`, "run", edit("latency: 5ms", "latency: 5ms\n    version: \"4.3\""))
	add(`unknown mode "half"`, "run", edit("latency: 5ms", "latency: 5ms\n    close_flush: half"))
	add("ends (", "run", edit("fore: {loss: 0}", "fore: {loss: 0, partitions: [{from: 2s, to: 1s}]}"))
	add("used twice", "run", edit("- name: l1", "- name: c1"))
	add("may not contain", "run", edit("- name: l1", "- name: l#1"))
	add("locals[0].name: required", "run", edit("  - name: l1\n    script:", "  - script:"))
	add("at least one client or local process", "run", file("name: t\nversion: 1\n"))
	add("give exactly one of op, count, finished", "run", edit(`{name: it runs, op: "l1#1", result: ok}`, `{name: x, op: "l1#1", count: grant, eq: 1}`))
	add(`unknown result "OK"`, "run", edit("result: ok", "result: OK"))
	add("does not name an operation", "run", edit(`op: "l1#1"`, `op: "l9#1"`))
	add(`unknown event or message "grnat"`, "run", edit(`{name: it runs, op: "l1#1", result: ok}`, `{name: x, count: grnat, eq: 1}`))
	add("count needs eq, min or max", "run", edit(`{name: it runs, op: "l1#1", result: ok}`, `{name: x, count: grant}`))
	add(`unknown policy "nope"`, "run", edit("result: ok}", "result: ok, policies: [nope]}"))
	add("expected a list", "run", edit("files: [{name: f}]", "files: f"))
	add("expected a mapping of fields", "run", edit("server: {lease: 90s}", "server: 90s"))
	add("expected a single value", "run", edit("latency: 5ms", "latency: [5ms]"))
	add("at most 1000", "run", file("name: t\nversion: 1\nlocals: [{name: l1, script: ["+strings.Repeat("{op: cat, file: f},", 1001)+"]}]\nfiles: [{name: f}]\n"))
	add("larger than 1048576 bytes", "run", file("name: t\n#"+strings.Repeat("x", 1<<20)+"\n"))
	// Flags and overrides.
	add(`--policy: unknown policy "kernal"`, "run", good, "--policy", "kernal")
	add(`--profile: unknown profile "linux-5.4"`, "run", good, "--profile", "linux-5.4")
	add("--seed", "run", good, "--seed", "-1")
	add("--seed", "run", good, "--seed", "1.5")
	add("--seed", "run", good, "--seed", "99999999999999999999")
	add("allowed: text, json", "run", good, "--format", "yaml")
	add("is not KEY=VALUE", "run", good, "--set", "clients.c1.latency")
	add("(--set): clients[0].latncy", "run", good, "--set", "clients.c1.latncy=5ms")
	add("no element named", "run", good, "--set", "clients.c9.latency=1ms")
	add("is a value, not a mapping or list", "run", good, "--set", "version.x=1")
	add("(--set): clients[0].latency: negative duration", "run", good, "--set", "clients.c1.latency=-1ms")
	add("flag provided but not defined: --polcy", "run", good, "--polcy", "x")
	add("flag needs an argument", "run", good, "--policy")
	add("run takes one scenario", "run")
	add("run takes one scenario", "run", good, good)
	add("--trace: cannot write output", "run", good, "--trace", filepath.Join(dir, "no", "t.txt"))
	add("is a directory", "run", good, "--trace", out)
	add("no such file or directory", "run", good, "--schedule", filepath.Join(dir, "none.sched"))
	// check.
	add("need at least one run", "check", good, "--runs", "0")
	add("need at least one run", "check", good, "--runs", "-5")
	add(`unknown consistency model "strict"`, "check", good, "--consistency", "strict")
	add("is a directory", "check", good, "--html", out)
	add(`unknown progress mode "fancy"`, "check", good, "--progress", "fancy")
	add("--progress-every 0s: must be positive", "check", good, "--progress-every", "0s")
	add("check takes one scenario", "check")
	// explore.
	add(`unknown strategy "random"`, "explore", good, "--strategy", "random")
	add("must be positive", "explore", good, "--max-depth", "0")
	add("must be positive", "explore", good, "--max-states", "-1")
	add("must not be negative", "explore", good, "--max-delay", "-1s")
	add("--consistency", "explore", good, "--consistency", "eventual")
	add("is not a size", "explore", good, "--max-memory", "0")
	add("(0, 100]", "explore", good, "--max-memory", "101%")
	add("--out: cannot write output", "explore", good, "--out", filepath.Join(dir, "no", "x.sched"))
	add("explore takes one scenario", "explore")
	// explain.
	add("unknown --format", "explain", good, "--format", "svg")
	add("is a directory", "explain", good, "--out", out)
	add("explain takes one scenario", "explain")
	// compare.
	add("unknown --format", "compare", good, "--format", "csv")
	add("--trials 0", "compare", good, "--trials", "0")
	add("--explore-states -1 is negative", "compare", good, "--explore-states", "-1")
	add("flag provided but not defined: --policies", "compare", good, "--policies", "kernel")
	add(`unknown fix "nope"`, "compare", good, "--fixes", "kernel,nope")
	add("--seed", "compare", good, "--seed", "x")
	add("--workers -1 is negative", "compare", good, "--workers", "-1")
	add(`--profile: unknown profile "bsd"`, "compare", good, "--profile", "bsd")
	add("no built-in scenario", "compare", "nope")
	add("--out: cannot write output", "compare", good, "--out", filepath.Join(dir, "no", "t.txt"))
	// sweep and merge.
	add(`STEP "0ms" must be > 0`, "sweep", "--vary", "clients.c1.latency=0ms:10ms:0ms", "--out", o("a"))
	add("is below FROM", "sweep", "--vary", "clients.c1.latency=10ms:0ms:1ms", "--out", o("a"))
	add(`unknown field "latncy"`, "sweep", "--vary", "clients.c1.latncy=0ms:10ms:10ms", "--out", o("a"))
	add("--trials must be >= 1", "sweep", "--trials", "0", "--out", o("a"))
	add("I must be in [0, 3)", "sweep", "--shard", "3/3", "--out", o("a"))
	add("want I/N", "sweep", "--shard", "1-3", "--out", o("a"))
	add(`unknown policy "nope"`, "sweep", "--policies", "kernel,nope", "--out", o("a"))
	add("--seed", "sweep", "--seed", "-1", "--out", o("a"))
	add("strict", "sweep", "--consistency", "strict", "--out", o("a"))
	add("at most one scenario", "sweep", "bz219278", "certbot-nginx", "--out", o("a"))
	add("--workers -3 is negative", "sweep", "--workers", "-3", "--out", o("a"))
	add("not -", "sweep", "-", "--out", o("a"))
	add("exclude each other", "sweep", "--force", "--resume", "--out", o("a"))
	add("nothing to resume", "sweep", "--resume", "--trials", "1", "--out", o("a"))
	add("needs the shards' output directories", "merge", "--out", o("m"))
	add("needs --out", "merge", dir)
	add("a sweep output directory?", "merge", out, "--out", o("m"))
	// The others.
	add("list takes no arguments", "list", "x")
	add("unknown --format", "list", "--format", "xml")
	add("validate needs at least one scenario file", "validate")
	add("(--set): clients[0].callback.loss", "validate", good, "--set", "clients.c1.callback.loss=2")
	add("no such file or directory", "merge", filepath.Join(dir, "nowhere"), "--out", o("m"))
	add("is not a size", "explore", good, "--max-memory", "lots")
	add(`invalid value "many" for flag --runs`, "check", good, "--runs", "many")
	add("schema takes no arguments", "schema", "x")
	add("completion takes one shell", "completion")
	add(`unknown shell "tcsh"`, "completion", "tcsh")
	add(`no command "runn"`, "help", "runn")
	add(`unknown command "runn"`, "runn")

	for _, c := range cases {
		name := strings.Join(c.args, " ")
		name = strings.ReplaceAll(name, dir, "DIR")
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := delegsim(c.args...)
			if code != exitBadUsage {
				t.Errorf("exit %d, want 2\nstdout: %.300s\nstderr: %.300s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %.400q lacks %q", stderr, c.want)
			}
			if !strings.HasPrefix(stderr, "delegsim: ") && !strings.Contains(stderr, ".yaml") && !strings.Contains(stderr, "flag") {
				t.Errorf("stderr %.200q does not say who is speaking", stderr)
			}
			if stdout != "" {
				t.Errorf("bad input printed a result:\n%.300s", stdout)
			}
			if ents, _ := os.ReadDir(out); len(ents) > 0 {
				t.Errorf("bad input left %v in the output directory", ents)
				for _, e := range ents {
					os.RemoveAll(filepath.Join(out, e.Name()))
				}
			}
		})
	}
	if len(cases) < 130 {
		t.Errorf("the battery has %d cases; keep at least the issue's 130-odd", len(cases))
	}
}
