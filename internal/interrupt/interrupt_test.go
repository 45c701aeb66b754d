package interrupt

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalsCancel: SIGINT and SIGTERM each cancel the context with a
// cause that names the signal.
func TestSignalsCancel(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		ctx, stop := Notify(context.Background())
		if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%v did not cancel the context", sig)
		}
		if !Interrupted(ctx) || !strings.Contains(context.Cause(ctx).Error(), "interrupted by") {
			t.Errorf("%v: cause %v", sig, context.Cause(ctx))
		}
		stop()
	}
}

// TestStopIsNotAnInterrupt: ending the work normally cancels the context
// but does not count as an interruption.
func TestStopIsNotAnInterrupt(t *testing.T) {
	ctx, stop := Notify(context.Background())
	stop()
	stop()
	<-ctx.Done()
	if Interrupted(ctx) {
		t.Error("stop() counted as an interruption")
	}
}
