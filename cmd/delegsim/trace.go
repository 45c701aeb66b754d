package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/delegsim/delegsim/trace"
)

func init() {
	register(command{name: "trace", summary: "read a pcap of NFSv4 traffic: its delegation story, --check against the model, --calibrate", run: traceCmd})
}

func traceCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("trace", "FILE|- [flags]", stderr)
	format := fs.String("format", "text", "output format: text (narrated timeline), json (see docs/trace.md), mermaid or html (explain's sequence diagram and page)")
	out := fs.String("out", "", "write the output to this file instead of standard output")
	check := fs.Bool("check", false, "replay the clients' requests through delegsim's server model and report every divergence; exit 1 if any")
	profile := fs.String("profile", "auto", "with --check: kernel profile to compare with, or auto for all (see `delegsim list`)")
	policy := fs.String("policy", "kernel", "with --check: the model's policy")
	calibrate := fs.Bool("calibrate", false, "estimate the scenario format's timing parameters from the capture (YAML fragment and --set flags)")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return fail(stderr, usageErr("trace takes one capture file (pcap or pcapng; - for standard input)"))
	}
	allowed := []string{"text", "json", "mermaid", "html"}
	if *check || *calibrate {
		allowed = []string{"text", "json"}
	}
	if err := checkFormat(*format, allowed...); err != nil {
		return fail(stderr, err)
	}
	if err := checkOutputs("out", *out); err != nil {
		return fail(stderr, err)
	}
	name, r := pos[0], stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "delegsim: %v\n", err)
			return exitBadUsage
		}
		defer f.Close()
		r = f
	} else {
		name = "standard input"
	}
	c, err := trace.Decode(r, name, trace.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "delegsim: %v\n", err)
		if errors.Is(err, trace.ErrInput) {
			return exitBadUsage
		}
		return exitFailed
	}
	if len(c.Exchanges) == 0 {
		fmt.Fprintf(stderr, "delegsim: %s: no NFSv4 traffic in %d frames (NFSv4 RPC is recognised by program 100003 version 4, on any port)\n", name, c.Frames)
		return exitBadUsage
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(stderr, "delegsim: %s: warning: %s\n", filepath.Base(name), w)
	}
	st := trace.Build(c)
	var conf *trace.Conformance
	if *check {
		if conf, err = trace.CheckStory(c, st, trace.CheckOptions{Profile: *profile, Policy: *policy}); err != nil {
			return fail(stderr, usageErr("%v", err))
		}
	}
	var cal *trace.Calibration
	if *calibrate {
		cal = trace.Calibrate(c, st)
	}
	var buf bytes.Buffer
	switch {
	case *format == "json":
		var raw bytes.Buffer
		if err = st.WriteJSON(&raw, conf, cal); err == nil {
			err = writeVersionedJSON(&buf, raw.Bytes())
		}
	case *format == "mermaid":
		err = st.WriteMermaid(&buf)
	case *format == "html":
		err = st.WriteHTML(&buf)
	case conf != nil || cal != nil:
		if conf != nil {
			err = conf.WriteText(&buf, filepath.Base(name))
		}
		if cal != nil && err == nil {
			if conf != nil {
				buf.WriteString("\n")
			}
			err = cal.WriteYAML(&buf, filepath.Base(name))
		}
	default:
		err = st.WriteText(&buf)
	}
	if err != nil {
		return fail(stderr, err)
	}
	if *out != "" {
		err = writeOutput(*out, stdout, buf.Bytes())
	} else {
		_, err = stdout.Write(buf.Bytes())
	}
	if err != nil {
		return fail(stderr, err)
	}
	if conf != nil && conf.Failed() {
		return exitFailed
	}
	return exitOK
}
