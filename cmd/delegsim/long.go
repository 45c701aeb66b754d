package main

import (
	"context"
	"flag"
	"io"

	"github.com/delegsim/delegsim/internal/interrupt"
	"github.com/delegsim/delegsim/internal/progress"
)

// longFlags are the flags of the commands that can run for long (check,
// compare, explore, sweep).
type longFlags struct{ progress string }

func (l *longFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&l.progress, "progress", "auto",
		"progress on standard error: `MODE` auto (a bar on a terminal, else a line every 5s), bar, lines or off")
}

// longRun is a long command's work: its progress reporter's mode and the
// context SIGINT and SIGTERM cancel.
type longRun struct {
	ctx    context.Context
	stop   func()
	mode   progress.Mode
	stderr io.Writer
}

// start parses --progress and installs the signal handler. Call it after
// the command's input has been validated, just before the work; call
// finish when the work is over, before writing the results, so that a
// second Ctrl-C while writing ends the process at once.
func (l *longFlags) start(stderr io.Writer) (*longRun, error) {
	mode, err := progress.ParseMode(l.progress)
	if err != nil {
		return nil, usageErr("--progress: %v", err)
	}
	ctx, stop := interrupt.Notify(context.Background())
	return &longRun{ctx: ctx, stop: stop, mode: mode, stderr: stderr}, nil
}

// checkProgress validates --progress before any work.
func (l *longFlags) check() error {
	if _, err := progress.ParseMode(l.progress); err != nil {
		return usageErr("--progress: %v", err)
	}
	return nil
}

// reporter starts the progress reporter of the work.
func (r *longRun) reporter(what string, total int64, unit string, detail func() string) *progress.Reporter {
	return progress.Start(r.stderr, what, total, progress.Options{Mode: r.mode, Unit: unit, Detail: detail})
}

// interrupted reports whether a signal stopped the work.
func (r *longRun) interrupted() bool { return interrupt.Interrupted(r.ctx) }

// finish releases the signal handler.
func (r *longRun) finish() { r.stop() }
