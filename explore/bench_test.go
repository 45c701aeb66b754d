package explore_test

import (
	"runtime"
	"testing"

	"github.com/delegsim/delegsim/explore"
)

// BenchmarkExploreBz2c2l explores bz219278-2c2l (two clients, two local
// processes, kernel policy) exhaustively and reports distinct states per
// second and the bytes each visited state costs.
func BenchmarkExploreBz2c2l(b *testing.B) {
	m := loadModel(b, "bz219278-2c2l", "kernel", nil)
	var rep *explore.Report
	var peak uint64
	for b.Loop() {
		rep = explore.Explore(m, explore.Options{Progress: func(explore.Progress) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}})
	}
	b.ReportMetric(float64(rep.Distinct)*float64(b.N)/b.Elapsed().Seconds(), "states/s")
	b.ReportMetric(float64(rep.Distinct), "states")
	b.ReportMetric(float64(rep.VisitedBytes)/float64(rep.Distinct), "visited-B/state")
	_ = peak
}
