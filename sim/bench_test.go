package sim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/delegsim/delegsim/scenarios"
	"github.com/delegsim/delegsim/sim"
)

// longScenario returns a scenario in which two clients repeatedly write
// files a local process keeps reading with lsattr and cat: thousands of
// grants, recalls, EAGAINs and returns per run.
func longScenario(b testing.TB, rounds int) *scenarios.Scenario {
	var y strings.Builder
	y.WriteString("name: long\nversion: 1\nfiles: [{name: f}, {name: g}]\nclients:\n")
	for _, c := range []struct{ name, file string }{{"c1", "f"}, {"c2", "g"}} {
		fmt.Fprintf(&y, "  - name: %s\n    latency: lognormal:1ms,0.3\n    script:\n", c.name)
		for i := 0; i < rounds; i++ {
			fmt.Fprintf(&y, "      - {after: 200ms, op: open, file: %s, flags: [O_CREAT, O_RDWR]}\n", c.file)
			fmt.Fprintf(&y, "      - {op: write, file: %s, bytes: 4096}\n", c.file)
			fmt.Fprintf(&y, "      - {op: close, file: %s}\n", c.file)
		}
	}
	y.WriteString("locals:\n  - name: l1\n    script:\n")
	for i := 0; i < rounds; i++ {
		y.WriteString("      - {after: 50ms, op: lsattr, file: f, startup: 10ms}\n")
		y.WriteString("      - {after: 50ms, op: cat, file: g, startup: 10ms}\n")
	}
	src, err := scenarios.Parse("long.yaml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	sc, err := src.Scenario()
	if err != nil {
		b.Fatal(err)
	}
	return sc
}

// BenchmarkEngineEvents measures the simulator's event rate on a long run,
// where per-run set-up no longer matters: events/s is the figure the core
// issue asks for.
func BenchmarkEngineEvents(b *testing.B) {
	sc := longScenario(b, 2000)
	r, err := sc.Resolve(scenarios.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var runner sim.Runner
	events := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Seed = uint64(i)
		res := runner.Run(sc.Config(r, scenarios.Options{}))
		events += res.Steps
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
}
