package compare

import (
	"testing"

	"github.com/delegsim/delegsim/scenarios"
)

// BenchmarkCompare measures one decision table: bz219278, every policy,
// 100 runs each, with the bounded exhaustive search.
func BenchmarkCompare(b *testing.B) {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Compare(sc, Options{Trials: 100, Explorer: Exhaustive}); err != nil {
			b.Fatal(err)
		}
	}
}
