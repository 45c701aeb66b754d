// Package parallel runs independent, indexed pieces of work on several
// goroutines. Results go into slots the caller owns by index, so the
// outcome never depends on the number of workers or their timing.
package parallel

import (
	"context"
	"runtime"
	"sync"
)

// For calls fn(i) for every i in [0, n) on up to workers goroutines (0 or
// less: GOMAXPROCS) and returns when all calls have returned.
func For(n, workers int, fn func(i int)) {
	ForContext(context.Background(), n, workers, fn)
}

// ForContext is For that stops handing out indexes once ctx is done. It
// returns k such that fn(i) was called, and returned, for exactly the i
// in [0, k): indexes are handed out in order, so what an interrupted
// loop did is a prefix, as a report on "runs 1..k" needs.
func ForContext(ctx context.Context, n, workers int, fn func(i int)) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	k := 0
handOut:
	for ; k < n && ctx.Err() == nil; k++ {
		select {
		case next <- k:
		case <-ctx.Done():
			break handOut
		}
	}
	close(next)
	wg.Wait()
	return k
}
