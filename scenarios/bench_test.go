package scenarios_test

import (
	"testing"

	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// BenchmarkBz219278Run measures whole runs of the reporter's reproducer:
// building the actors from the validated scenario and simulating to the
// end. runs/s per core is the figure the core issue asks for.
func BenchmarkBz219278Run(b *testing.B) {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		b.Fatal(err)
	}
	r, err := sc.Resolve(scenarios.Options{})
	if err != nil {
		b.Fatal(err)
	}
	events := 0
	var runner sim.Runner
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Seed = uint64(i)
		res := runner.Run(sc.Config(r, scenarios.Options{}))
		events += res.Steps
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
