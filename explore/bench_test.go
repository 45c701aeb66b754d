package explore_test

import (
	"runtime"
	"testing"

	"github.com/delegsim/delegsim/explore"
)

// benchExplore explores a scenario exhaustively b.N times and reports
// distinct states per second, the visited set's bytes per state, and two
// peaks of the heap per state: peak-heap, sampled every 4096 states
// during the timed searches, counts what was allocated and not yet
// collected; peak-live, from one more search, untimed, that collects
// before each of about a hundred samples, counts what the search holds
// (the visited set, the BFS frontier, the engine's tables).
func benchExplore(b *testing.B, scenario string, strat explore.Strategy) {
	m := loadModel(b, scenario, "kernel", nil)
	var rep *explore.Report
	var base, peak uint64
	sample := func(explore.Progress) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc-base)
	}
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base = ms.HeapAlloc
		rep = explore.Explore(m, explore.Options{Strategy: strat, MaxStates: 1 << 30, Progress: sample, ProgressEvery: 4096})
		if !rep.Exhausted {
			b.Fatalf("not exhausted: %s", rep.Bound)
		}
	}
	b.ReportMetric(float64(rep.Distinct)*float64(b.N)/b.Elapsed().Seconds(), "states/s")
	b.ReportMetric(float64(rep.Distinct), "states")
	b.ReportMetric(float64(rep.VisitedBytes)/float64(rep.Distinct), "visited-B/state")
	if peak > 0 {
		b.ReportMetric(float64(peak)/float64(rep.Distinct), "peak-heap-B/state")
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak = ms.HeapAlloc, 0
	explore.Explore(m, explore.Options{Strategy: strat, MaxStates: 1 << 30, ProgressEvery: max(rep.Distinct/100, 1),
		Progress: func(explore.Progress) {
			runtime.GC()
			sample(explore.Progress{})
		}})
	b.ReportMetric(float64(peak)/float64(rep.Distinct), "peak-live-B/state")
}

// BenchmarkExploreBz2c2l is the benchmark: bz219278 with two
// clients and two local processes under the kernel policy.
func BenchmarkExploreBz2c2l(b *testing.B) { benchExplore(b, "bz219278-2c2l", explore.BFS) }

// BenchmarkExploreBz2c2lDFS is the same space depth-first.
func BenchmarkExploreBz2c2lDFS(b *testing.B) { benchExplore(b, "bz219278-2c2l", explore.DFS) }

// BenchmarkExploreBz1c1l is the reporter's reproducer (one client, one
// local process).
func BenchmarkExploreBz1c1l(b *testing.B) { benchExplore(b, "bz219278", explore.BFS) }

// BenchmarkExploreBz3c3lDFS explores bz219278 with three clients and three
// local processes depth-first: 16.6 million states, about half a minute
// with the untimed memory run, so run it alone with -benchtime 1x.
func BenchmarkExploreBz3c3lDFS(b *testing.B) {
	benchExplore(b, "testdata/bz219278-3c3l.yaml", explore.DFS)
}

// BenchmarkExploreBz3c3l is the three-client space breadth-first (run it
// alone with -benchtime 1x).
func BenchmarkExploreBz3c3l(b *testing.B) {
	benchExplore(b, "testdata/bz219278-3c3l.yaml", explore.BFS)
}
