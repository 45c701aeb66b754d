package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/plots"
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
figures; ` + "`delegsim merge DIR...`" + ` combines the shards' directories.`

func sweepCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sweep", sweepArgs, stderr)
	def := sweep.Default()
	policies := fs.String("policies", "", "comma-separated policies (default: every built-in: "+strings.Join(model.PolicyNames(), ",")+")")
	profile := fs.String("profile", "", "kernel profile (default: the scenario's, else "+model.DefaultProfile+")")
	var sets, varies multiFlag
	fs.Var(&sets, "set", "override a scenario field at every point, KEY=VALUE (repeatable)")
	fs.Var(&varies, "vary", "vary a scenario field, NAME=FROM:TO:STEP (repeatable; the grid is the product)")
	trials := fs.Int("trials", def.Trials, "trials per point and policy")
	seed := fs.String("seed", strconv.FormatUint(def.Seed, 10), "base seed; trial seeds derive from it, the point and the trial")
	workers := fs.Int("workers", 0, "goroutines running trials (default: all cores); results do not depend on it")
	shardFlag := fs.String("shard", "", "run one slice of the grid, I/N with 0 <= I < N (see delegsim merge)")
	out := fs.String("out", "", "output directory (default: sweep-SCENARIO)")
	consistency := fs.String("consistency", def.Consistency, "stale-read check: close-to-open, linearizable or none")
	noFigures := fs.Bool("no-figures", false, "write results.csv and sweep.json only")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		return fail(stderr, usageErr("sweep takes at most one scenario (a built-in name or a .yaml path), got %d", len(pos)))
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
	shard := sweep.Whole
	if *shardFlag != "" {
		if shard, err = sweep.ParseShard(*shardFlag); err != nil {
			return sweepFail(stderr, err)
		}
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
	if err := checkOutDir(dir); err != nil {
		return sweepFail(stderr, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	npts := len(shard.Points(plan.Points()))
	of := ""
	if shard != sweep.Whole {
		of = fmt.Sprintf(" (shard %s of %d points)", shard, plan.Points())
	}
	fmt.Fprintf(stderr, "sweep %s on %s: %d points%s × %d policies × %d trials\n",
		plan.Meta.Name, plan.Meta.Profile, npts, of, len(spec.Policies), spec.Trials)
	opts := sweep.RunOptions{Workers: *workers, Shard: shard}
	bar := progressBar(stderr, plan.Meta.Name)
	if bar != nil {
		opts.Progress = func(done, total int) {
			bar.ChangeMax(total)
			bar.Set(done)
		}
	}
	start := time.Now()
	res := plan.Run(ctx, opts)
	elapsed := time.Since(start)
	stop() // a second Ctrl-C while writing ends the process
	if bar != nil {
		if res.Meta.Complete {
			bar.Finish()
		} else {
			bar.Exit() // leave the bar where the interrupt stopped it
		}
		fmt.Fprintln(stderr)
	}

	if !res.Meta.Complete && len(res.Rows) == 0 {
		fmt.Fprintln(stderr, "delegsim: interrupted before any point finished; nothing written")
		return exitInterrupted
	}
	files, err := writeSweep(dir, res, !*noFigures && shard == sweep.Whole)
	if err != nil {
		return fail(stderr, err)
	}
	ran := res.PointsDone() * plan.TrialsPerPoint()
	nw := *workers
	if nw <= 0 {
		nw = runtime.GOMAXPROCS(0)
	}
	fmt.Fprintf(stdout, "%d trials in %.2fs (%.0f trials/s, %d workers)\n",
		ran, elapsed.Seconds(), float64(ran)/elapsed.Seconds(), nw)
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f)
	}
	if !res.Meta.Complete {
		fmt.Fprintf(stderr, "delegsim: interrupted: kept the %d of %d points that finished in %s (sweep.json says \"complete\": false)\n",
			res.PointsDone(), npts, dir)
		return exitInterrupted
	}
	return exitOK
}

// writeSweep writes results.csv, sweep.json and, if asked, the figures.
func writeSweep(dir string, res *sweep.Results, figures bool) ([]string, error) {
	if err := res.WriteDir(dir); err != nil {
		return nil, err
	}
	files := []string{filepath.Join(dir, sweep.ResultsFile), filepath.Join(dir, sweep.MetaFile)}
	if figures {
		fig, err := plots.WriteAll(dir, res)
		files = append(files, fig...)
		if err != nil {
			return files, err
		}
	}
	return files, nil
}

// checkOutDir refuses an output path that exists and is not a directory,
// before any work is done.
func checkOutDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%w: --out %s: %v", sweep.ErrInvalid, dir, err)
	case !st.IsDir():
		return fmt.Errorf("%w: --out %s exists and is not a directory", sweep.ErrInvalid, dir)
	}
	return nil
}

// progressBar returns a bar on stderr if it is a terminal, else nil.
func progressBar(stderr io.Writer, name string) *progressbar.ProgressBar {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(1,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("sweep "+name),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("trials"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
	)
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
