package main

import (
	"bufio"
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
	copts := trace.CheckOptions{Profile: *profile, Policy: *policy}
	if *check {
		if err := copts.Validate(); err != nil {
			return fail(stderr, usageErr("%v", err))
		}
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
	// --check reads the capture twice (the model needs every file and
	// client first): a file is read again, standard input is kept in a
	// temporary file meanwhile. The story streams either way.
	var again func() (io.Reader, error)
	if *check {
		var cleanup func()
		var err error
		if r, again, cleanup, err = rereadable(r); err != nil {
			return fail(stderr, err)
		}
		defer cleanup()
	}
	c, st, err := trace.Tell(r, name, trace.TellOptions{Timeline: *format != "json" && !*check && !*calibrate, Observations: *check})
	if err != nil {
		fmt.Fprintf(stderr, "delegsim: %v\n", err)
		if errors.Is(err, trace.ErrInput) {
			return exitBadUsage
		}
		return exitFailed
	}
	if c.Decoded == 0 {
		fmt.Fprintf(stderr, "delegsim: %s: no NFSv4 traffic in %d frames (NFSv4 RPC is recognised by program 100003 version 4, on any port)\n", name, c.Frames)
		return exitBadUsage
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(stderr, "delegsim: %s: warning: %s\n", filepath.Base(name), w)
	}
	var conf *trace.Conformance
	if *check {
		r2, err := again()
		if err == nil {
			conf, err = trace.CheckCapture(r2, c, st, copts)
		}
		if err != nil {
			fmt.Fprintf(stderr, "delegsim: %s: %v\n", name, err)
			return exitFailed
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
	err = writeOutput(*out, stdout, buf.Bytes())
	if err != nil {
		return fail(stderr, err)
	}
	if conf != nil && conf.Failed() {
		return exitFailed
	}
	return exitOK
}

// rereadable returns a reader of r's bytes and a way to read them again
// from the start: by seeking back where r can seek (a file), else from a
// temporary copy made as the first reading goes (a pipe). cleanup removes
// the copy.
func rereadable(r io.Reader) (first io.Reader, again func() (io.Reader, error), cleanup func(), err error) {
	if s, ok := r.(io.ReadSeeker); ok {
		if at, err := s.Seek(0, io.SeekCurrent); err == nil {
			return r, func() (io.Reader, error) {
				_, err := s.Seek(at, io.SeekStart)
				return s, err
			}, func() {}, nil
		}
	}
	tmp, err := os.CreateTemp("", "delegsim-trace-*.pcap")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("--check on standard input needs a temporary copy of the capture: %w", err)
	}
	cleanup = func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}
	return io.TeeReader(r, tmp), func() (io.Reader, error) {
		_, err := tmp.Seek(0, io.SeekStart)
		return bufio.NewReaderSize(tmp, 64<<10), err
	}, cleanup, nil
}
