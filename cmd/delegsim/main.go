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
	"sort"
	"strings"

	"github.com/delegsim/delegsim/scenarios"
)

// Exit statuses: 0 success, 1 a property or expectation failed, 2 bad
// usage or bad input.
const (
	exitOK       = 0
	exitFailed   = 1
	exitBadUsage = 2
)

// command is one subcommand. Each lives in its own file and registers
// itself from init.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func main() { os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr)) }

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runDefault(stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "--help":
		usage(stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "delegsim: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitBadUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: delegsim [COMMAND [ARGS]]")
	fmt.Fprintln(w, "\nWith no command, runs bz219278 under every built-in policy and prints a comparison.")
	fmt.Fprintln(w, "\nCommands:")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\n`delegsim COMMAND --help` describes a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 success, 1 an expectation or property failed, 2 bad usage or input.")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: delegsim %s %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, allowing them after positional arguments too
// ("run bz219278 --policy X"). It returns the positionals, or an exit
// status if parsing ended the command.
func parse(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
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

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// fail prints an error and returns the exit status it deserves: 2 for
// bad input, 1 otherwise.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "delegsim: %v\n", err)
	if errors.Is(err, scenarios.ErrInvalid) || errors.Is(err, errUsage) {
		return exitBadUsage
	}
	return exitFailed
}

var errUsage = errors.New("usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return usageErr("unknown --format %q (allowed: %s)", format, strings.Join(allowed, ", "))
}
