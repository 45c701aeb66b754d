package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/checker/runcheck"
)

func init() {
	register(command{name: "check", summary: "run a scenario many times and check invariants and consistency", run: checkCmd})
}

func checkCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "SCENARIO [flags]", stderr)
	var rf runFlags
	rf.add(fs)
	var lf longFlags
	lf.add(fs)
	runs := fs.Int("runs", 100, "number of runs `N`, each with its own seed (--seed, --seed+1, ...)")
	consistency := fs.String("consistency", "", "consistency `MODEL` to check: linearizable or close-to-open (default: both)")
	htmlPath := fs.String("html", "", "write porcupine's visualisation of the first run violating a consistency model (else of the first run) to `FILE`")
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, usageErr("check takes one scenario (a built-in name, a .yaml path, or - for standard input); see `delegsim list`"))
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return fail(stderr, err)
	}
	if *runs < 1 {
		return fail(stderr, usageErr("--runs %d: need at least one run", *runs))
	}
	o := runcheck.Options{Runs: *runs}
	if *consistency != "" {
		c, err := checker.ParseConsistency(*consistency)
		if err != nil {
			return fail(stderr, usageErr("--consistency: %v", err))
		}
		o.Consistency = []checker.Consistency{c}
	}
	if err := lf.check(); err != nil {
		return fail(stderr, err)
	}
	if err := checkOutputs("html", *htmlPath); err != nil {
		return fail(stderr, err)
	}
	sc, so, err := rf.load(pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	o.Scenario = so
	long, err := lf.start(stderr)
	if err != nil {
		return fail(stderr, err)
	}
	bar := long.reporter("check "+sc.Name(), int64(*runs), "runs", nil)
	o.Context, o.Progress = long.ctx, func() { bar.Add(1) }
	rep, err := runcheck.Check(sc, o)
	bar.Stop()
	long.finish()
	if err != nil {
		return fail(stderr, err)
	}
	if rep.Interrupted && rep.Runs == 0 {
		fmt.Fprintln(stderr, "delegsim: interrupted before any run finished; nothing written")
		return exitInterrupted
	}
	if *htmlPath != "" {
		var page bytes.Buffer
		if err := rep.WriteHTML(&page); err != nil {
			return fail(stderr, err)
		}
		if err := writeOutput(*htmlPath, stdout, htmlWithVersion(page.Bytes())); err != nil {
			return fail(stderr, err)
		}
	}
	if *format == "json" {
		err = writeJSON(stdout, rep)
	} else {
		err = rep.WriteText(stdout, replayCommand(pos[0], rep, rf))
		if err == nil && *htmlPath != "" && *htmlPath != stdoutPath {
			seed, c := rep.HTMLSeed()
			fmt.Fprintf(stdout, "visualisation of seed %d (%s) written to %s\n", seed, c, *htmlPath)
		}
	}
	if err != nil {
		return fail(stderr, err)
	}
	if rep.Interrupted {
		fmt.Fprintf(stderr, "delegsim: interrupted after %d of %d runs; the report covers those runs\n", rep.Runs, rep.Asked)
	}
	switch {
	case rep.Failed(): // a violation in the runs made is one
		return exitFailed
	case rep.Interrupted:
		return exitInterrupted
	}
	return exitOK
}

// replayCommand returns the `delegsim run` command line that replays the
// run with a given seed.
func replayCommand(scenario string, rep *runcheck.Report, rf runFlags) func(uint64) string {
	return func(seed uint64) string {
		parts := []string{"delegsim", "run", shellQuote(scenario), "--policy", rep.Policy, "--profile", rep.Profile}
		if rf.policyFile != "" {
			parts[3], parts[4] = "--policy-file", shellQuote(rf.policyFile)
		}
		for _, s := range rf.sets {
			parts = append(parts, "--set", shellQuote(s))
		}
		return strings.Join(append(parts, "--seed", strconv.FormatUint(seed, 10)), " ")
	}
}

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
