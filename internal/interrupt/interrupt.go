// Package interrupt turns SIGINT (Ctrl-C) and SIGTERM (kill, a batch
// scheduler's time limit) into a cancelled context, so that a long
// command stops cleanly, writes the partial result it has, and exits
// with ExitStatus.
package interrupt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// ExitStatus is the exit status of a command stopped by a signal: 128 +
// SIGINT, as shells report a process killed by Ctrl-C, so scripts can
// tell it from a failed property (1) or bad input (2).
const ExitStatus = 130

// ErrInterrupted is the cause of a context cancelled by a signal.
var ErrInterrupted = errors.New("interrupted")

// Notify returns a context that is cancelled, with a cause wrapping
// ErrInterrupted and naming the signal, at the first SIGINT or SIGTERM.
// The handler is removed at that first signal, so a second one ends the
// process at once, as a user pressing Ctrl-C twice expects. stop releases
// the handler; call it when the work is over.
//
// A process started in the background by a non-interactive shell
// inherits SIGINT ignored; signal.Notify installs a handler all the same,
// so `kill -INT` stops it too.
func Notify(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(fmt.Errorf("%w by %v", ErrInterrupted, s))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		select {
		case <-done:
		default:
			close(done)
		}
		cancel(context.Canceled)
	}
}

// Interrupted reports whether ctx was cancelled by a signal.
func Interrupted(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), ErrInterrupted)
}
