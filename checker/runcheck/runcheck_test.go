package runcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

const testRuns = 40

func check(t *testing.T, scenario, policy string, o Options) *Report {
	t.Helper()
	sc, err := scenarios.Load(scenario, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Scenario.Policy = policy
	if o.Runs == 0 {
		o.Runs = testRuns
	}
	rep, err := Check(sc, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// verdicts maps each property to its number of violating runs; properties
// not listed must hold in every run.
type verdicts map[string]int

func wantVerdicts(t *testing.T, rep *Report, want verdicts) {
	t.Helper()
	for _, p := range rep.Properties {
		n := want[p.Name]
		if p.Violations != n || p.Unknown != 0 || p.OK != (n == 0) {
			t.Errorf("%s/%s: %s violated in %d runs (%d unknown), want %d\n%s", rep.Scenario, rep.Policy, p.Name,
				p.Violations, p.Unknown, n, strings.Join(p.Example, "\n"))
		}
		if (p.ExampleSeed != nil) != (n > 0) {
			t.Errorf("%s: example seed %v with %d violations", p.Name, p.ExampleSeed, n)
		}
	}
}

// The kernel keeps the bug report's reproducer and the certbot/nginx case
// consistent under both models, and breaks no invariant: lsattr and nginx
// fail with EAGAIN, but nobody reads stale data.
func TestKernelKeepsReproducersConsistent(t *testing.T) {
	for _, name := range []string{"bz219278", "certbot-nginx"} {
		t.Run(name, func(t *testing.T) {
			rep := check(t, name, "kernel", Options{})
			wantVerdicts(t, rep, verdicts{})
			if rep.Failed() || len(rep.Notes) != 0 {
				t.Errorf("failed %v, notes %q", rep.Failed(), rep.Notes)
			}
			if len(rep.Properties) != len(checker.Invariants)+3 {
				t.Errorf("%d properties, want every invariant, no-lost-write and both models", len(rep.Properties))
			}
		})
	}
}

// local-read-exempt lets lsattr and cat read a file whose write-delegation
// holder has unflushed data: they see the old size and data, on f (still
// open: stale for linearizability) and on g (closed with a start-only
// flush: stale for close-to-open too).
func TestLocalReadExemptShowsStaleReads(t *testing.T) {
	rep := check(t, "open-dirty-local-read", "local-read-exempt", Options{})
	wantVerdicts(t, rep, verdicts{"linearizable": testRuns, "close-to-open": testRuns})
	cto, _ := rep.Property("close-to-open")
	for _, want := range []string{
		"l3#1 cat g at 1010.000ms read data=initial (size 0), but c2#4 write at 500.000ms (size 65536, data=w2.1) had completed; under close-to-open it was due at c2#5 close ending 1000.000ms",
		"l2#1 lsattr g at 1010.000ms saw size 0, but c2#4 write",
	} {
		if !strings.Contains(strings.Join(cto.Example, "\n"), want) {
			t.Errorf("close-to-open account lacks %q:\n%s", want, strings.Join(cto.Example, "\n"))
		}
	}
	lin, _ := rep.Property("linearizable")
	if seed, c := rep.HTMLSeed(); seed != *lin.ExampleSeed || c != checker.Linearizable {
		t.Errorf("HTML of seed %d under %s, want the first violating run under linearizable", seed, c)
	}
	var html bytes.Buffer
	if err := rep.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<html", "stale: l2#1 g", "stale: l3#1 g", "stale: l1#1 f"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// cb-getattr-gate asks the holder with CB_GETATTR before letting a local
// reader open: the holder reports modified data, so lsattr fails as under
// the kernel and no reader ever sees a stale size; cat on the still-open f
// reads the old data after the recall, which close-to-open allows.
func TestCBGetattrGateShowsNoStaleAttributes(t *testing.T) {
	sc, err := scenarios.Load("open-dirty-local-read", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, policy := range []string{"cb-getattr-gate", "kernel"} {
		t.Run(policy, func(t *testing.T) {
			o := Options{Scenario: scenarios.Options{Policy: policy}, Timeout: DefaultTimeout}
			r, err := sc.Resolve(o.Scenario)
			if err != nil {
				t.Fatal(err)
			}
			for seed := uint64(1); seed <= testRuns; seed++ {
				_, lin := runOnce(sc, r, o, seed)
				for _, c := range lin {
					for _, s := range c.StaleReads {
						if s.Read.Kind.ReadsAttrs() {
							t.Errorf("seed %d, %s: stale attribute read: %s", seed, c.Consistency, s)
						}
					}
				}
				if lin[checker.CloseToOpen].Verdict != checker.Ok {
					t.Errorf("seed %d: %s", seed, lin[checker.CloseToOpen])
				}
			}
			wantVerdicts(t, check(t, "open-dirty-local-read", policy, Options{}), verdicts{"linearizable": testRuns})
		})
	}
}

// The real kernel lets a recall complete before the holder flushes the
// dirty pages of a file it still has open: linearizability fails,
// close-to-open holds, and the report says why.
func TestDirtyRecallViolatesOnlyLinearizability(t *testing.T) {
	rep := check(t, "dirty-recall-stale-read", "kernel", Options{})
	wantVerdicts(t, rep, verdicts{"linearizable": testRuns})
	lin, _ := rep.Property("linearizable")
	acc := strings.Join(lin.Example, "\n")
	for _, want := range []string{"l1#1 cat f at 1000.000ms read data=initial (size 0), but c1#2 write", "recall (c1)", "return (c1)"} {
		if !strings.Contains(acc, want) {
			t.Errorf("account lacks %q:\n%s", want, acc)
		}
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "close-to-open holds in every run") ||
		!strings.Contains(rep.Notes[0], "nfs_end_delegation_return") {
		t.Errorf("notes %q: want the close-to-open explanation naming the unflushed recall", rep.Notes)
	}

	// Checking only close-to-open: it holds, and the check passes.
	rep = check(t, "dirty-recall-stale-read", "kernel", Options{Consistency: []checker.Consistency{checker.CloseToOpen}})
	if rep.Failed() {
		t.Errorf("close-to-open alone failed: %+v", rep.Properties)
	}
}

// With the callback path down, the VFS downgrades nfsd's write lease after
// 45 s and lets a local reader through while the client still writes
// under the delegation nfsd lists: a finding (lease-agrees) and a stale
// read under linearizability.
func TestClientUnreachableDowngradeIsReported(t *testing.T) {
	rep := check(t, "client-unreachable", "kernel", Options{Runs: 10})
	wantVerdicts(t, rep, verdicts{"lease-agrees": 10, "linearizable": 10})
	la, _ := rep.Property("lease-agrees")
	if !la.Finding || la.Note == "" || !strings.Contains(la.Example[0], "nfsd lists a write delegation to c1 but the VFS lease is read") {
		t.Errorf("lease-agrees: %+v", la)
	}
	lin, _ := rep.Property("linearizable")
	acc := strings.Join(lin.Example, "\n")
	for _, want := range []string{"l1#4 cat f at 70000.000ms read data=w1.1 (size 100), but c1#5 write at 60000.000ms", "downgrade (c1)"} {
		if !strings.Contains(acc, want) {
			t.Errorf("account lacks %q:\n%s", want, acc)
		}
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "time_out_leases") {
		t.Errorf("notes %q: want the downgrade explanation", rep.Notes)
	}
	// The finding alone would not fail the check; the stale read does.
	rep = check(t, "client-unreachable", "kernel", Options{Runs: 3, Consistency: []checker.Consistency{checker.CloseToOpen}})
	if rep.Failed() {
		t.Errorf("a finding failed the check: %+v", rep.Properties)
	}
}

// Seeds replay: the example seed of a violation, run alone, violates
// again, and the report does not depend on how many runs go in parallel.
func TestReportIsDeterministicAndReplayable(t *testing.T) {
	var out [2]string
	for i, workers := range []int{1, 4} {
		rep := check(t, "open-dirty-local-read", "kernel", Options{Runs: 60, Workers: workers})
		j, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var text bytes.Buffer
		rep.WriteText(&text, func(seed uint64) string { return "replay" })
		out[i] = string(j) + text.String()
	}
	if out[0] != out[1] {
		t.Errorf("one worker and four disagree:\n%s\n%s", out[0], out[1])
	}

	rep := check(t, "dirty-recall-stale-read", "kernel", Options{Runs: 5, Scenario: scenarios.Options{Seed: 77, HasSeed: true}})
	lin, _ := rep.Property("linearizable")
	if rep.Seed != 77 || *lin.ExampleSeed != 77 {
		t.Fatalf("first seed %d, example seed %d: want 77", rep.Seed, *lin.ExampleSeed)
	}
	sc, _ := scenarios.Load("dirty-recall-stale-read", nil)
	opts := scenarios.Options{Policy: "kernel", Seed: 77, HasSeed: true}
	r, err := sc.Resolve(opts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sc.Config(r, opts)
	init := checker.InitialValues(cfg.Actors)
	res := sim.Run(cfg)
	again := checker.CheckLinearizability(res.Ops, init, checker.Linearizable, DefaultTimeout)
	if got := again.Account(6); len(got) == 0 || got[0] != lin.Example[0] {
		t.Errorf("replayed seed 77: %q, report said %q", got, lin.Example)
	}
}

func TestJSONContract(t *testing.T) {
	rep := check(t, "dirty-recall-stale-read", "kernel", Options{Runs: 2})
	j, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Scenario, Policy, Profile string
		Runs                      int
		Properties                []map[string]any
	}
	if err := json.Unmarshal(j, &got); err != nil {
		t.Fatal(err)
	}
	if got.Scenario != "dirty-recall-stale-read" || got.Policy != "kernel" || got.Profile != "linux-6.12" || got.Runs != 2 {
		t.Errorf("header %+v", got)
	}
	for _, p := range got.Properties {
		for _, k := range []string{"name", "ok", "violations", "example_seed"} {
			if _, ok := p[k]; !ok {
				t.Errorf("property %v has no %q", p["name"], k)
			}
		}
	}
}

func TestCheckNeedsARun(t *testing.T) {
	sc, _ := scenarios.Load("bz219278", nil)
	if _, err := Check(sc, Options{}); err == nil {
		t.Error("zero runs accepted")
	}
}

// BenchmarkCheck100Runs measures `delegsim check --runs 100` of a scenario
// with two clients and three local processes.
func BenchmarkCheck100Runs(b *testing.B) {
	sc, err := scenarios.Load("open-dirty-local-read", nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Check(sc, Options{Runs: 100}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestInterruptedCheckCoversAPrefix: a check whose context is cancelled
// mid-way reports on the runs made, seeds Seed..Seed+Runs-1, and says it
// was interrupted; the verdicts are those of a check of that many runs.
func TestInterruptedCheckCoversAPrefix(t *testing.T) {
	sc, err := scenarios.Load("dirty-recall-stale-read", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	rep, err := Check(sc, Options{Runs: 200, Workers: 2, Context: ctx, Progress: func() {
		if n.Add(1) == 10 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || rep.Asked != 200 || rep.Runs < 10 || rep.Runs >= 200 {
		t.Fatalf("interrupted %v, %d of %d runs", rep.Interrupted, rep.Runs, rep.Asked)
	}
	full, err := Check(sc, Options{Runs: rep.Runs, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(rep.Properties)
	b, _ := json.Marshal(full.Properties)
	if string(a) != string(b) {
		t.Errorf("partial report differs from a check of %d runs:\n%s\n%s", rep.Runs, a, b)
	}
	var text strings.Builder
	rep.WriteText(&text, nil)
	if want := fmt.Sprintf("INTERRUPTED after %d of 200 runs", rep.Runs); !strings.Contains(text.String(), want) {
		t.Errorf("text lacks %q:\n%s", want, text.String())
	}
}
