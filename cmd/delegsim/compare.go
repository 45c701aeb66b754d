package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/scenarios"
)

func init() {
	register(command{name: "compare", summary: "decision table: every fix's failures, latency, stale reads, costs and what it breaks", run: compareCmd})
}

// compareDefaults are the scenarios `delegsim compare` with none named
// compares on: the bug report's reproducer, the certbot/nginx case, and a
// holder with unflushed data, where a fix that skips the recall shows
// its price in stale reads.
var compareDefaults = []string{"bz219278", "certbot-nginx", "open-dirty-local-read"}

const compareArgs = `[SCENARIO...] [flags]

Compares fixes side by side on each scenario: the kernel policies
(` + "`delegsim list`" + `), and the fixes that exist today: app-retry,
blocking-open (application changes), mount-v4.0, leases-disabled
(configuration), wronly-writer. Join options with + to apply them together
(mount-v4.0+app-retry). With no --fixes every policy and every option that
applies to the scenario is compared; a named fix that does not apply is an
error. Trial i of every row uses seed --seed+i.`

func compareCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compare", compareArgs, stderr)
	fixes := fs.String("fixes", "", "comma-separated fixes to compare, `NAMES` (default: "+strings.Join(compare.DefaultFixes(), ",")+")")
	var policyFiles multiFlag
	fs.Var(&policyFiles, "policy-file", "add a row for the policy in the YAML `FILE` (repeatable; see docs/policies.md)")
	profile := fs.String("profile", "", "kernel profile `NAME` (default: the scenario's, else linux-6.12)")
	seed := fs.String("seed", "", "first trial's `SEED`; trial i uses seed+i (default: the scenario's, else 1)")
	trials := fs.Int("trials", compare.DefaultTrials, "runs `N` per fix")
	exploreStates := fs.Int("explore-states", compare.DefaultExploreStates, "distinct states `N` the exhaustive search for stale reads may visit per fix; 0 skips it")
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
	if *workers < 0 {
		return fail(stderr, usageErr("--workers %d is negative (0: all cores)", *workers))
	}
	if err := checkPolicyProfile("", *profile); err != nil {
		return fail(stderr, err)
	}
	o, err := compareOptions(*fixes, policyFiles, *profile, *seed, *trials, *exploreStates)
	if err != nil {
		return fail(stderr, err)
	}
	o.Workers = *workers
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
	// The number of rows depends on which fixes apply: unknown up front.
	bar := long.reporter(what, 0, "rows", nil)
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
		fmt.Fprintln(stderr, "delegsim: interrupted before any row finished; nothing written")
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
	if err == nil {
		err = writeOutput(*out, stdout, buf.Bytes())
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

// compareOptions checks compare's and report's shared flags.
func compareOptions(fixes string, policyFiles []string, profile, seed string, trials, exploreStates int) (compare.Options, error) {
	if trials < 1 {
		return compare.Options{}, usageErr("--trials %d: need at least one run per fix", trials)
	}
	if exploreStates < 0 {
		return compare.Options{}, usageErr("--explore-states %d is negative", exploreStates)
	}
	o := compare.Options{Profile: profile, Trials: trials, ExploreStates: exploreStates, Explorer: compare.Exhaustive}
	if exploreStates == 0 {
		o.Explorer, o.ExploreStates = nil, -1
	}
	o.Fixes = splitList(fixes)
	for _, f := range o.Fixes {
		if _, err := compare.LookupFix(f); err != nil {
			return o, err
		}
	}
	pols, err := loadPolicyFiles(policyFiles)
	if err != nil {
		return o, err
	}
	for i, p := range pols {
		o.Extra = append(o.Extra, compare.ValueFix(p, "policy file "+policyFiles[i]))
	}
	if seed != "" {
		s, err := strconv.ParseUint(seed, 10, 64)
		if err != nil {
			return o, usageErr("--seed %q is not a non-negative integer", seed)
		}
		o.Seed, o.HasSeed = s, true
	}
	return o, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
