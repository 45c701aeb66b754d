package compare_test

import (
	"fmt"
	"strings"

	"github.com/delegsim/delegsim/compare"
	"github.com/delegsim/delegsim/scenarios"
)

// Compare runs each policy on a scenario and judges it against the
// kernel's behaviour.
func ExampleCompare() {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	t, err := compare.Compare(sc, compare.Options{Trials: 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range t.Rows {
		// The verdict's first clause is the outcome; the rest, the price.
		outcome, _, _ := strings.Cut(r.Verdict, ";")
		fmt.Printf("%-20s %3.0f%%  %s\n", r.Policy, 100*r.Fail, outcome)
	}
	// Output:
	// kernel               100%  baseline: lsattr fails in 100% of runs
	// seed-getattr-exempt  100%  no change: lsattr still fails (100%)
	// local-read-exempt      0%  fixes lsattr
	// nonblock-wait          0%  fixes lsattr
	// cb-getattr-gate        0%  fixes lsattr
	// no-write-deleg         0%  fixes lsattr
}
