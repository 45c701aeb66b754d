package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/internal/atomicfile"
	"github.com/delegsim/delegsim/internal/version"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/plots"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sweep"
)

func init() {
	register(command{name: "sweep", summary: "run a scenario over a parameter grid and every policy; write results.csv and figures", run: sweepCmd})
}

const sweepArgs = `[SCENARIO] [--vary NAME=FROM:TO:STEP]... [flags]

Runs --trials trials of every policy at every point of the grid (the
product of the --vary ranges) on all cores, and writes results.csv,
sweep.json and figures (fail, latency, stale, cost; PNG and SVG) to --out.
NAME is a --set path; FROM:TO:STEP are durations (0ms:200ms:10ms) or plain
numbers (0:1:0.1); a range in braces varies part of a value
(clients.c1.latency=lognormal:{10ms:50ms:10ms},0.3). See docs/sweep.md.

With no SCENARIO and no --vary: the bz219278 question, how often the first
and the second lsattr fail as the one-way delay on every packet of the
client (clients.c1.latency) goes from 0 to 200 ms, for every policy.

--shard I/N runs every N-th point from the I-th (I from 0) and draws no
figures; ` + "`delegsim merge DIR...`" + ` combines the shards' directories.

An --out that holds an earlier sweep is refused: --force replaces it
(removing the files its manifest.json lists), --resume finishes it
after an interruption (Ctrl-C, SIGTERM, a batch job's time limit),
running only the points it lacks.`

func sweepCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sweep", sweepArgs, stderr)
	def := sweep.Default()
	policies := fs.String("policies", "", "comma-separated policy `NAMES` (default: every built-in: "+strings.Join(model.PolicyNames(), ",")+")")
	fixes := fs.String("fixes", "", "comma-separated fixes, `NAMES` as in delegsim compare (policies, app-retry, blocking-open, mount-v4.0, leases-disabled, wronly-writer, A+B); replaces the default policies")
	var policyFiles multiFlag
	fs.Var(&policyFiles, "policy-file", "add a row for the policy in the YAML `FILE` (repeatable; see docs/policies.md)")
	profile := fs.String("profile", "", "kernel profile `NAME` (default: the scenario's, else "+model.DefaultProfile+")")
	var sets, varies multiFlag
	fs.Var(&sets, "set", "override a scenario field at every point, `KEY=VALUE` (repeatable)")
	fs.Var(&varies, "vary", "vary a scenario field, `NAME=FROM:TO:STEP` (repeatable; the grid is the product)")
	trials := fs.Int("trials", def.Trials, "trials `N` per point and policy")
	seed := fs.String("seed", strconv.FormatUint(def.Seed, 10), "base `SEED`; trial seeds derive from it, the point and the trial")
	workers := fs.Int("workers", 0, "goroutines `N` running trials (default: all cores); results do not depend on it")
	shardFlag := fs.String("shard", "", "run one slice of the grid, `I/N` with 0 <= I < N (see delegsim merge)")
	out := fs.String("out", "", "output `DIR` (default: sweep-SCENARIO)")
	force := fs.Bool("force", false, "replace the results of an earlier sweep in --out (the files its manifest.json lists)")
	resume := fs.Bool("resume", false, "finish the interrupted sweep in --out: run only the points it lacks")
	consistency := fs.String("consistency", def.Consistency, "stale-read check `MODEL`: close-to-open, linearizable or none")
	noFigures := fs.Bool("no-figures", false, "write results.csv and sweep.json only")
	logLatency := fs.Bool("log-latency", false, "draw the latency figure with a logarithmic axis")
	var lf longFlags
	lf.add(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		return fail(stderr, usageErr("sweep takes at most one scenario (a built-in name or a .yaml path), got %d", len(pos)))
	}
	if len(pos) == 1 && pos[0] == stdoutPath {
		return fail(stderr, usageErr("sweep needs the scenario as a built-in name or a file, not - (merge and --resume read it again)"))
	}
	if *workers < 0 {
		return fail(stderr, usageErr("--workers %d is negative (0: all cores)", *workers))
	}

	spec := def
	spec.Trials, spec.Consistency, spec.Profile = *trials, *consistency, *profile
	s, err := strconv.ParseUint(*seed, 10, 64)
	if err != nil {
		return fail(stderr, usageErr("--seed %q is not a non-negative integer", *seed))
	}
	spec.Seed = s
	if len(pos) == 1 {
		spec.Scenario = pos[0]
	}
	if len(pos) == 1 || len(varies) > 0 {
		// Not the built-in sweep: only what the user asked for.
		spec.Sets, spec.Vary = nil, nil
	}
	spec.Sets = append(spec.Sets, sets...)
	for _, v := range varies {
		pv, err := sweep.ParseVary(v)
		if err != nil {
			return sweepFail(stderr, err)
		}
		spec.Vary = append(spec.Vary, pv)
	}
	if *policies != "" {
		spec.Policies = nil
		for _, p := range strings.Split(*policies, ",") {
			spec.Policies = append(spec.Policies, strings.TrimSpace(p))
		}
	}
	if *fixes != "" || len(policyFiles) > 0 {
		if *policies == "" {
			spec.Policies = nil
		}
		if err := addFixes(&spec, splitList(*fixes), policyFiles); err != nil {
			return sweepFail(stderr, err)
		}
	}
	shard := sweep.Whole
	if *shardFlag != "" {
		if shard, err = sweep.ParseShard(*shardFlag); err != nil {
			return sweepFail(stderr, err)
		}
	}
	if err := lf.check(); err != nil {
		return fail(stderr, err)
	}
	plan, err := sweep.NewPlan(spec)
	if err != nil {
		return sweepFail(stderr, err)
	}
	dir := *out
	if dir == "" {
		dir = "sweep-" + strings.Map(func(r rune) rune {
			if r == '/' || r == os.PathSeparator || r == ' ' {
				return '_'
			}
			return r
		}, plan.Meta.Name)
	}
	if err := checkSweepDir(dir, *force, *resume); err != nil {
		return sweepFail(stderr, err)
	}
	opts := sweep.RunOptions{Workers: *workers, Shard: shard}
	var old *sweep.Results
	if *resume {
		if old, err = sweep.ReadDir(dir); err != nil {
			return sweepFail(stderr, err)
		}
		done, err := plan.Resume(old, shard)
		if err != nil {
			return sweepFail(stderr, fmt.Errorf("--resume %s: %w", dir, err))
		}
		opts.Skip = func(p int) bool { return done[p] }
		fmt.Fprintf(stderr, "resuming %s: %d of its points are done\n", dir, len(done))
	}

	npts := len(shard.Points(plan.Points()))
	of := ""
	if shard != sweep.Whole {
		of = fmt.Sprintf(" (shard %s of %d points)", shard, plan.Points())
	}
	long, err := lf.start(stderr)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stderr, "sweep %s on %s: %d points%s × %d policies × %d trials\n",
		plan.Meta.Name, plan.Meta.Profile, npts, of, len(plan.Meta.Policies), spec.Trials)
	bar := long.reporter("sweep "+plan.Meta.Name, 0, "trials", nil)
	opts.Progress = func(done, total int) {
		bar.SetTotal(int64(total))
		bar.Set(int64(done))
	}
	start := time.Now()
	res := plan.Run(long.ctx, opts)
	elapsed := time.Since(start)
	bar.Stop()
	long.finish() // a second Ctrl-C while writing ends the process
	ran := res.PointsDone() * plan.TrialsPerPoint()
	if old != nil {
		res = sweep.Combine(old, res)
	}

	if !res.Meta.Complete && len(res.Rows) == 0 {
		fmt.Fprintln(stderr, "delegsim: interrupted before any point finished; nothing written")
		return exitInterrupted
	}
	if *force {
		if err := sweep.Clean(dir); err != nil {
			return fail(stderr, err)
		}
	}
	files, err := writeSweep(dir, "sweep", res, !*noFigures && shard == sweep.Whole, *logLatency)
	if err != nil {
		return fail(stderr, err)
	}
	nw := *workers
	if nw <= 0 {
		nw = runtime.GOMAXPROCS(0)
	}
	fmt.Fprintf(stdout, "%d trials in %.2fs (%.0f trials/s, %d workers)\n",
		ran, elapsed.Seconds(), float64(ran)/max(elapsed.Seconds(), 1e-9), nw)
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f)
	}
	if !res.Meta.Complete {
		fmt.Fprintf(stderr, "delegsim: interrupted: kept the %d of %d points that finished in %s (sweep.json says \"complete\": false; finish with --resume)\n",
			res.PointsDone(), npts, dir)
		return exitInterrupted
	}
	return exitOK
}

// writeSweep writes results.csv, sweep.json, if asked the figures, and
// last the manifest listing them all.
func writeSweep(dir, command string, res *sweep.Results, figures, logLatency bool) ([]string, error) {
	if err := res.WriteDir(dir); err != nil {
		return nil, err
	}
	files := []string{filepath.Join(dir, sweep.ResultsFile), filepath.Join(dir, sweep.MetaFile)}
	if figures {
		fig, err := plots.WriteAllOptions(dir, res, plots.Options{LogLatency: logLatency})
		files = append(files, fig...)
		if err != nil {
			return files, err
		}
	}
	m := sweep.Manifest{Version: version.String(), Command: command, Scenario: res.Meta.Name,
		Points: res.PointsDone(), Of: res.Meta.Points, Complete: res.Meta.Complete}
	if err := sweep.WriteManifest(dir, m, files); err != nil {
		return files, err
	}
	return append(files, filepath.Join(dir, sweep.ManifestFile)), nil
}

// checkSweepDir refuses, before any work, an output directory that holds
// another sweep's results (see sweep.CheckDir) or cannot be created.
func checkSweepDir(dir string, force, resume bool) error {
	if err := sweep.CheckDir(dir, force, resume); err != nil {
		return err
	}
	return checkCreatable(dir)
}

// checkCreatable checks that dir exists and accepts new files, or can be
// created: its nearest ancestor that exists is a directory that does.
func checkCreatable(dir string) error {
	// The directory, or the nearest ancestor that exists, must accept
	// new files (MkdirAll creates the rest).
	probe := dir
	for {
		if st, err := os.Stat(probe); err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%w: --out %s: %s is not a directory", sweep.ErrInvalid, dir, probe)
			}
			break
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			break
		}
		probe = parent
	}
	if err := atomicfile.Check(filepath.Join(probe, sweep.ResultsFile)); err != nil {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	return nil
}

// sweepFail is fail for the sweep and merge commands: a bad grid, shard
// or output directory is bad input too (exit status 2).
func sweepFail(stderr io.Writer, err error) int {
	if errors.Is(err, sweep.ErrInvalid) {
		fmt.Fprintf(stderr, "delegsim: %v\n", err)
		return exitBadUsage
	}
	return fail(stderr, err)
}

// addFixes adds the rows of --fixes and --policy-file to a sweep: a
// built-in policy as a policy, any other fix as a variant with the
// overrides it makes to the scenario (loaded with the sweep's --set
// overrides) and its policy.
func addFixes(spec *sweep.Spec, names, policyFiles []string) error {
	sc, err := scenarios.Load(spec.Scenario, spec.Sets)
	if err != nil {
		return err
	}
	var fixes []compare.Fix
	for _, n := range names {
		f, err := compare.LookupFix(n)
		if err != nil {
			return err
		}
		fixes = append(fixes, f)
	}
	pols, err := loadPolicyFiles(policyFiles)
	if err != nil {
		return err
	}
	for i, p := range pols {
		fixes = append(fixes, compare.ValueFix(p, policyFiles[i]))
	}
	for _, f := range fixes {
		v, err := f.Apply(sc)
		if err != nil {
			return err
		}
		compare.AddToSweep(spec, f.Name, v)
	}
	return nil
}
