package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/internal/atomicfile"

	"github.com/delegsim/delegsim/sweep"
)

func init() {
	register(command{name: "merge", summary: "merge the shard directories of a sweep and draw its figures", run: mergeCmd})
}

const mergeArgs = `DIR... --out DIR [flags]

Combines the output directories of the shards of one sweep (delegsim sweep
--shard I/N, for I from 0 to N-1) into the results of the whole sweep,
byte-identical to an unsharded run, and draws the figures. Every shard
must be given once, and all must come from the same sweep command and
the same delegsim version. --out must be a new directory (or, with
--force, one holding an earlier sweep's results), never one of the
shards: merging into a shard would overwrite the data being merged.

Given the JSON reports of the shards of one exploration instead
(delegsim explore --shard I/N --format json > shard-I.json), it prints
the report of the whole search: histories, outcomes and verdicts exactly
as unsharded, state counts as upper bounds (see docs/exploration.md).`

func mergeCmd(args []string, stdout, stderr io.Writer) int {
	if exploreReports(args) {
		return mergeExplore(args, stdout, stderr)
	}
	fs := newFlags("merge", mergeArgs, stderr)
	out := fs.String("out", "", "output `DIR` (required; not one of the shards')")
	force := fs.Bool("force", false, "replace the results of an earlier sweep or merge in --out")
	partial := fs.Bool("allow-partial", false, "accept interrupted or missing shards; the result says \"complete\": false")
	noFigures := fs.Bool("no-figures", false, "write results.csv and sweep.json only")
	logLatency := fs.Bool("log-latency", false, "draw the latency figure with a logarithmic axis")
	dirs, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(dirs) == 0 {
		return fail(stderr, usageErr("merge needs the shards' output directories"))
	}
	if *out == "" {
		return fail(stderr, usageErr("merge needs --out DIR"))
	}
	if err := notAnInput(*out, dirs); err != nil {
		return sweepFail(stderr, err)
	}
	if err := checkSweepDir(*out, *force, false); err != nil {
		return sweepFail(stderr, err)
	}
	res, err := sweep.Merge(dirs, *partial)
	if err != nil {
		return sweepFail(stderr, err)
	}
	if *force {
		if err := sweep.Clean(*out); err != nil {
			return fail(stderr, err)
		}
	}
	files, err := writeSweep(*out, "merge", res, !*noFigures, *logLatency)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "merged %d shard directories: %d of %d points\n", len(dirs), res.PointsDone(), res.Meta.Points)
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f)
	}
	return exitOK
}

// notAnInput refuses an output directory that is one of the inputs (the
// same directory by any path: os.SameFile).
func notAnInput(out string, dirs []string) error {
	ost, err := os.Stat(out)
	if err != nil {
		return nil // does not exist yet: cannot be an input
	}
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && os.SameFile(ost, st) {
			return fmt.Errorf("%w: --out %s is the shard directory %s: merging into it would overwrite the data being merged; choose a new directory", sweep.ErrInvalid, out, d)
		}
	}
	return nil
}

// exploreReports reports whether merge's arguments name explore reports
// (files ending in .json) rather than sweep directories.
func exploreReports(args []string) bool {
	for _, a := range args {
		if strings.HasSuffix(a, ".json") && !strings.HasPrefix(a, "-") {
			return true
		}
	}
	return false
}

// mergeExplore joins the JSON reports of the shards of one exploration.
func mergeExplore(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("merge", "SHARD.json... [flags]", stderr)
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	out := fs.String("out", "", "also write the merged JSON report to `FILE`")
	files, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if err := checkFormat(*format, "text", "json"); err != nil {
		return fail(stderr, err)
	}
	var reps []*explore.Report
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return fail(stderr, usageErr("%v", err))
		}
		rep, err := explore.ReadReport(f)
		f.Close()
		if err != nil {
			return fail(stderr, usageErr("%s: %v", name, err))
		}
		reps = append(reps, rep)
	}
	rep, err := explore.Merge(reps)
	if err != nil {
		return fail(stderr, usageErr("%v", err))
	}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		return fail(stderr, err)
	}
	if *out != "" {
		if err := atomicfile.WriteFile(*out, b.Bytes()); err != nil {
			return fail(stderr, err)
		}
	}
	if *format == "json" {
		err = writeVersionedJSON(stdout, b.Bytes())
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return fail(stderr, err)
	}
	return exploreStatus(rep)
}
