// Command delegsim simulates and checks NFSv4 delegations: run a scenario,
// check its histories, explore its interleavings, sweep parameters and
// explain what happened. `delegsim help` lists the subcommands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/delegsim/delegsim/internal/atomicfile"
	"github.com/delegsim/delegsim/internal/interrupt"
	"github.com/delegsim/delegsim/internal/version"
	"github.com/delegsim/delegsim/scenarios"
)

// Exit statuses, documented in `delegsim help` and the README.
const (
	exitOK       = 0 // success: the properties held, the expectations were met
	exitFailed   = 1 // a property or an expectation failed
	exitBadUsage = 2 // bad usage or input, or an output that could not be written
	// exitIncomplete: a search ended before deciding (a bound was hit,
	// or it checked no complete history); its partial report was written.
	exitIncomplete = 3
	// exitInterrupted: SIGINT or SIGTERM stopped the command; the partial
	// result was written.
	exitInterrupted = interrupt.ExitStatus
)

// exitStatusHelp is the exit status table of `delegsim help`.
const exitStatusHelp = `Exit status:
  0    success: every property held, every expectation was met
  1    a property or an expectation failed (a violation, a failed run)
  2    bad usage or input (the message names the file, field and allowed
       values), or an output that could not be written; no output file
  3    a search stopped before deciding: a bound (--max-states,
       --max-depth, --max-memory) was hit, or no complete history was
       checked; the partial report says so
  130  interrupted by SIGINT (Ctrl-C) or SIGTERM; the partial result was
       written`

// command is one subcommand. Each lives in its own file and registers
// itself from init.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// stdin is where a scenario named "-" is read from; tests replace it.
var stdin io.Reader = os.Stdin

func main() {
	completeIfAsked()
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the command line args. A failed write to stdout (a full
// disk, `>/dev/full`) is reported and makes the status 2, whatever the
// command returned: its output is incomplete.
func dispatch(args []string, stdout, stderr io.Writer) int {
	out := &checkedWriter{w: stdout}
	helpOut = out
	code := dispatchCommand(args, out, stderr)
	if out.err != nil && code != exitBadUsage { // else the command said why
		fmt.Fprintf(stderr, "delegsim: cannot write standard output: %v\n", out.err)
		return exitBadUsage
	}
	return code
}

func dispatchCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runDefault(stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return helpCommand(args[1], stdout, stderr)
		}
		usage(stdout)
		return exitOK
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "delegsim", version.String())
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "delegsim: unknown command %q (commands: %s; see delegsim help)\n", args[0], strings.Join(commandNames(), ", "))
		return exitBadUsage
	}
	return c.run(args[1:], stdout, stderr)
}

// helpCommand is `delegsim help CMD`: CMD's own --help.
func helpCommand(name string, stdout, stderr io.Writer) int {
	if name == "exit-status" {
		fmt.Fprintln(stdout, exitStatusHelp)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "delegsim: no command %q to describe (commands: %s)\n", name, strings.Join(commandNames(), ", "))
		return exitBadUsage
	}
	return c.run([]string{"--help"}, stdout, stderr)
}

func commandNames() []string {
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: delegsim [COMMAND [ARGS]]")
	fmt.Fprintln(w, "\nWith no command, runs bz219278 under every built-in policy and prints a comparison.")
	fmt.Fprintln(w, "\nCommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "  help CMD   describe a command and its flags (also: delegsim CMD --help)")
	fmt.Fprintln(w, "  version    print the version (also: delegsim --version)")
	fmt.Fprintln(w, "\nA SCENARIO is a built-in name (delegsim list), a path to a .yaml file, or - for standard input.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, exitStatusHelp)
}

// newFlags returns a flag set that reports errors instead of exiting.
// Its Usage is what --help prints (on stdout, by parse); args is the
// usage line after the command name, optionally followed by a blank line
// and a description.
func newFlags(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(quiet{stderr}) // parse reports errors itself
	fs.Usage = func() {
		fmt.Fprintf(usageOut, "usage: delegsim %s %s\n\nFlags:\n", name, args)
		printFlags(usageOut, fs)
	}
	return fs
}

// usageOut is where a flag set's Usage prints: nowhere while the flag
// package parses (it calls Usage after every error, where a hint is
// enough), dispatch's stdout when parse answers --help.
var (
	usageOut io.Writer = io.Discard
	helpOut  io.Writer = os.Stdout
)

// printFlags lists a flag set's flags as GNU tools do, "--policy NAME",
// with the placeholder taken from the backquoted word of the flag's usage.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		ph, text := flag.UnquoteUsage(f)
		switch ph {
		case "value", "string":
			ph = "VALUE"
		case "int", "uint":
			ph = "N"
		case "duration":
			ph = "DURATION"
		}
		line := "  --" + f.Name
		if ph != "" {
			line += " " + ph
		}
		fmt.Fprintln(w, line)
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" && !strings.Contains(text, "default") {
			text += fmt.Sprintf(" (default %s)", d)
		}
		fmt.Fprintf(w, "        %s\n", text)
	})
}

// capture, when set, receives the flag set of the next command that
// parses its flags, and the command stops there: shell completion reads
// every command's flags this way without running it.
var (
	captureMu sync.Mutex
	capture   *flag.FlagSet
	capturing bool
)

// parse parses flags, allowing them after positional arguments too
// ("run bz219278 --policy X"). It returns the positionals, or an exit
// status if parsing ended the command: --help prints the usage on stdout
// and ends it with status 0, a bad flag with status 2.
func parse(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	if capturing {
		capture = fs
		return nil, exitOK, false
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usageOut = helpOut
				fs.Usage()
				usageOut = io.Discard
				return nil, exitOK, false
			}
			var stderr io.Writer = io.Discard
			if q, ok := fs.Output().(quiet); ok {
				stderr = q.w
			}
			// The flag package says "-name"; delegsim's flags are --name.
			msg := regexp.MustCompile(`(^| )-([a-z])`).ReplaceAllString(err.Error(), "$1--$2")
			fmt.Fprintf(stderr, "delegsim: %s (see: delegsim help %s)\n", msg, fs.Name())
			return nil, exitBadUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// flagsOf returns the flag set of a command, without running it.
func flagsOf(c command) *flag.FlagSet {
	captureMu.Lock()
	defer captureMu.Unlock()
	capturing, capture = true, nil
	defer func() { capturing = false }()
	c.run(nil, io.Discard, io.Discard)
	return capture
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// fail prints an error and returns the exit status it deserves: 2 for
// bad input and for an output that cannot be written, 1 otherwise.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "delegsim: %v\n", err)
	if errors.Is(err, scenarios.ErrInvalid) || errors.Is(err, errUsage) || errors.Is(err, atomicfile.ErrOutput) {
		return exitBadUsage
	}
	return exitFailed
}

// errUsage matches every error of bad usage (a bad flag value, a missing
// argument): exit status 2.
var errUsage = errors.New("usage")

// usageError is a bad-usage error; its text is the message alone.
type usageError struct{ msg string }

func (e usageError) Error() string        { return e.msg }
func (e usageError) Is(target error) bool { return target == errUsage }

func usageErr(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usageErr("unknown --format %q (allowed: %s)", format, strings.Join(allowed, ", "))
}

// quiet is a flag set's output: it discards what the flag package would
// print and keeps the command's stderr for parse.
type quiet struct{ w io.Writer }

func (quiet) Write(p []byte) (int, error) { return len(p), nil }

// checkedWriter remembers the first error a write returned.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}
