package main

import (
	"fmt"
	"io"

	"github.com/delegsim/delegsim/sweep"
)

func init() {
	register(command{name: "merge", summary: "merge the shard directories of a sweep and draw its figures", run: mergeCmd})
}

const mergeArgs = `DIR... --out DIR [flags]

Combines the output directories of the shards of one sweep (delegsim sweep
--shard I/N, for I from 0 to N-1) into the results of the whole sweep,
byte-identical to an unsharded run, and draws the figures. Every shard
must be given once, and all must come from the same sweep command.`

func mergeCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("merge", mergeArgs, stderr)
	out := fs.String("out", "", "output directory (required; may be one of the shards')")
	partial := fs.Bool("allow-partial", false, "accept interrupted or missing shards; the result says \"complete\": false")
	noFigures := fs.Bool("no-figures", false, "write results.csv and sweep.json only")
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
	if err := checkOutDir(*out); err != nil {
		return sweepFail(stderr, err)
	}
	res, err := sweep.Merge(dirs, *partial)
	if err != nil {
		return sweepFail(stderr, err)
	}
	files, err := writeSweep(*out, res, !*noFigures)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "merged %d shard directories: %d of %d points\n", len(dirs), res.PointsDone(), res.Meta.Points)
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f)
	}
	return exitOK
}
