package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/internal/atomicfile"
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
	opts := explore.Options{Strategy: strat, MaxDepth: *maxDepth, MaxStates: *maxStates}
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
	opts.Progress = func(p explore.Progress) {
		fmt.Fprintf(stderr, "delegsim: %d distinct states, depth %d, %.0f states/s\n",
			p.Distinct, p.Depth, float64(p.Distinct)/max(p.Elapsed.Seconds(), 1e-9))
	}
	rep := explore.Explore(m, opts)
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
			file := "FILE"
			if *out != "" {
				file = *out
			}
			replay := fmt.Sprintf("delegsim run %s --schedule %s", pos[0], file)
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
	if rep.Violated() {
		return exitFailed
	}
	return exitOK
}
