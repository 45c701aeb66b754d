package compare

import (
	"strings"

	"github.com/delegsim/delegsim/checker"
	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/scenarios"
)

// Exhaustive is the Explorer that `delegsim compare` uses: a depth-first
// search (explore.Explore) of every interleaving of the run's deliveries,
// losses and timer firings within maxStates distinct states, checking
// every complete history against close-to-open consistency. Depth first
// reaches complete histories at once, so a stale read deep in a scenario
// is found within a small budget (breadth first may spend the whole budget
// on the early layers); `delegsim explore` then gives the shortest one.
func Exhaustive(sc *scenarios.Scenario, o scenarios.Options, maxStates int) (ExploreResult, error) {
	m, _, err := explore.FromScenario(sc, o, explore.ModelOptions{MinDelay: true})
	if err != nil {
		return ExploreResult{}, err
	}
	c := checker.CloseToOpen
	rep := explore.Explore(m, explore.Options{Strategy: explore.DFS, MaxStates: maxStates, Consistency: &c})
	out := ExploreResult{States: rep.Distinct, Exhausted: rep.Exhausted}
	if ce := rep.Counterexample; ce != nil {
		if ce.Property == c.String() {
			out.Stale, out.Depth = true, ce.Depth
		} else {
			out.Other = strings.TrimPrefix(ce.Property, "invariant ")
		}
	}
	return out, nil
}
