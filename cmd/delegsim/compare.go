package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/internal/atomicfile"
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
	policies := fs.String("policies", strings.Join(model.PolicyNames(), ","), "comma-separated policies to compare")
	profile := fs.String("profile", "", "kernel profile (default: the scenario's, else "+model.DefaultProfile+")")
	seed := fs.String("seed", "", "first trial's seed; trial i uses seed+i (default: the scenario's, else 1)")
	trials := fs.Int("trials", compare.DefaultTrials, "runs per policy")
	exploreStates := fs.Int("explore-states", compare.DefaultExploreStates, "distinct states the exhaustive search for stale reads may visit per policy; 0 skips it")
	format := fs.String("format", "text", "output format: text, markdown or json")
	out := fs.String("out", "", "write the output to this file instead of standard output")
	var sets multiFlag
	fs.Var(&sets, "set", "override a scenario field, KEY=VALUE (repeatable)")
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
	o := compare.Options{Profile: *profile, Trials: *trials, ExploreStates: *exploreStates, Explorer: compare.Exhaustive}
	if *exploreStates == 0 {
		o.Explorer = nil
	}
	for _, p := range strings.Split(*policies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.Policies = append(o.Policies, p)
		}
	}
	if *seed != "" {
		s, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return fail(stderr, usageErr("--seed %q is not a non-negative integer", *seed))
		}
		o.Seed, o.HasSeed = s, true
	}
	if len(pos) == 0 {
		pos = compareDefaults
	}
	var tables []*compare.Table
	for _, name := range pos {
		sc, err := scenarios.Load(name, sets)
		if err != nil {
			return fail(stderr, err)
		}
		t, err := compare.Compare(sc, o)
		if err != nil {
			return fail(stderr, err)
		}
		tables = append(tables, t)
	}
	var buf bytes.Buffer
	var err error
	switch *format {
	case "json":
		err = compare.WriteJSON(&buf, tables)
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
		err = atomicfile.WriteFile(*out, buf.Bytes())
	} else if err == nil {
		_, err = stdout.Write(buf.Bytes())
	}
	if err != nil {
		return fail(stderr, err)
	}
	return exitOK
}
