package compare

import "github.com/delegsim/delegsim/sweep"

// AddToSweep adds the row of fix name, applied as v, to a sweep: a
// built-in policy run as itself as one of the sweep's policies, any other
// fix as a variant with its overrides and policy.
func AddToSweep(spec *sweep.Spec, name string, v Variant) {
	if len(v.Sets) == 0 && v.Value == nil && v.Policy == name {
		spec.Policies = append(spec.Policies, name)
		return
	}
	spec.Variants = append(spec.Variants, sweep.Variant{Name: name, Sets: v.Sets, Policy: v.Policy, Value: v.Value})
}
