package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/delegsim/delegsim/internal/interrupt"
	"github.com/delegsim/delegsim/internal/progress"
)

// longFlags are the flags of the commands that can run for long (check,
// compare, explore, sweep).
type longFlags struct {
	progress string
	every    time.Duration
}

func (l *longFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&l.progress, "progress", "auto",
		"progress on standard error: `MODE` auto (a bar on a terminal, else lines), bar, lines or off")
	fs.DurationVar(&l.every, "progress-every", progress.DefaultInterval, "time between two progress lines (MODE lines)")
}

// longRun is a long command's work: its progress reporter's mode and the
// context SIGINT and SIGTERM cancel.
type longRun struct {
	ctx    context.Context
	stop   func()
	mode   progress.Mode
	every  time.Duration
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
	return &longRun{ctx: ctx, stop: stop, mode: mode, every: l.every, stderr: stderr}, nil
}

// checkProgress validates --progress before any work.
func (l *longFlags) check() error {
	if _, err := progress.ParseMode(l.progress); err != nil {
		return usageErr("--progress: %v", err)
	}
	if l.every <= 0 {
		return usageErr("--progress-every %v: must be positive", l.every)
	}
	return nil
}

// reporter starts the progress reporter of the work.
func (r *longRun) reporter(what string, total int64, unit string, detail func() string) *progress.Reporter {
	return progress.Start(r.stderr, what, total, progress.Options{Mode: r.mode, Interval: r.every, Unit: unit, Detail: detail})
}

// interrupted reports whether a signal stopped the work.
func (r *longRun) interrupted() bool { return interrupt.Interrupted(r.ctx) }

// finish releases the signal handler.
func (r *longRun) finish() { r.stop() }
