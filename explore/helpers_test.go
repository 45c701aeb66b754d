package explore_test

import (
	"testing"
	"time"

	"github.com/delegsim/delegsim/explore"
	"github.com/delegsim/delegsim/scenarios"
)

// loadModel builds the model of a built-in scenario (or a .yaml path)
// under a policy, with --set overrides.
func loadModel(tb testing.TB, name, policy string, sets []string) *explore.Model {
	tb.Helper()
	sc, err := scenarios.Load(name, sets)
	if err != nil {
		tb.Fatal(err)
	}
	m, _, err := explore.FromScenario(sc, scenarios.Options{Policy: policy}, explore.ModelOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	m.Sets = sets
	return m
}

func mustDur(tb testing.TB, s string) time.Duration {
	tb.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
