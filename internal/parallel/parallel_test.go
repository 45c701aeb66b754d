package parallel

import (
	"context"
	"sync/atomic"
	"testing"
)

func TestForCallsEachIndexOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 100} {
		const n = 57
		var calls [n]atomic.Int32
		For(n, workers, func(i int) { calls[i].Add(1) })
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Fatalf("workers %d: index %d called %d times", workers, i, c)
			}
		}
	}
	For(0, 4, func(int) { t.Fatal("called with n = 0") })
}

// TestForContextStopsAtAPrefix: after the context is cancelled no new
// index starts, and the indexes that ran are exactly [0, k).
func TestForContextStopsAtAPrefix(t *testing.T) {
	for _, workers := range []int{1, 2, 8} {
		const n = 1000
		ctx, cancel := context.WithCancel(context.Background())
		var calls [n]atomic.Int32
		k := ForContext(ctx, n, workers, func(i int) {
			calls[i].Add(1)
			if i == 100 {
				cancel()
			}
		})
		if k < 101 || k >= n {
			t.Fatalf("workers %d: ran %d indexes, want a prefix past 100 and short of %d", workers, k, n)
		}
		for i := range calls {
			if want := int32(min(1, max(0, k-i))); calls[i].Load() != want {
				t.Fatalf("workers %d: index %d called %d times, want %d (k = %d)", workers, i, calls[i].Load(), want, k)
			}
		}
		cancel()
	}
}
