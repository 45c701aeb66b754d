package main

import (
	"bytes"
	"io"

	"github.com/delegsim/delegsim/explain"
	"github.com/delegsim/delegsim/explore"
)

func init() {
	register(command{name: "explain", summary: "tell one run step by step: narrated timeline, Mermaid or HTML sequence diagram", run: explainCmd})
}

func explainCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("explain", "SCENARIO [flags]", stderr)
	var rf runFlags
	rf.add(fs)
	format := fs.String("format", "text", "output `FORMAT`: text (narrated timeline), mermaid (sequence diagram for GitHub markdown) or html (self-contained page)")
	out := fs.String("out", "", "write the output to `FILE` instead of standard output")
	schedule := fs.String("schedule", "", "tell the schedule `FILE` (written by: delegsim explore --out) instead of a simulated run")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, usageErr("explain takes one scenario (a built-in name, a .yaml path, or - for standard input); see `delegsim list`"))
	}
	if err := checkFormat(*format, "text", "mermaid", "html"); err != nil {
		return fail(stderr, err)
	}
	if err := checkOutputs("out", *out); err != nil {
		return fail(stderr, err)
	}
	sc, o, err := rf.load(pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	var st *explain.Story
	if *schedule != "" {
		var sch *explore.Schedule
		if sch, o, err = explore.ReadScheduleFor(sc, o, rf.sets, *schedule); err == nil {
			st, err = explain.BuildSchedule(sc, o, sch)
		}
	} else {
		st, err = explain.Build(sc, o)
	}
	if err != nil {
		return fail(stderr, err)
	}
	var buf bytes.Buffer
	switch *format {
	case "mermaid":
		err = st.WriteMermaid(&buf)
	case "html":
		err = st.WriteHTML(&buf)
	default:
		err = st.WriteText(&buf)
	}
	if err != nil {
		return fail(stderr, err)
	}
	err = writeOutput(*out, stdout, buf.Bytes())
	if err != nil {
		return fail(stderr, err)
	}
	return exitOK
}
