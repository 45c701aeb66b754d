package explore_test

import (
	"fmt"
	"os"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/scenarios"
)

// The reporter's reproducer: in every interleaving of messages and timers
// the first lsattr fails with EAGAIN and the second succeeds.
func ExampleExplore() {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		panic(err)
	}
	m, _, err := explore.FromScenario(sc, scenarios.Options{Policy: "kernel"}, explore.ModelOptions{})
	if err != nil {
		panic(err)
	}
	rep := explore.Explore(m, explore.Options{Strategy: explore.BFS})
	fmt.Printf("exhausted %v: %d distinct states, %d complete histories\n", rep.Exhausted, rep.Distinct, rep.Histories)
	for _, o := range rep.Outcomes {
		if o.Kind == "lsattr" {
			fmt.Printf("%s %s in %d of %d\n", o.Op, o.Result, o.Histories, rep.Histories)
		}
	}
	// Output:
	// exhausted true: 424 distinct states, 4 complete histories
	// l1#1 EAGAIN in 4 of 4
	// l1#2 ok in 4 of 4
}

// A search that finds a stale read prints the shortest schedule that
// leads to it; Replay runs that schedule again as a simulated run.
func ExampleReplay() {
	sc, err := scenarios.Load("testdata/lost-local-write.yaml", nil)
	if err != nil {
		panic(err)
	}
	m, _, err := explore.FromScenario(sc, scenarios.Options{Policy: "exempt-all-local"}, explore.ModelOptions{})
	if err != nil {
		panic(err)
	}
	rep := explore.Explore(m, explore.Options{})
	c := rep.Counterexample
	fmt.Printf("%s violated after %d steps\n", c.Property, c.Depth)
	res, err := explore.Replay(m, c.Schedule, explore.ReplayOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, op := range res.Ops {
		fmt.Println(op)
	}
	// Output:
	// close-to-open violated after 12 steps
	// c1#1 open f [0.000ms, 0.000ms] ok
	// c1#2 close f [0.000ms, 0.000ms] ok
	// l1#1 open-write f [100.000ms, 100.000ms] ok
	// c1#3 open f [200.000ms, 200.000ms] ok
	// c1#4 read f [200.000ms, 200.000ms] ok bytes=0 data=0
	// c1#5 close f [200.000ms, 200.000ms] ok
}
