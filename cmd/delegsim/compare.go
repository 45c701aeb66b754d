package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

func init() {
	register(command{name: "compare", summary: "decision table: every policy's failures, latency, stale reads and costs on a scenario", run: compareCmd})
}

// compareDefaults are the scenarios `delegsim compare` with none named
// compares on: the bug report's reproducer, the certbot/nginx case, and a
// holder with unflushed data, where a fix that skips the recall shows
// its price in stale reads.
var compareDefaults = []string{"bz219278", "certbot-nginx", "open-dirty-local-read"}

func compareCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compare", "[SCENARIO...] [flags]", stderr)
	policies := fs.String("policies", strings.Join(model.PolicyNames(), ","), "comma-separated policy `NAMES` to compare")
	profile := fs.String("profile", "", "kernel profile `NAME` (default: the scenario's, else "+model.DefaultProfile+")")
	seed := fs.String("seed", "", "first trial's `SEED`; trial i uses seed+i (default: the scenario's, else 1)")
	trials := fs.Int("trials", compare.DefaultTrials, "runs `N` per policy")
	exploreStates := fs.Int("explore-states", compare.DefaultExploreStates, "distinct states `N` the exhaustive search for stale reads may visit per policy; 0 skips it")
	workers := fs.Int("workers", 0, "goroutines `N` running trials (default: all cores); results do not depend on it")
	format := fs.String("format", "text", "output `FORMAT`: text, markdown or json")
	out := fs.String("out", "", "write the output to `FILE` instead of standard output")
	var sets multiFlag
	fs.Var(&sets, "set", "override a scenario field, `KEY=VALUE` (repeatable)")
	var lf longFlags
	lf.add(fs)
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if err := checkFormat(*format, "text", "markdown", "json"); err != nil {
		return fail(stderr, err)
	}
	if *trials < 1 {
		return fail(stderr, usageErr("--trials %d: need at least one run per policy", *trials))
	}
	if *exploreStates < 0 {
		return fail(stderr, usageErr("--explore-states %d is negative", *exploreStates))
	}
	if *workers < 0 {
		return fail(stderr, usageErr("--workers %d is negative (0: all cores)", *workers))
	}
	o := compare.Options{Profile: *profile, Trials: *trials, ExploreStates: *exploreStates, Explorer: compare.Exhaustive, Workers: *workers}
	if *exploreStates == 0 {
		o.Explorer = nil
	}
	for _, p := range strings.Split(*policies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if _, err := model.LookupPolicy(p, model.PolicyOptions{}); err != nil {
				return fail(stderr, usageErr("--policies: %v", err))
			}
			o.Policies = append(o.Policies, p)
		}
	}
	if len(o.Policies) == 0 {
		return fail(stderr, usageErr("--policies names no policy"))
	}
	if err := checkPolicyProfile("", *profile); err != nil {
		return fail(stderr, err)
	}
	if *seed != "" {
		s, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return fail(stderr, usageErr("--seed %q is not a non-negative integer", *seed))
		}
		o.Seed, o.HasSeed = s, true
	}
	if err := lf.check(); err != nil {
		return fail(stderr, err)
	}
	if err := checkOutputs("out", *out); err != nil {
		return fail(stderr, err)
	}
	if len(pos) == 0 {
		pos = compareDefaults
	}
	var scs []*scenarios.Scenario
	for _, name := range pos {
		sc, err := loadScenario(name, sets)
		if err != nil {
			return fail(stderr, err)
		}
		scs = append(scs, sc)
	}

	long, err := lf.start(stderr)
	if err != nil {
		return fail(stderr, err)
	}
	what := "compare " + scs[0].Name()
	if len(scs) > 1 {
		what = fmt.Sprintf("compare %d scenarios", len(scs))
	}
	bar := long.reporter(what, int64(len(scs)*len(o.Policies)), "policies", nil)
	o.Context, o.Progress = long.ctx, func() { bar.Add(1) }
	var tables []*compare.Table
	var stopped error
	for _, sc := range scs {
		t, err := compare.Compare(sc, o)
		if err != nil && long.interrupted() {
			if t != nil && len(t.Rows) > 0 {
				tables = append(tables, t)
			}
			stopped = err
			break
		}
		if err != nil {
			bar.Stop()
			long.finish()
			return fail(stderr, err)
		}
		tables = append(tables, t)
	}
	bar.Stop()
	long.finish()
	if stopped != nil && len(tables) == 0 {
		fmt.Fprintln(stderr, "delegsim: interrupted before any policy finished; nothing written")
		return exitInterrupted
	}

	var buf bytes.Buffer
	switch *format {
	case "json":
		var raw bytes.Buffer
		if err = compare.WriteJSON(&raw, tables); err == nil {
			err = writeVersionedJSON(&buf, raw.Bytes())
		}
	default:
		for i, t := range tables {
			if i > 0 {
				fmt.Fprintln(&buf)
			}
			if *format == "markdown" {
				err = t.WriteMarkdown(&buf)
			} else {
				err = t.WriteText(&buf)
			}
		}
	}
	if err == nil && *out != "" {
		err = writeOutput(*out, stdout, buf.Bytes())
	} else if err == nil {
		_, err = stdout.Write(buf.Bytes())
	}
	if err != nil {
		return fail(stderr, err)
	}
	if stopped != nil {
		fmt.Fprintf(stderr, "delegsim: %v; the output holds the rows that finished\n", stopped)
		return exitInterrupted
	}
	return exitOK
}
