package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/internal/atomicfile"
	"github.com/delegsim/delegsim/sweep"
)

func init() {
	register(command{name: "explore", summary: "visit every interleaving of a small scenario (exhaustive model checker)", run: exploreCmd})
}

func exploreCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("explore", "SCENARIO [flags]", stderr)
	var rf runFlags
	rf.add(fs)
	strategy := fs.String("strategy", "bfs", "search order: bfs (shortest counterexample) or dfs (low memory)")
	maxDepth := fs.Int("max-depth", explore.DefaultMaxDepth, "do not expand states this many steps from the start")
	maxStates := fs.Int("max-states", explore.DefaultMaxStates, "stop after this many distinct states")
	maxDelay := fs.Duration("max-delay", 0, "every message arrives within this time (default: bounds from the scenario's delay distributions)")
	consistency := fs.String("consistency", "", "model complete histories are checked against: close-to-open, linearizable or none (default: the policy's promise, close-to-open)")
	format := fs.String("format", "text", "output format: text or json")
	out := fs.String("out", "", "write the counterexample schedule to this file (replay it with: delegsim run SCENARIO --schedule FILE)")
	workers := fs.Int("workers", 1, "goroutines that search, sharing the visited states (counts and verdicts do not depend on it; which counterexample is found first may)")
	symmetry := fs.Bool("symmetry", false, "count states up to symmetries of the run (interchangeable clients and local processes) and a renaming of stateids and xids")
	shardFlag := fs.String("shard", "", "explore one shard of the space, I/N with 0 <= I < N, split by fingerprint at a frontier depth (merge the shards' --format json reports with delegsim merge)")
	shardDepth := fs.Int("shard-depth", 0, "the depth at which --shard splits the space (default: the first with 64 states per shard)")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, usageErr("explore takes one scenario (a built-in name or a .yaml path); see `delegsim list`"))
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
	if *workers < 1 || *shardDepth < 0 {
		return fail(stderr, usageErr("--workers must be positive and --shard-depth not negative"))
	}
	opts := explore.Options{Strategy: strat, MaxDepth: *maxDepth, MaxStates: *maxStates,
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
	sc, o, err := rf.load(pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	m, _, err := explore.FromScenario(sc, o, explore.ModelOptions{MaxDelay: *maxDelay})
	if err != nil {
		return fail(stderr, err)
	}
	m.Sets = rf.sets
	progress := onTerminal(stderr)
	if progress {
		opts.Progress = func(p explore.Progress) { fmt.Fprintf(stderr, "\r\033[K%s", progressLine(p)) }
	}
	rep := explore.Explore(m, opts)
	if progress {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if *out != "" {
		if rep.Counterexample == nil {
			fmt.Fprintf(stderr, "delegsim: no counterexample, %s not written\n", *out)
		} else {
			var b bytes.Buffer
			rep.Counterexample.Schedule.Format(&b)
			if err := atomicfile.WriteFile(*out, b.Bytes()); err != nil {
				return fail(stderr, err)
			}
		}
	}
	if *format == "json" {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
		if err == nil && rep.Counterexample != nil {
			replay := fmt.Sprintf("delegsim run %s --schedule FILE", pos[0])
			if *out != "" {
				replay = fmt.Sprintf("delegsim run %s --schedule %s", pos[0], *out)
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
	if rep.Violated() {
		return exitFailed
	}
	return exitOK
}

// progressLine renders a search's position: states, rate, what waits,
// depth and memory.
func progressLine(p explore.Progress) string {
	return fmt.Sprintf("explore: %d states (%.0f/s), %d queued, depth %d, %d MiB heap, %s",
		p.Distinct, p.Rate, p.Queue, p.Depth, p.Memory>>20, p.Elapsed.Round(time.Second))
}

// onTerminal reports whether w is a terminal: progress goes there only.
func onTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
