package runcheck_test

import (
	"fmt"

	"github.com/delegsim/delegsim/checker/runcheck"
	"github.com/delegsim/delegsim/scenarios"
)

// Ten runs of the dirty-recall scenario under the kernel policy: the local
// cat reads the old data after the recall in every run, which breaks
// linearizability but not close-to-open.
func ExampleCheck() {
	sc, err := scenarios.Load("dirty-recall-stale-read", nil)
	if err != nil {
		panic(err)
	}
	rep, err := runcheck.Check(sc, runcheck.Options{Runs: 10, Scenario: scenarios.Options{Policy: "kernel"}})
	if err != nil {
		panic(err)
	}
	for _, p := range rep.Properties {
		fmt.Printf("%-22s ok=%-5v violations=%d\n", p.Name, p.OK, p.Violations)
	}
	fmt.Println("failed:", rep.Failed())
	// Output:
	// one-write-deleg        ok=true  violations=0
	// write-deleg-exclusive  ok=true  violations=0
	// lease-agrees           ok=true  violations=0
	// recall-bounded         ok=true  violations=0
	// wait-bounded           ok=true  violations=0
	// no-lost-write          ok=true  violations=0
	// linearizable           ok=false violations=10
	// close-to-open          ok=true  violations=0
	// failed: true
}
