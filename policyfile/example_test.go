package policyfile_test

import (
	"fmt"

	"github.com/delegsim/delegsim/policyfile"
	"github.com/delegsim/delegsim/scenarios"
)

// A policy file states how a policy differs from the kernel; Parse gives a
// model.Policy to run with. This one lets an O_NONBLOCK local open wait up
// to 100 ms for the recall, so both lsattr runs of bz219278 succeed.
func ExampleParse() {
	p, err := policyfile.Parse("wait-100ms.yaml", []byte(`
name: nonblock-wait-100ms
conflicts:
  - {access: local-open, blocking: false, action: recall-wait 100ms}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	sc, _ := scenarios.Load("bz219278", nil)
	res, r, err := sc.Run(scenarios.Options{PolicyValue: p})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("policy:", r.Policy.Name())
	for _, op := range res.Ops {
		if op.Actor == "l1" {
			fmt.Println(op.Name(), op.Kind, op.Result)
		}
	}
	// Output:
	// policy: nonblock-wait-100ms
	// l1#1 lsattr ok
	// l1#2 lsattr ok
}
