package main

import (
	"fmt"
	"io"
	"time"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/report"
	"github.com/delegsim/delegsim/sweep"
)

func init() {
	register(command{name: "report", summary: "write the evidence for a patch proposal: one HTML page and one Markdown file", run: reportCmd})
}

const reportArgs = `SCENARIO --out DIR [flags]

Compares the fixes on SCENARIO (as delegsim compare does) and on the
safety workload, sweeps them over the first client's one-way delay, finds
the shortest counterexample of every unsafe fix, and writes DIR/report.html
(self-contained), DIR/report.md (figures in DIR/figures), and the
counterexamples' schedules. Every number comes with the command and seeds
that reproduce it.`

func reportCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("report", reportArgs, stderr)
	fixes := fs.String("fixes", "", "comma-separated fixes (default: every policy and option that applies, as in delegsim compare)")
	var policyFiles, sets, sweepSets multiFlag
	fs.Var(&policyFiles, "policy-file", "add a row for the policy in this YAML file (repeatable)")
	fs.Var(&sets, "set", "override a scenario field, KEY=VALUE (repeatable)")
	profile := fs.String("profile", "", "kernel profile (default: the scenario's, else linux-6.12)")
	seed := fs.String("seed", "", "first trial's seed (default: the scenario's, else 1)")
	trials := fs.Int("trials", compare.DefaultTrials, "runs per fix in the decision tables")
	exploreStates := fs.Int("explore-states", compare.DefaultExploreStates, "distinct states each fix's exhaustive search may visit; 0 skips it")
	sweepTrials := fs.Int("sweep-trials", report.DefaultSweepTrials, "trials per point and fix in the sweep; 0 skips the sweep")
	vary := fs.String("vary", "", "the sweep's grid, NAME=FROM:TO:STEP (default: clients.FIRST.latency="+report.DefaultVaryRange+")")
	fs.Var(&sweepSets, "sweep-set", "override a scenario field in the sweep only (repeatable; default for bz219278: the default sweep's)")
	ceStates := fs.Int("counterexample-states", report.DefaultCounterexampleStates, "distinct states each breadth-first search for a shortest counterexample may visit")
	safety := fs.String("safety", report.DefaultSafety, "comma-separated workloads to compare the fixes on for stale reads (\"none\": none)")
	out := fs.String("out", "", "output directory (required)")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, usageErr("report takes one scenario (a built-in name or a .yaml path); see `delegsim list`"))
	}
	if *out == "" {
		return fail(stderr, usageErr("report needs --out DIR"))
	}
	if err := checkOutDir(*out); err != nil {
		return sweepFail(stderr, err)
	}
	if *sweepTrials < 0 || *ceStates < 1 {
		return fail(stderr, usageErr("--sweep-trials must be >= 0 and --counterexample-states >= 1"))
	}
	if *vary != "" {
		if _, err := sweep.ParseVary(*vary); err != nil {
			return sweepFail(stderr, err)
		}
	}
	co, err := compareOptions(*fixes, policyFiles, *profile, *seed, *trials, *exploreStates)
	if err != nil {
		return fail(stderr, err)
	}
	o := report.Options{Scenario: pos[0], Sets: sets, Fixes: co.Fixes, Extra: co.Extra, PolicyFiles: policyFiles,
		Profile: co.Profile, Seed: co.Seed, HasSeed: co.HasSeed, Trials: co.Trials, ExploreStates: co.ExploreStates,
		SweepTrials: *sweepTrials, Vary: *vary, SweepSets: sweepSets, CounterexampleStates: *ceStates,
		Version: report.Version()}
	if *sweepTrials == 0 {
		o.SweepTrials = -1
	}
	switch *safety {
	case "none", "":
		o.Safety = []string{}
	default:
		o.Safety = splitList(*safety)
		if len(o.Safety) == 1 && o.Safety[0] == pos[0] {
			o.Safety = []string{}
		}
	}
	start := time.Now()
	o.Progress = func(stage string) {
		fmt.Fprintf(stderr, "delegsim: %5.1fs %s\n", time.Since(start).Seconds(), stage)
	}
	rep, err := report.Build(o)
	if err != nil {
		return sweepFail(stderr, err)
	}
	files, err := rep.WriteDir(*out)
	if err != nil {
		return fail(stderr, err)
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f)
	}
	fmt.Fprintf(stderr, "delegsim: report written in %.1fs\n", time.Since(start).Seconds())
	return exitOK
}
