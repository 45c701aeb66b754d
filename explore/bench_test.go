package explore_test

import (
	"runtime"
	"testing"

	"github.com/delegsim/delegsim/explore"
)

// benchExplore explores a scenario b.N times and reports distinct states
// per second of wall time (and per worker, "per core"), the visited set's
// bytes per state, and peak-heap-B/state: the most the heap held beyond
// what it held before the search, sampled every 4096 states, per state.
// With live set, one more search, untimed, collects the garbage before
// each of about a hundred samples and reports peak-live-B/state: what
// the search holds (the visited set, the frontier, the engine's tables).
func benchExplore(b *testing.B, scenario string, o explore.Options, live bool) {
	m := loadModel(b, scenario, "kernel", nil)
	if o.MaxStates == 0 {
		o.MaxStates = 1 << 30
	}
	var rep *explore.Report
	var base, peak uint64
	sample := func(explore.Progress) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc-min(base, ms.HeapAlloc))
	}
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base = ms.HeapAlloc
		o.Progress, o.ProgressEvery = sample, 4096
		rep = explore.Explore(m, o)
		if rep.Violated() || (!rep.Exhausted && rep.Bound != "max-states") {
			b.Fatalf("not exhausted: %q", rep.Bound)
		}
	}
	rate := float64(rep.Distinct) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "states/s")
	b.ReportMetric(rate/float64(max(o.Workers, 1)), "states/s/worker")
	b.ReportMetric(float64(rep.Distinct), "states")
	b.ReportMetric(float64(rep.VisitedBytes)/float64(rep.Distinct), "visited-B/state")
	if peak > 0 {
		b.ReportMetric(float64(peak)/float64(rep.Distinct), "peak-heap-B/state")
	}
	if !live {
		return
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak = ms.HeapAlloc, 0
	o.ProgressEvery = max(rep.Distinct/100/max(o.Workers, 1), 1)
	o.Progress = func(explore.Progress) {
		runtime.GC()
		sample(explore.Progress{})
	}
	explore.Explore(m, o)
	b.ReportMetric(float64(peak)/float64(rep.Distinct), "peak-live-B/state")
}

const (
	bz3c3l    = "testdata/bz219278-3c3l.yaml"
	bz2c2lSym = "testdata/bz219278-2c2l-sym.yaml"
	bz3c3lSym = "testdata/bz219278-3c3l-sym.yaml"
	bz4c4lSym = "testdata/bz219278-4c4l-sym.yaml"
)

// BenchmarkExploreBz2c2l is bz219278 with two clients and two local
// processes under the kernel policy, breadth first.
func BenchmarkExploreBz2c2l(b *testing.B) {
	benchExplore(b, "bz219278-2c2l", explore.Options{}, true)
}

// BenchmarkExploreBz2c2lDFS is the same space depth first.
func BenchmarkExploreBz2c2lDFS(b *testing.B) {
	benchExplore(b, "bz219278-2c2l", explore.Options{Strategy: explore.DFS}, true)
}

// BenchmarkExploreBz1c1l is the reporter's reproducer (one client, one
// local process).
func BenchmarkExploreBz1c1l(b *testing.B) { benchExplore(b, "bz219278", explore.Options{}, false) }

// BenchmarkExploreBz3c3l explores bz219278 with three clients and three
// local processes breadth first, one worker, no symmetry reduction: 16.6
// million states; run it with -benchtime 1x.
func BenchmarkExploreBz3c3l(b *testing.B) { benchExplore(b, bz3c3l, explore.Options{}, false) }

// BenchmarkExploreBz3c3lDFS is the three-client space depth first.
func BenchmarkExploreBz3c3lDFS(b *testing.B) {
	benchExplore(b, bz3c3l, explore.Options{Strategy: explore.DFS}, false)
}

// BenchmarkExploreBz3c3lWorkers2 and BenchmarkExploreBz3c3lDFSWorkers2
// are the same searches on two workers.
func BenchmarkExploreBz3c3lWorkers2(b *testing.B) {
	benchExplore(b, bz3c3l, explore.Options{Workers: 2}, false)
}

func BenchmarkExploreBz3c3lDFSWorkers2(b *testing.B) {
	benchExplore(b, bz3c3l, explore.Options{Strategy: explore.DFS, Workers: 2}, false)
}

// BenchmarkExploreBz3c3lFirst2M is the first two million states of the
// three-client space depth first: small enough to count instructions
// with valgrind --tool=callgrind (GODEBUG=asyncpreemptoff=1).
func BenchmarkExploreBz3c3lFirst2M(b *testing.B) {
	benchExplore(b, bz3c3l, explore.Options{Strategy: explore.DFS, MaxStates: 2_000_000}, false)
}

// BenchmarkExploreBz3c3lSymmetry is the three-client space renamed
// canonically (its scripts differ in start-up times and renewd phases,
// drawn from the seed, so no permutation is a symmetry).
func BenchmarkExploreBz3c3lSymmetry(b *testing.B) {
	benchExplore(b, bz3c3l, explore.Options{Strategy: explore.DFS, Symmetry: true}, false)
}

// BenchmarkExploreBz3c3lSym is the symmetric three-client variant (fixed
// start-up times and renewd phase) reduced by its six symmetries.
func BenchmarkExploreBz3c3lSym(b *testing.B) {
	benchExplore(b, bz3c3lSym, explore.Options{Strategy: explore.DFS, Symmetry: true}, false)
}

// BenchmarkExploreBz4c4lSym is the symmetric four-client space reduced
// by its 24 symmetries on two workers: the figure for spaces ten times
// larger. Run it alone with -benchtime 1x.
func BenchmarkExploreBz4c4lSym(b *testing.B) {
	benchExplore(b, bz4c4lSym, explore.Options{Strategy: explore.DFS, Symmetry: true, Workers: 2}, false)
}
