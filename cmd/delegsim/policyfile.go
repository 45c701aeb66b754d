package main

import (
	"github.com/delegsim/delegsim/model"
	"github.com/delegsim/delegsim/policyfile"
)

// loadPolicyFiles reads --policy-file flags.
func loadPolicyFiles(paths []string) ([]model.Policy, error) {
	var out []model.Policy
	for _, p := range paths {
		pol, err := policyfile.Load(p)
		if err != nil {
			return nil, err
		}
		out = append(out, pol)
	}
	return out, nil
}
