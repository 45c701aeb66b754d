package sweep_test

import (
	"context"
	"testing"

	"github.com/delegsim/delegsim/sweep"
)

// BenchmarkDefaultSweep runs the built-in sweep (21 delays × every built-in policy)
// with 100 trials instead of 2,000 on all cores. trials/s is the
// throughput; full-sweep-s extrapolates to the real 2,000-trial sweep.
func BenchmarkDefaultSweep(b *testing.B) {
	spec := sweep.Default()
	full := spec.Trials
	spec.Trials = 100
	trials := 0
	for b.Loop() {
		plan, err := sweep.NewPlan(spec)
		if err != nil {
			b.Fatal(err)
		}
		res := plan.Run(context.Background(), sweep.RunOptions{})
		trials += res.PointsDone() * plan.TrialsPerPoint()
	}
	perSweep := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(trials)/b.Elapsed().Seconds(), "trials/s")
	b.ReportMetric(perSweep*float64(full)/float64(spec.Trials), "full-sweep-s")
}
