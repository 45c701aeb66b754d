package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/internal/sysmem"
	"github.com/delegsim/delegsim/sweep"
)

func init() {
	register(command{name: "explore", summary: "visit every interleaving of a small scenario (exhaustive model checker)", run: exploreCmd})
}

// bytesPerState estimates the explorer's memory per distinct state, by
// strategy, for the up-front estimate: the visited set (13–20 B a state)
// plus, for BFS, the compressed frontier with each state's parent and
// step (a few dozen bytes), as measured on the built-in scenarios
// (explore's TimingLine, README). An estimate, not a bound.
var bytesPerState = map[explore.Strategy]uint64{explore.BFS: 64, explore.DFS: 24}

// defaultMemoryShare is the share of the machine's (or cgroup's) memory
// --max-memory allows by default: the search stops, with a partial
// report, before the kernel's OOM killer would end it without one.
const defaultMemoryShare = 0.5

func exploreCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("explore", "SCENARIO [flags]", stderr)
	var rf runFlags
	rf.add(fs)
	var lf longFlags
	lf.add(fs)
	strategy := fs.String("strategy", "bfs", "search order `S`: bfs (shortest counterexample) or dfs (low memory)")
	maxDepth := fs.Int("max-depth", explore.DefaultMaxDepth, "do not expand states `N` steps from the start")
	maxStates := fs.Int("max-states", explore.DefaultMaxStates, "stop after `N` distinct states")
	maxMemory := fs.String("max-memory", "", "stop when the process holds more than `SIZE` (512M, 4G, 25%; default: half the machine's or the cgroup's memory)")
	maxDelay := fs.Duration("max-delay", 0, "every message arrives within `DURATION` (default: bounds from the scenario's delay distributions)")
	zeroMin := fs.Bool("zero-min-delay", false, "let messages arrive as soon as they are sent, ignoring the delays' lower bounds (coarser: more behaviours, some no run can show)")
	consistency := fs.String("consistency", "", "`MODEL` complete histories are checked against: close-to-open, linearizable or none (default: the policy's promise, close-to-open)")
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	out := fs.String("out", "", "write the counterexample schedule to `FILE` (replay it with: delegsim run SCENARIO --schedule FILE)")
	workers := fs.Int("workers", 1, "`N` goroutines search, sharing the visited states (counts and verdicts do not depend on N; which counterexample is found first may)")
	symmetry := fs.Bool("symmetry", false, "count states up to symmetries of the run (interchangeable clients and local processes) and a renaming of stateids and xids")
	shardFlag := fs.String("shard", "", "explore shard `I/N` (0 <= I < N) of the space, split by fingerprint at a frontier depth; merge the shards' --format json reports with delegsim merge")
	shardDepth := fs.Int("shard-depth", 0, "the `DEPTH` at which --shard splits the space (default: the first with 64 states per shard)")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, usageErr("explore takes one scenario (a built-in name, a .yaml path, or - for standard input); see `delegsim list`"))
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return fail(stderr, err)
	}
	strat, err := explore.ParseStrategy(*strategy)
	if err != nil {
		return fail(stderr, usageErr("--strategy: %v", err))
	}
	if *maxDepth <= 0 || *maxStates <= 0 {
		return fail(stderr, usageErr("--max-depth and --max-states must be positive"))
	}
	if *maxDelay < 0 {
		return fail(stderr, usageErr("--max-delay must not be negative"))
	}
	memLimit, err := memoryLimit(*maxMemory)
	if err != nil {
		return fail(stderr, err)
	}
	if *workers < 1 || *shardDepth < 0 {
		return fail(stderr, usageErr("--workers must be positive and --shard-depth not negative"))
	}
	opts := explore.Options{Strategy: strat, MaxDepth: *maxDepth, MaxStates: *maxStates, ProgressEvery: 1 << 14,
		Workers: *workers, Symmetry: *symmetry, ShardDepth: *shardDepth}
	if *shardFlag != "" {
		sh, err := sweep.ParseShard(*shardFlag)
		if err != nil {
			return fail(stderr, usageErr("%v", strings.TrimPrefix(err.Error(), sweep.ErrInvalid.Error()+": ")))
		}
		opts.Shard, opts.Shards = sh.Index, sh.Count
	}
	switch *consistency {
	case "":
	case "none":
		opts.SkipConsistency = true
	default:
		c, err := checker.ParseConsistency(*consistency)
		if err != nil {
			return fail(stderr, usageErr("--consistency: %v (or none)", err))
		}
		opts.Consistency = &c
	}
	if err := lf.check(); err != nil {
		return fail(stderr, err)
	}
	if err := checkOutputs("out", *out); err != nil {
		return fail(stderr, err)
	}
	sc, o, err := rf.load(pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	m, _, err := explore.FromScenario(sc, o, explore.ModelOptions{MaxDelay: *maxDelay, MinDelay: !*zeroMin})
	if err != nil {
		return fail(stderr, err)
	}
	m.Sets = rf.sets

	rep := runExplore(m, opts, memLimit, &lf, stderr)
	if rep == nil {
		return exitBadUsage
	}
	if *out != "" {
		if rep.Counterexample == nil {
			fmt.Fprintf(stderr, "delegsim: no counterexample, %s not written\n", *out)
		} else {
			var b bytes.Buffer
			rep.Counterexample.Schedule.Format(&b)
			if err := writeOutput(*out, stdout, b.Bytes()); err != nil {
				return fail(stderr, err)
			}
		}
	}
	if *format == "json" {
		var b bytes.Buffer
		if err = rep.WriteJSON(&b); err == nil {
			err = writeVersionedJSON(stdout, b.Bytes())
		}
	} else {
		err = rep.WriteText(stdout)
		if err == nil && rep.Counterexample != nil {
			file := "FILE"
			if *out != "" && *out != stdoutPath {
				file = shellQuote(*out)
			}
			replay := fmt.Sprintf("delegsim run %s --schedule %s", shellQuote(pos[0]), file)
			if rf.policyFile != "" {
				replay += " --policy-file " + shellQuote(rf.policyFile)
			}
			fmt.Fprintf(stdout, "\nreplay: %s\n", replay)
		}
	}
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stderr, "delegsim: %s\n", rep.TimingLine())
	if *shardFlag != "" && *format != "json" {
		fmt.Fprintln(stderr, "delegsim: merge shards from their --format json reports (delegsim merge SHARD.json...)")
	}
	return exploreStatus(rep)
}

// exploreStatus is explore's exit status: 1 for a violation, 130 if a
// signal stopped the search, 3 if it stopped at a bound or checked no
// complete history (undecided), 0 if it was exhausted and held.
func exploreStatus(rep *explore.Report) int {
	switch rep.Verdict() {
	case explore.VerdictViolated:
		return exitFailed
	case explore.VerdictOK:
		return exitOK
	}
	if rep.Interrupted && rep.Bound == "" {
		return exitInterrupted
	}
	return exitIncomplete
}

// memoryLimit parses --max-memory; empty means defaultMemoryShare of what
// the machine allows (0, no limit, if that is unknown).
func memoryLimit(flag string) (uint64, error) {
	if flag == "" {
		return uint64(defaultMemoryShare * float64(sysmem.Available())), nil
	}
	n, err := sysmem.Parse(flag)
	if err != nil {
		return 0, usageErr("--max-memory: %v", err)
	}
	return n, nil
}

// runExplore runs the search with the progress reporter, the signal
// handler and the memory watch, and returns its report, marked with the
// max-memory bound if the watch stopped it.
func runExplore(m *explore.Model, opts explore.Options, memLimit uint64, lf *longFlags, stderr io.Writer) *explore.Report {
	long, err := lf.start(stderr)
	if err != nil {
		fail(stderr, err)
		return nil
	}
	defer long.finish()
	what := "explore " + m.Scenario
	est := uint64(opts.MaxStates) * bytesPerState[opts.Strategy]
	limit := "no --max-memory bound"
	if memLimit > 0 {
		limit = "--max-memory " + sysmem.Format(memLimit)
	}
	fmt.Fprintf(stderr, "delegsim: %s: %s up to %d states needs about %s (~%d B/state); %s\n",
		what, opts.Strategy, opts.MaxStates, sysmem.Format(est), bytesPerState[opts.Strategy], limit)
	if memLimit > 0 && est > memLimit {
		fmt.Fprintf(stderr, "delegsim: the search may stop at --max-memory before --max-states\n")
	}

	ctx, cancel := context.WithCancelCause(long.ctx)
	defer cancel(nil)
	if memLimit > 0 {
		old := debug.SetMemoryLimit(int64(memLimit)) // the GC works harder before the watch gives up
		defer debug.SetMemoryLimit(old)
		go sysmem.WatchUsing(ctx, inUse, memLimit, 100*time.Millisecond, cancel)
	}
	var depth, queue atomic.Int64
	bar := long.reporter(what, int64(opts.MaxStates), "states", func() string {
		return fmt.Sprintf("depth %d, %d queued, %s in use", depth.Load(), queue.Load(), sysmem.Format(inUse()))
	})
	opts.Context = ctx
	opts.Progress = func(p explore.Progress) {
		bar.Set(int64(p.Distinct))
		depth.Store(int64(p.Depth))
		queue.Store(p.Queue)
	}
	rep := explore.Explore(m, opts)
	bar.Set(int64(rep.Distinct))
	bar.Stop()
	if rep.Interrupted && errors.Is(context.Cause(ctx), sysmem.ErrLimit) {
		// Only then: the default limit depends on the machine, and the
		// report is otherwise the same on every one.
		rep.Interrupted, rep.Bound, rep.MaxMemory = false, "max-memory", int64(memLimit)
	}
	if rep.Interrupted {
		fmt.Fprintln(stderr, "delegsim: interrupted; the report covers the states visited")
	}
	return rep
}

// inUse is the memory the process holds: the Go runtime's, and the
// explorer's visited set, which lives outside the Go heap.
func inUse() uint64 { return sysmem.InUse() + uint64(explore.OffHeapBytes()) }
