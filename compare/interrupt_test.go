package compare

import (
	"context"
	"errors"
	"testing"

	"github.com/delegsim/delegsim/scenarios"
)

// TestInterruptKeepsFinishedRows: a comparison whose context is cancelled
// after two policies returns those two rows, with verdicts, and an error
// that wraps the cancellation's cause.
func TestInterruptKeepsFinishedRows(t *testing.T) {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	ctx, cancel := context.WithCancelCause(context.Background())
	done := 0
	tb, err := Compare(sc, Options{Trials: 5, Context: ctx, Progress: func() {
		if done++; done == 2 {
			cancel(stop)
		}
	}})
	if !errors.Is(err, stop) {
		t.Fatalf("error %v does not wrap the cause", err)
	}
	if tb == nil || len(tb.Rows) != 2 || tb.Rows[0].Verdict == "" {
		t.Fatalf("partial table %+v", tb)
	}
}
