package main

import (
	"fmt"
	"io"
	"time"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/internal/progress"
	"github.com/delegsim/delegsim/internal/version"
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
(self-contained), DIR/report.md (figures in DIR/figures), the
counterexamples' schedules, and last DIR/manifest.json listing them. Every
number comes with the command and seeds that reproduce it.

An --out that holds an earlier report is refused: --force replaces it
(removing the files its manifest lists). Ctrl-C or SIGTERM stops the work
and writes nothing (exit status 130).`

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
	force := fs.Bool("force", false, "replace the earlier report in --out (the files its manifest.json lists)")
	var lf longFlags
	lf.add(fs)
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
	if err := report.CheckDir(*out, *force); err != nil {
		return sweepFail(stderr, err)
	}
	if err := checkCreatable(*out); err != nil {
		return sweepFail(stderr, err)
	}
	if err := lf.check(); err != nil {
		return fail(stderr, err)
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
		Version: version.String()}
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
	long, err := lf.start(stderr)
	if err != nil {
		return fail(stderr, err)
	}
	start := time.Now()
	o.Context = long.ctx
	stages := stageReporter{long: long}
	o.Progress = stages.update
	rep, err := report.Build(o)
	stages.stop()
	long.finish() // a second Ctrl-C while writing ends the process
	if long.interrupted() {
		fmt.Fprintf(stderr, "delegsim: interrupted during %s after %.1fs; nothing written\n", stages.name, time.Since(start).Seconds())
		return exitInterrupted
	}
	if err != nil {
		return sweepFail(stderr, err)
	}
	if *force {
		if err := report.CleanDir(*out); err != nil {
			return fail(stderr, err)
		}
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

// stageReporter shows a report's progress with the shared reporter, one
// bar (or series of lines) per stage: the stages count different units
// (rows, trials, searches).
type stageReporter struct {
	long *longRun
	name string
	bar  *progress.Reporter
}

// update is report.Options.Progress.
func (s *stageReporter) update(st report.Stage) {
	if st.Name != s.name || s.bar == nil {
		s.stop()
		s.name = st.Name
		s.bar = s.long.reporter("report: "+st.Name, int64(st.Total), st.Unit, nil)
	}
	s.bar.SetTotal(int64(st.Total))
	s.bar.Set(int64(st.Done))
}

func (s *stageReporter) stop() {
	if s.bar != nil {
		s.bar.Stop()
	}
}
