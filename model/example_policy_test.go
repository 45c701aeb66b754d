package model_test

import (
	"fmt"

	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/scenarios"
)

// readInstead is a user's own policy: where the kernel would grant a
// write delegation it grants a read delegation, so the client still
// caches reads, and a server-local reader never conflicts with it (read
// leases do not conflict with readers, leases_conflict). Conflicts are
// handled as the kernel handles them.
type readInstead struct{}

// Name is how reports call the policy.
func (readInstead) Name() string { return "read-instead" }

// Grant offers a read delegation wherever the kernel offers a write one.
func (readInstead) Grant(g model.GrantInfo) model.DelegType {
	if g.Kernel == model.DelegWrite {
		return model.DelegRead
	}
	return g.Kernel
}

// Conflict leaves every conflicting access to the kernel's rule.
func (readInstead) Conflict(c model.ConflictInfo) model.Decision { return c.Kernel }

// A policy is any value implementing model.Policy; pass it to a run with
// scenarios.Options.PolicyValue. Here it runs bz219278: the client gets a
// read delegation, and neither lsattr fails nor starts a recall.
func Example_customPolicy() {
	sc, err := scenarios.Load("bz219278", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, r, err := sc.Run(scenarios.Options{PolicyValue: readInstead{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("policy:", r.Policy.Name())
	for _, e := range res.Events {
		if e.Kind == model.EvGrant {
			fmt.Println("granted:", e.Deleg, "delegation")
		}
	}
	for _, op := range res.Ops {
		if op.Kind == model.OpLsattr {
			fmt.Println(op.Name(), op.Kind, op.Result)
		}
	}
	fmt.Println("CB_RECALLs:", res.Sent[model.MsgCBRecall])
	// Output:
	// policy: read-instead
	// granted: read delegation
	// l1#1 lsattr ok
	// l1#2 lsattr ok
	// CB_RECALLs: 0
}
