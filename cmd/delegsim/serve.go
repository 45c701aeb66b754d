package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/internal/interrupt"
	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/serve"
)

func init() {
	register(command{name: "serve", summary: "explore a scenario step by step in the browser (local web UI)", run: serveCmd})
}

const serveArgs = `[SCENARIO] [flags]

Serves the explorer's page and its JSON API on --addr (loopback only by
default) and prints the page's URL. Ctrl-C or SIGTERM stops it: the
server stops accepting connections, lets the requests under way finish
(http.Server.Shutdown, for up to a few seconds), and exits with status 0;
a second signal ends it at once.`

func serveCmd(args []string, stdout, stderr io.Writer) int {
	ctx, stop := interrupt.Notify(context.Background())
	defer stop()
	return serveUntil(ctx, args, stdout, stderr)
}

// serveUntil serves until ctx ends (Ctrl-C, or a test's cancel).
func serveUntil(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", serveArgs, stderr)
	addr := fs.String("addr", serve.DefaultAddr, "listen on this address; the default, loopback with a free port, keeps the page private to this machine")
	open := fs.Bool("open", false, "open the page in the browser")
	schedule := fs.String("schedule", "", "open the page at this schedule's path (written by: delegsim explore --out, or saved from the page)")
	var sets multiFlag
	fs.Var(&sets, "set", "override a field of the scenario, KEY=VALUE (repeatable)")
	pos, code, ok := parse(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		return fail(stderr, usageErr("serve takes at most one scenario (a built-in name or a .yaml path); see `delegsim list`"))
	}
	o := serve.Options{Sets: sets, Log: stderr}
	if len(pos) == 1 {
		o.Scenario = pos[0]
	}
	if *schedule != "" {
		data, err := os.ReadFile(*schedule)
		if err != nil {
			return fail(stderr, fmt.Errorf("%w: --schedule: %w", scenarios.ErrInvalid, err))
		}
		sch, err := explore.ParseSchedule(*schedule, data)
		if err != nil {
			return fail(stderr, err)
		}
		if o.Scenario == "" {
			o.Scenario = sch.Scenario
		}
		o.Schedule = sch
	}
	srv, err := serve.New(o)
	if err != nil {
		return fail(stderr, err)
	}
	ln, err := serve.Listen(*addr)
	if err != nil {
		return fail(stderr, usageErr("--addr: %v", err))
	}
	url := serve.URL(ln)
	fmt.Fprintf(stdout, "delegsim serve: open %s (Ctrl-C stops)\n", url)
	if *open {
		if err := openBrowser(url); err != nil {
			fmt.Fprintf(stderr, "delegsim serve: could not open a browser (%v); open %s yourself\n", err, url)
		}
	}
	if err := srv.Serve(ctx, ln); err != nil {
		return fail(stderr, err)
	}
	if interrupt.Interrupted(ctx) {
		fmt.Fprintf(stderr, "delegsim serve: %v: stopped\n", context.Cause(ctx))
	}
	return exitOK
}

// openBrowser asks the desktop to open url.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it; the browser outlives the opener
	return nil
}
