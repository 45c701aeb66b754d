package scenarios_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// matrix returns the profiles and policies a scenario's expectations
// speak of: the scenario's own profile list (else its profile), and every
// policy an expectation names (else kernel).
func matrix(sc *scenarios.Scenario) (profiles, policies []string) {
	profiles = sc.Spec.Profiles
	if len(profiles) == 0 {
		profiles = []string{sc.Spec.Profile}
		if sc.Spec.Profile == "" {
			profiles = []string{model.DefaultProfile}
		}
	}
	policies = []string{"kernel"}
	for _, e := range sc.Spec.Expect {
		for _, p := range e.Policies {
			if !slices.Contains(policies, p) {
				policies = append(policies, p)
			}
		}
	}
	return profiles, policies
}

// TestBuiltinScenarios runs every built-in scenario under every profile
// and policy its expectations name: the scenario library is the
// regression suite of the protocol model. Every expectation must be
// exercised at least once, so a typo in a profile or policy list cannot
// silently disable one.
func TestBuiltinScenarios(t *testing.T) {
	for _, name := range scenarios.Names() {
		t.Run(name, func(t *testing.T) {
			sc, err := scenarios.Load(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			profiles, policies := matrix(sc)
			used := map[string]bool{}
			for _, prof := range profiles {
				for _, pol := range policies {
					res, _, err := sc.Run(scenarios.Options{Profile: prof, Policy: pol})
					if err != nil {
						t.Fatal(err)
					}
					for _, o := range sc.Check(res, prof, pol) {
						used[o.Name] = true
						if !o.OK {
							t.Errorf("%s under %s/%s: %s: %s", name, prof, pol, o.Name, o.Detail)
						}
					}
				}
			}
			for _, e := range sc.Spec.Expect {
				if !used[e.Label()] {
					t.Errorf("expectation %q never applies (profiles %v, policies %v)", e.Label(), profiles, policies)
				}
			}
		})
	}
}

// TestExpectationsCanFail guards against expectations that hold whatever
// happens: the reproducer's EAGAIN expectation must fail once write
// delegations are off.
func TestExpectationsCanFail(t *testing.T) {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := sc.Run(scenarios.Options{Policy: "no-write-deleg"})
	if err != nil {
		t.Fatal(err)
	}
	// Check as if the kernel policy's expectations applied.
	failed := 0
	for _, o := range sc.Check(res, model.DefaultProfile, "kernel") {
		if !o.OK {
			failed++
		}
	}
	if failed < 2 {
		t.Fatalf("only %d kernel expectations failed on a run without delegations", failed)
	}
}

// TestDeterminism: the same scenario, policy and seed give the same
// trace, byte for byte; another seed gives another one.
func TestDeterminism(t *testing.T) {
	sc, err := scenarios.Load("certbot-nginx", nil)
	if err != nil {
		t.Fatal(err)
	}
	trace := func(seed uint64) string {
		res, _, err := sc.Run(scenarios.Options{Seed: seed, HasSeed: true, Trace: true})
		if err != nil {
			t.Fatal(err)
		}
		return res.TraceText()
	}
	a, b := trace(7), trace(7)
	if a != b {
		t.Fatal("same seed, different traces")
	}
	if trace(8) == a {
		t.Fatal("different seeds gave identical traces: the seed is not used")
	}
}

func TestOverrides(t *testing.T) {
	tests := []struct {
		set  string
		want func(*scenarios.Spec) bool
	}{
		{"clients.c1.latency=20ms", func(s *scenarios.Spec) bool { return s.Clients[0].Latency.String() == "20ms" }},
		{"clients.0.callback.loss=0.5", func(s *scenarios.Spec) bool { return s.Clients[0].Callback.Loss == 0.5 }},
		{"locals.l1.script.1.retry={attempts: 3, delay: 100ms}", func(s *scenarios.Spec) bool {
			return s.Locals[0].Script[1].Retry.Attempts == 3
		}},
		{"policy=nonblock-wait", func(s *scenarios.Spec) bool { return s.Policy == "nonblock-wait" }},
		{"policy_options.nonblock_wait=50ms", func(s *scenarios.Spec) bool { return s.PolicyOpts.NonblockWait.T() == 50e6 }},
	}
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			sc, err := scenarios.Load("bz219278", []string{tt.set})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(&sc.Spec) {
				t.Fatalf("override %s not applied: %+v", tt.set, sc.Spec)
			}
		})
	}
}

// TestBadInput: every kind of bad scenario is rejected with an error that
// names the file, the line, the field and what is allowed.
func TestBadInput(t *testing.T) {
	const good = `name: t
version: 1
files: [{name: f}]
clients:
  - name: c1
    script:
      - {at: 0s, op: open, file: f, flags: [O_RDWR, O_CREAT]}
`
	tests := []struct {
		name, yaml string
		sets       []string
		want       []string // substrings of the error
	}{
		{"malformed YAML", "name: [unclosed\n", nil, []string{"t.yaml:"}},
		{"unknown key", strings.Replace(good, "version: 1", "version: 1\nprofle: linux-6.6", 1), nil,
			[]string{"t.yaml:3", `unknown field "profle"`, "allowed here:", "profile"}},
		{"unknown nested key", strings.Replace(good, "name: c1", "name: c1\n    latncy: 5ms", 1), nil,
			[]string{"t.yaml:6", "clients[0].latncy", "allowed here:", "latency"}},
		{"unknown policy", strings.Replace(good, "version: 1", "version: 1\npolicy: kernal", 1), nil,
			[]string{"t.yaml:3", "policy", `unknown policy "kernal"`, "nonblock-wait"}},
		{"unknown profile", good, []string{"profile=linux-5.4"}, []string{"(--set)", "linux-6.12"}},
		{"negative latency", good, []string{"clients.c1.latency=-5ms"}, []string{"clients[0].latency", "negative duration"}},
		{"NaN latency", good, []string{"clients.c1.latency=NaNms"}, []string{"clients[0].latency", "bad duration"}},
		{"bad distribution", good, []string{"clients.c1.latency=gamma:3ms"}, []string{"unknown distribution", "lognormal"}},
		{"probability 1.5", good, []string{"clients.c1.callback.loss=1.5"}, []string{"clients[0].callback.loss", "[0, 1]"}},
		{"probability NaN", good, []string{"clients.c1.callback.loss=.nan"}, []string{"clients[0].callback.loss", "[0, 1]"}},
		{"unknown op", strings.Replace(good, "op: open", "op: opne", 1), nil,
			[]string{"t.yaml:7", "clients[0].script[0].op", `"opne"`, "allowed:"}},
		{"undeclared file", strings.Replace(good, "file: f,", "file: g,", 1), nil, []string{"t.yaml:7", `file "g" is not declared`}},
		{"bad flag", strings.Replace(good, "O_RDWR,", "O_RDWRX,", 1), nil, []string{"unknown flag", "O_RDONLY"}},
		{"no client or local", "name: t\nversion: 1\n", nil, []string{"at least one client"}},
		{"wrong version", strings.Replace(good, "version: 1", "version: 2", 1), nil, []string{"t.yaml:2", "version", "must be 1"}},
		{"set into a list by a missing name", good, []string{"clients.c9.latency=1ms"}, []string{"no element named", "c1"}},
		{"not a number", strings.Replace(good, "version: 1", "version: one", 1), nil, []string{"t.yaml:2", "version"}},
		{"fraction for an integer", good, []string{"clients.c1.script.0.bytes=0.5"}, []string{"bytes", `"0.5" is not a valid integer`}},
		{"client network loss 1.5", good, []string{"clients.c1.loss=1.5"}, []string{"clients[0].loss", "[0, 1]"}},
		{"noac with actimeo", good, []string{"clients.c1.noac=true", "clients.c1.actimeo=3s"}, []string{"clients[0].noac", "actimeo"}},
		{"acregmax below acregmin", good, []string{"clients.c1.acregmin=10s", "clients.c1.acregmax=5s"}, []string{"clients[0].acregmax", "acregmin"}},
		{"sleep without for", good, []string{"locals=[{name: l1, script: [{op: sleep}]}]"}, []string{"locals[0].script[0].for", "sleep needs"}},
		{"sleep on a file", good, []string{"locals=[{name: l1, script: [{op: sleep, for: 1s, file: f}]}]"}, []string{"locals[0].script[0].file", "no file"}},
		{"hold on lsattr", good, []string{"locals=[{name: l1, script: [{op: lsattr, file: f, hold: 1s}]}]"}, []string{"locals[0].script[0].hold", "cat"}},
		{"poll without a pause", good, []string{"locals=[{name: l1, script: [{op: nginx, file: f, poll: {until: ok}}]}]"}, []string{"poll.every", "> 0"}},
		{"poll for an unknown result", good, []string{"locals=[{name: l1, script: [{op: nginx, file: f, poll: {until: EAGIAN, every: 1ms}}]}]"}, []string{"poll.until", "EAGAIN"}},
		{"link without to", good, []string{"clients.c1.script=[{op: link, file: f}]"}, []string{"clients[0].script[0].to", "needs to"}},
		{"rename to an undeclared file", good, []string{"clients.c1.script=[{op: rename, file: f, to: g}]"}, []string{"script[0].to", `file "g" is not declared`, "declared: f"}},
		{"to on an open", good, []string{"clients.c1.script.0.to=f"}, []string{"script[0].to", "only rename and link"}},
		{"rename to itself", good, []string{"clients.c1.script=[{op: rename, file: f, to: f}]"}, []string{"script[0].to", "another file"}},
		{"unknown deny mode", good, []string{"clients.c1.script.0.deny=writ"}, []string{"script[0].deny", `"writ"`, "both, none, read, write"}},
		{"deny on a write", good, []string{"clients.c1.script=[{op: write, file: f, bytes: 1, deny: read}]"}, []string{"script[0].deny", "only open"}},
		{"unknown want", good, []string{"clients.c1.script.0.want=nodeleg"}, []string{"script[0].want", "no-deleg", "signal"}},
		{"want on v4.0", good, []string{`clients.c1.version="4.0"`, "clients.c1.script.0.want=no-deleg"}, []string{"script[0].want", "4.1", "NFS4ERR_BADXDR"}},
		{"unknown setattr attribute", good, []string{"clients.c1.script=[{op: setattr, file: f, set: [owner]}]"}, []string{"script[0].set[0]", "mode, size, times"}},
		{"size without set size", good, []string{"clients.c1.script=[{op: setattr, file: f, size: 3}]"}, []string{"script[0].size", "set: [size]"}},
		{"negative setattr size", good, []string{"clients.c1.script=[{op: setattr, file: f, set: [size], size: -1}]"}, []string{"script[0].size", ">= 0"}},
		{"owner on a stat", good, []string{"clients.c1.script=[{op: stat, file: f, owner: alice}]"}, []string{"script[0].owner", "only open"}},
		{"too many owners", good, []string{"clients.c1.script=[{op: open, file: f, flags: [O_RDONLY], owner: a}, {op: open, file: f, flags: [O_RDONLY], owner: b}, {op: open, file: f, flags: [O_RDONLY], owner: c}, {op: open, file: f, flags: [O_RDONLY], owner: d}]"}, []string{"script[3].owner", "at most 3"}},
		{"O_TRUNC read-only", good, []string{"clients.c1.script.0.flags=[O_RDONLY, O_TRUNC]"}, []string{"script[0].flags", "O_TRUNC needs"}},
		{"unknown recall answer", good, []string{"clients.c1.recall_answers=[ok, NFS4ERR_DEALY]"}, []string{"clients[0].recall_answers[1]", "NFS4ERR_DELAY", "keep", "none"}},
		{"two directories", good, []string{"files=[{name: f}, {name: d, dir: true}, {name: e, dir: true}]"}, []string{"files[2].dir", "only one directory"}},
		{"lookup of a file", good, []string{"clients.c1.script=[{op: lookup, file: f}]"}, []string{"script[0].file", "dir: true"}},
		{"open of the directory", good, []string{"files=[{name: f, dir: true}]"}, []string{"script[0].op", "only lookup"}},
		{"local op on the directory", good, []string{"files=[{name: f}, {name: d, dir: true}]", "locals=[{name: l1, script: [{op: unlink, file: d}]}]"}, []string{"locals[0].script[0].file", "the directory"}},
		{"local link without to", good, []string{"locals=[{name: l1, script: [{op: local-link, file: f}]}]"}, []string{"locals[0].script[0].to", "needs to"}},
		{"to on unlink", good, []string{"files=[{name: f}, {name: g}]", "locals=[{name: l1, script: [{op: unlink, file: f, to: g}]}]"}, []string{"locals[0].script[0].to", "only local-rename and local-link"}},
		{"size on chmod", good, []string{"locals=[{name: l1, script: [{op: chmod, file: f, size: 1}]}]"}, []string{"locals[0].script[0].size", "only truncate"}},
		{"to on utimes", good, []string{"files=[{name: f}, {name: g}]", "locals=[{name: l1, script: [{op: utimes, file: f, to: g}]}]"}, []string{"locals[0].script[0].to", "only local-rename and local-link"}},
		{"local link to itself", good, []string{"locals=[{name: l1, script: [{op: local-link, file: f, to: f}]}]"}, []string{"locals[0].script[0].to", "another file"}},
		{"negative truncate", good, []string{"locals=[{name: l1, script: [{op: truncate, file: f, size: -5}]}]"}, []string{"locals[0].script[0].size", ">= 0"}},
		{"unknown expected delegation", good, []string{`expect=[{op: "c1#1", deleg: rw}]`}, []string{"expect[0].deleg", "write-attrs"}},
		{"unknown expected reason", good, []string{`expect=[{op: "c1#1", why: WND4_NOTWANTED}]`}, []string{"expect[0].why", "WND4_NOT_WANTED"}},
		{"poll and retry", good, []string{"locals=[{name: l1, script: [{op: nginx, file: f, retry: {attempts: 2}, poll: {until: ok, every: 1ms}}]}]"}, []string{"poll", "not both"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := scenarios.Parse("t.yaml", []byte(tt.yaml))
			if err == nil {
				for _, s := range tt.sets {
					if err = src.Set(s); err != nil {
						break
					}
				}
			}
			if err == nil {
				_, err = src.Scenario()
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, scenarios.ErrInvalid) {
				t.Errorf("error does not match ErrInvalid: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// With 40 ms of one-way delay the recall takes 2 × 40 ms + ~5 ms, longer
// than the ~50 ms between two back-to-back lsattr opens: the second
// lsattr fails too.
func ExampleLoad() {
	sc, err := scenarios.Load("bz219278", []string{"clients.c1.latency=40ms"})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, r, err := sc.Run(scenarios.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range sc.Check(res, r.Profile.Name, r.Policy.Name()) {
		fmt.Println(o.OK, o.Name)
	}
	// Output:
	// true the client's create succeeds
	// true nfsd grants a write delegation on the O_RDWR open
	// true the first lsattr fails with EAGAIN
	// true its failed open is what starts the recall
	// false the second lsattr succeeds
}

// TestWith: a scenario with more overrides is the one Load would build
// with them, and a bad override is an error naming the field.
func TestWith(t *testing.T) {
	sc, err := scenarios.Load("bz219278", []string{"clients.c1.latency=5ms"})
	if err != nil {
		t.Fatal(err)
	}
	v40, err := sc.With(`clients.c1.version="4.0"`)
	if err != nil {
		t.Fatal(err)
	}
	want, err := scenarios.Load("bz219278", []string{"clients.c1.latency=5ms", `clients.c1.version="4.0"`})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v40.Spec, want.Spec) || sc.Spec.Clients[0].Version != "4.2" {
		t.Errorf("With gave %+v, want %+v (and the original unchanged)", v40.Spec.Clients, want.Spec.Clients)
	}
	if _, err := sc.With("clients.nope.version=4.0"); err == nil || !strings.Contains(err.Error(), `no element named "nope"`) {
		t.Errorf("bad override: err = %v", err)
	}
}

// TestYAML: a scenario's YAML, overrides included, loads back to the same
// scenario.
func TestYAML(t *testing.T) {
	sc, err := scenarios.Load("bz219278", []string{"clients.c1.latency=5ms"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := sc.YAML()
	if err != nil {
		t.Fatal(err)
	}
	src, err := scenarios.Parse("again.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := src.Scenario()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Spec, sc.Spec) || !strings.Contains(string(b), "latency: 5ms") {
		t.Errorf("YAML does not load back to the scenario:\n%s", b)
	}
}

// TestFirstReleaseFilesLoad: scenario files written for the first
// release of the format (testdata/v1) load unchanged and their
// expectations still hold: the fields added since are optional and
// leave the meaning of files that do not use them alone.
func TestFirstReleaseFilesLoad(t *testing.T) {
	files, err := filepath.Glob("testdata/v1/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no first-release files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := scenarios.Load(f, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Spec.Version != 1 {
				t.Fatalf("version %d", sc.Spec.Version)
			}
			profiles, _ := matrix(sc)
			for _, prof := range profiles {
				res, _, err := sc.Run(scenarios.Options{Profile: prof})
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range sc.Check(res, prof, "kernel") {
					if !o.OK {
						t.Errorf("%s: %s: %s", prof, o.Name, o.Detail)
					}
				}
			}
		})
	}
}
