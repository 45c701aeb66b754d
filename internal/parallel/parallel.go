// Package parallel runs independent, indexed pieces of work on several
// goroutines. Results go into slots the caller owns by index, so the
// outcome never depends on the number of workers or their timing.
package parallel

import (
	"runtime"
	"sync"
)

// For calls fn(i) for every i in [0, n) on up to workers goroutines (0 or
// less: GOMAXPROCS) and returns when all calls have returned.
func For(n, workers int, fn func(i int)) {
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
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
