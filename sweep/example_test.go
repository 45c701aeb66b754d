package sweep_test

import (
	"context"
	"fmt"

	"github.com/delegsim/delegsim/sweep"
)

// How often does the second back-to-back lsattr fail under the kernel's
// policy, with and without a 100 ms one-way delay between client and
// server? And with write delegations turned off?
func ExampleNewPlan() {
	delay, err := sweep.ParseVary("clients.c1.latency=0ms:100ms:100ms")
	if err != nil {
		panic(err)
	}
	plan, err := sweep.NewPlan(sweep.Spec{
		Scenario: "bz219278",
		Policies: []string{"kernel", "no-write-deleg"},
		Sets:     []string{"locals.l1.script.0.at=1s"}, // after the create, even at 100 ms
		Vary:     []sweep.Vary{delay},
		Trials:   50,
		Seed:     1,
	})
	if err != nil {
		panic(err)
	}
	res := plan.Run(context.Background(), sweep.RunOptions{})
	for _, r := range res.Rows {
		second := r.Ops[1].Fail
		fmt.Printf("d=%3gms %-15s second lsattr fails: %.2f [%.2f, %.2f], recalls %.0f\n",
			r.X[0], r.Policy, second.P, second.Lo, second.Hi, r.Recalls)
	}
	// Output:
	// d=  0ms kernel          second lsattr fails: 0.00 [0.00, 0.07], recalls 1
	// d=  0ms no-write-deleg  second lsattr fails: 0.00 [0.00, 0.07], recalls 0
	// d=100ms kernel          second lsattr fails: 1.00 [0.93, 1.00], recalls 1
	// d=100ms no-write-deleg  second lsattr fails: 0.00 [0.00, 0.07], recalls 0
}
